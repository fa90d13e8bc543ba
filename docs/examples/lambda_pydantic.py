import json
from dataclasses import dataclass
from decimal import Decimal

from pydantic import BaseModel, Field

from serpens import api
from serpens.schema import Schema


class NewOrder(BaseModel):  # a pydantic model ...
    sku: str
    quantity: int = Field(gt=0)


@dataclass
class NewNote(Schema):  # ... and a Schema dataclass are both request bodies
    text: str


class Order(BaseModel):
    id: int
    sku: str
    quantity: int
    price: Decimal


@api.handler
def create_order(request: api.Request):
    new = request.body_as(NewOrder)  # a bad body: 422 with field paths
    return 201, Order(id=1, sku=new.sku, quantity=new.quantity, price=Decimal("9.90"))


@api.handler
def add_note(request: api.Request):
    return 201, {"note": request.body_as(NewNote).text}


event = {"httpMethod": "POST", "path": "/orders", "body": '{"sku": "A-1", "quantity": 2}'}
created = create_order(event, None)
assert created["statusCode"] == 201
assert json.loads(created["body"]) == {"id": 1, "sku": "A-1", "quantity": 2, "price": "9.90"}

invalid = create_order({**event, "body": '{"sku": "A-1", "quantity": 0}'}, None)
assert invalid["statusCode"] == 422
assert json.loads(invalid["body"]) == {
    "message": "Validation failed",
    "errors": [{"path": "quantity", "message": "Input should be greater than 0"}],
}
bad_note = add_note({**event, "body": '{"text": 5}'}, None)
assert json.loads(bad_note["body"])["errors"] == [
    {"path": "text", "message": "must be of type str, got integer"}
]
