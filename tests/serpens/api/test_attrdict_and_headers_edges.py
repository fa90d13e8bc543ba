"""``AttrDict`` and ``Headers``: the rarer operations and what their errors name.

A missing key raises an error (a ``KeyError`` and an ``AttributeError`` both) naming
that key, as a ``dict``'s ``KeyError`` does, whichever way it is read or deleted (and
``Headers.pop`` too). ``Headers`` survives ``copy`` and ``pickle`` (its name index is
rebuilt), ``popitem`` and ``clear`` keep the case-insensitive index
in step with the items, and an attribute write to a header not held yet stores it under
its hyphenated lower-case name, while one to a header held with an underscore updates it.
``body_as`` refuses a model it cannot use, naming it.
"""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable
from typing import Any, cast

import pytest

from serpens import api
from serpens.api import AttrDict, Headers
from tests.serpens.api.events import rest_event


def _del_item(d: Any) -> None:
    del d["absent_key"]


def _del_attr(d: Any) -> None:
    del d.absent_key


@pytest.mark.parametrize("make", [AttrDict, Headers], ids=["AttrDict", "Headers"])
@pytest.mark.parametrize(
    "read",
    [
        lambda d: d["absent_key"],
        lambda d: d.absent_key,
        _del_item,
        _del_attr,
    ],
    ids=["item", "attribute", "del item", "del attribute"],
)
def test_a_missing_key_error_names_the_key(
    make: Callable[[dict[str, Any]], AttrDict], read: Callable[[Any], object]
) -> None:
    with pytest.raises(KeyError) as raised:
        read(make({"present": "1"}))
    assert isinstance(raised.value, AttributeError)
    assert raised.value.args == ("absent_key",)


def test_headers_pop_of_a_missing_name_names_it() -> None:
    with pytest.raises(KeyError) as raised:
        Headers({"present": "1"}).pop("Absent-Name")
    assert raised.value.args == ("Absent-Name",)
    assert Headers({"present": "1"}).pop("Absent-Name", None) is None


@pytest.mark.parametrize(
    "clone", [copy.copy, copy.deepcopy, lambda h: pickle.loads(pickle.dumps(h))]
)
def test_headers_survive_copy_and_pickle(clone: Callable[[Headers], Headers]) -> None:
    headers = Headers({"Content-Type": "application/json", "X-Trace": "t1"})
    cloned = clone(headers)
    assert type(cloned) is Headers
    assert dict(cloned) == {"Content-Type": "application/json", "X-Trace": "t1"}
    assert cloned["content-type"] == "application/json"
    assert cloned.x_trace == "t1"


def test_popitem_returns_the_last_header_written_and_forgets_its_name() -> None:
    headers = Headers({"Content-Type": "application/json", "X-Trace": "t1"})
    assert headers.popitem() == ("X-Trace", "t1")
    assert "x-trace" not in headers
    headers["x-trace"] = "t2"  # written afresh: stored under the new spelling
    assert dict(headers) == {"Content-Type": "application/json", "x-trace": "t2"}


def test_clear_forgets_every_header_and_its_name() -> None:
    headers = Headers({"Content-Type": "application/json"})
    headers.clear()
    assert dict(headers) == {}
    assert "content-type" not in headers
    headers["CONTENT-TYPE"] = "text/plain"
    assert dict(headers) == {"CONTENT-TYPE": "text/plain"}


def test_an_attribute_write_of_a_new_header_stores_its_hyphenated_name() -> None:
    headers = Headers({"Content-Type": "application/json"})
    headers.X_Trace = "t1"
    assert dict(headers) == {"Content-Type": "application/json", "x-trace": "t1"}


def test_an_attribute_write_to_a_header_held_with_an_underscore_updates_it() -> None:
    headers = Headers({"x_legacy": "1"})
    headers.X_LEGACY = "2"
    assert dict(headers) == {"x_legacy": "2"}


def test_body_as_refuses_a_model_it_cannot_use_naming_it() -> None:
    request = api.Request(rest_event())
    with pytest.raises(TypeError, match=r"got int$"):
        request.body_as(int)
    with pytest.raises(TypeError, match=r"got 'Person'$"):
        request.body_as(cast("Any", "Person"))  # a name, not the class
