from myapp.models import Base

from serpens.database.alembic import run_migrations

run_migrations(target_metadata=Base.metadata)
