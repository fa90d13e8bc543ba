import json

from serpens import parameters, secrets_manager
from serpens.fakes import InMemoryParameterStore, InMemorySecretStore

# Production code reads SSM and Secrets Manager; unit tests swap in the fakes.
with (
    parameters.use_store(InMemoryParameterStore({"/orders/db/host": "db.internal"})),
    secrets_manager.use_store(InMemorySecretStore({"orders/db": json.dumps({"password": "s3"})})),
):
    assert parameters.get("/orders/db/host") == "db.internal"
    assert parameters.get_by_path("/orders") == {"/orders/db/host": "db.internal"}
    assert secrets_manager.get("orders/db", "password") == "s3"
