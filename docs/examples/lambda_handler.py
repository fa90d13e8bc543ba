import json
from dataclasses import dataclass

from serpens import api
from serpens.errors import NotFoundError
from serpens.schema import Schema


@dataclass
class NewUser(Schema):
    name: str
    age: int


USERS = {"42": {"id": "42", "name": "Mike"}}


@api.handler
def get_user(request: api.Request):
    user = USERS.get(request.path.user_id)
    if user is None:
        raise NotFoundError(f"User id={request.path.user_id}")
    return user  # 200, JSON body


@api.handler
def create_user(request: api.Request):
    if request.headers.get("x-api-key") != "k1":  # headers are case-insensitive
        raise api.HTTPError(401, "Missing or wrong API key", code="unauthorized")
    new = NewUser.load(request.body)  # a bad body becomes a 422 with field paths
    return 201, {"name": new.name, "age": new.age}  # (status, body)


# The Lambda runtime calls handler(event, context); so can a test.
event = {
    "httpMethod": "POST",
    "path": "/users",
    "headers": {"Content-Type": "application/json", "X-Api-Key": "k1"},
    "pathParameters": {"user_id": "42"},
    "body": '{"name": "Ana", "age": 30}',
}
response = create_user(event, None)
assert response == {
    "statusCode": 201,
    "body": '{"name": "Ana", "age": 30}',
    "headers": {"Access-Control-Allow-Origin": "*", "Content-Type": "application/json"},
}

invalid = create_user({**event, "body": '{"name": "Ana", "age": "30"}'}, None)
assert invalid["statusCode"] == 422
assert json.loads(invalid["body"])["errors"] == [
    {"path": "age", "message": "must be of type int, got string"}
]

assert get_user(event, None)["statusCode"] == 200
missing = get_user({**event, "pathParameters": {"user_id": "7"}}, None)
assert (missing["statusCode"], missing["body"]) == (404, '{"message": "User id=7"}')
