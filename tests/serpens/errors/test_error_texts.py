"""What serpens' errors say: the texts users log and match, and what they carry.

A ``ValidationError`` lists every field error after its message (``path: message``, a
bare message without a path); ``HTTPStatusError`` says the status and the masked URL
unless given a message; ``InProgressError`` keeps its message beside ``retry_after``. A
pydantic error becomes a ``ValidationError`` naming the model, chained to the original.
A missing optional SDK (``require``) is a ``MissingExtraError`` naming the extra, also
when the part missing is another module of the SDK's namespace.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pydantic
import pytest

from serpens._extras import require
from serpens._pydantic import as_validation_error
from serpens.errors import (
    FieldError,
    HTTPStatusError,
    InProgressError,
    MissingExtraError,
    ValidationError,
)


def test_a_validation_error_lists_its_fields_after_the_message() -> None:
    errors = [FieldError("items[2].price", "must be > 0"), FieldError("", "too many items")]
    error = ValidationError("invalid order", errors)
    assert str(error) == "invalid order: items[2].price: must be > 0; too many items"
    assert error.errors == errors
    assert str(ValidationError("invalid order")) == "invalid order"
    assert str(FieldError("name", "required")) == "name: required"
    assert str(FieldError("", "required")) == "required"


def test_an_http_status_error_says_the_status_and_the_masked_url() -> None:
    error = HTTPStatusError(503, "https://u:S3cr3t@api.example.com/v1")
    assert str(error) == "HTTP 503 from https://u:***@api.example.com/v1"
    assert (error.status_code, error.url) == (503, "https://u:***@api.example.com/v1")
    assert str(HTTPStatusError(404, "https://h/x", "no such order")) == "no such order"


def test_an_in_progress_error_keeps_its_message_and_wait() -> None:
    error = InProgressError("key 'k' is in progress", retry_after=2.5)
    assert (str(error), error.retry_after) == ("key 'k' is in progress", 2.5)


class Order(pydantic.BaseModel):
    id: int
    total: float


def test_a_pydantic_error_becomes_one_naming_the_model_chained_to_it() -> None:
    with pytest.raises(pydantic.ValidationError) as raised:
        Order.model_validate({"id": "x"})
    translated = as_validation_error(raised.value)
    assert isinstance(translated, ValidationError)
    assert str(translated).startswith("invalid Order: id: Input should be a valid integer")
    assert [e.path for e in translated.errors] == ["id", "total"]
    assert translated.__cause__ is raised.value
    untitled = pydantic.ValidationError.from_exception_data("", [])
    assert str(as_validation_error(untitled)) == "invalid input"
    other = KeyError("x")
    assert as_validation_error(other) is other


def test_a_missing_module_of_the_sdks_namespace_is_a_missing_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "serpens_test_sdk"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "client.py").write_text("import serpens_test_sdk.transport  # not installed\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        with pytest.raises(MissingExtraError, match=r"serpens\[sdk\]"):
            require("serpens_test_sdk.client", "sdk")
    finally:
        sys.modules.pop("serpens_test_sdk", None)
