# conftest.py (pytest) or the test package's __init__.py (unittest)
from myapp.models import Base

from serpens import testgres

db = testgres.setup(Base, async_mode=True, redis_mode=True, default_schema="app")
