import asyncio
import json

import boto3

from serpens import parameters, secrets_manager

# What the deployment created (here in moto's server, from AWS_ENDPOINT_URL).
ssm = boto3.client("ssm")
ssm.put_parameter(Name="/orders/db/host", Value="db.internal", Type="String")
ssm.put_parameter(Name="/orders/settings", Value='{"retries": 3}', Type="String")
secrets = boto3.client("secretsmanager")
secrets.create_secret(Name="orders/db", SecretString=json.dumps({"password": "s3cret"}))
secrets.create_secret(Name="orders/tls-key", SecretBinary=b"\x00key")

host = parameters.get("/orders/db/host")
settings = parameters.get("/orders/settings", transform="json")
everything = parameters.get_by_path("/orders")  # {full name: value}
several = parameters.get_many(["/orders/db/host", "/orders/settings"])  # ten names per call

password = secrets_manager.get("orders/db", "password")  # one key of a JSON secret
db = secrets_manager.get("orders/db")  # a JSON secret comes back parsed: a dict
raw = secrets_manager.get("orders/tls-key")  # str, or bytes for a binary secret
fresh = secrets_manager.get("orders/db", "password", force_fetch=True)  # after a rotation

assert (host, settings, raw) == ("db.internal", {"retries": 3}, b"\x00key")
assert password == fresh == db["password"] == "s3cret"
both = {"/orders/db/host": "db.internal", "/orders/settings": '{"retries": 3}'}
assert everything == several == both
assert asyncio.run(parameters.aget("/orders/db/host")) == "db.internal"  # async: aget
