"""Property tests: dump-then-load round-trips; arbitrary JSON only ever fails validation."""

from __future__ import annotations

import json
import uuid
from datetime import UTC
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from serpens.schema import SchemaValidationError
from tests.serpens.schema.models import Address, Item, Level, Node, Order, Status

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

text = st.text(max_size=12)
finite_floats = st.floats(allow_nan=False, allow_infinity=False)
decimals = st.decimals(allow_nan=False, allow_infinity=False)
items = st.builds(Item, sku=text, price=decimals, quantity=st.integers())
aware_or_naive = st.datetimes(timezones=st.sampled_from([None, UTC]))

orders = st.builds(
    Order,
    id=st.uuids(),
    customer=text,
    items=st.lists(items, max_size=3),
    created_at=aware_or_naive,
    status=st.sampled_from(Status),
    level=st.sampled_from(Level),
    due=st.none() | st.dates(),
    cutoff=st.none() | st.times(),
    channel=st.sampled_from(["web", "app"]),
    discount=finite_floats,
    paid=st.booleans(),
    address=st.none() | st.builds(Address, city=text, zip=st.none() | text),
    tags=st.sets(text, max_size=3),
    counts=st.dictionaries(text, st.integers(), max_size=3),
    by_id=st.dictionaries(st.integers(), text, max_size=3),
    point=st.none() | st.tuples(finite_floats, finite_floats),
    notes=st.lists(text, max_size=3).map(tuple),
    blob=st.none() | st.binary(max_size=8),
    ref=st.none() | st.integers() | text,
)


@SETTINGS
@given(orders)
def test_dump_then_load_round_trips(order: Order) -> None:
    assert Order.load(order.dump()) == order
    assert Order.loads(order.dumps()) == order


@SETTINGS
@given(
    st.recursive(
        st.builds(Node, text),
        lambda kids: st.builds(Node, text, st.lists(kids, max_size=3)),
        max_leaves=8,
    )
)
def test_recursive_schemas_round_trip(node: Node) -> None:
    assert Node.loads(node.dumps()) == node


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | finite_floats | text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(text, children, max_size=4),
    max_leaves=12,
)
order_keys = st.sampled_from(sorted(Order.__dataclass_fields__))
near_orders = st.dictionaries(order_keys, json_values, max_size=12)


def _errors_of(load: Any, data: Any) -> list[Any] | None:
    try:
        load(data)
    except SchemaValidationError as exc:
        return exc.errors
    return None


def _load_or_validation_error(data: Any) -> None:
    for errors in (_errors_of(Order.load, data), _errors_of(Order.loads, json.dumps(data))):
        assert errors is None or len(errors) > 0


@SETTINGS
@given(json_values)
def test_random_json_only_raises_validation_errors(data: Any) -> None:
    _load_or_validation_error(data)


@SETTINGS
@given(near_orders)
def test_random_values_for_real_fields_only_raise_validation_errors(data: Any) -> None:
    _load_or_validation_error(data)


@SETTINGS
@given(st.decimals(allow_nan=False, allow_infinity=False), finite_floats)
def test_loads_gives_decimal_fields_their_json_text_and_others_what_json_loads_gives(
    price: Decimal, discount: float
) -> None:
    fields = {"customer": "c", "created_at": "2024-05-01", "discount": discount}
    data = {"id": str(uuid.UUID(int=1)), **fields, "items": [{"sku": "a", "price": "P"}]}
    text = json.dumps(data).replace('"P"', str(price))  # the Decimal's text as a JSON number
    order = Order.loads(text)
    exact = json.loads(text, parse_float=Decimal)["items"][0]["price"]
    assert order.items[0].price.as_tuple() == Decimal(exact).as_tuple()
    assert repr(order.discount) == repr(json.loads(text)["discount"])
