from botocore.config import Config

from serpens import parameters
from serpens_aws import SSMParameterStore

# One second per read and two attempts: a frozen SSM costs about 2 s, not 15.
store = SSMParameterStore(config=Config(read_timeout=1, retries={"total_max_attempts": 2}))
parameters.set_store(store)  # construction does no I/O; the client is built on first use
assert parameters.get_store() is store
