"""pydantic interop without importing pydantic.

serpens never imports pydantic: it looks the module up in ``sys.modules``. A pydantic
object can only exist once the application imported pydantic, so when the module is absent
the answer is "not a pydantic object" at the cost of one dict lookup, and a service without
pydantic never loads it.
"""

from __future__ import annotations

import sys
from typing import Any

from serpens.errors import FieldError, ValidationError

__all__ = [
    "as_validation_error",
    "dump_model",
    "field_errors",
    "is_model",
    "is_model_class",
    "is_validation_error",
    "validation_error_class",
]


def is_model(value: Any) -> bool:
    """Whether *value* is a pydantic ``BaseModel`` instance (``False`` without pydantic)."""
    pydantic = sys.modules.get("pydantic")
    return pydantic is not None and isinstance(value, pydantic.BaseModel)


def is_model_class(value: Any) -> bool:
    """Whether *value* is a pydantic ``BaseModel`` subclass (``False`` without pydantic)."""
    pydantic = sys.modules.get("pydantic")
    return (
        pydantic is not None and isinstance(value, type) and issubclass(value, pydantic.BaseModel)
    )


def dump_model(model: Any) -> Any:
    """Return the JSON-native data of the pydantic model *model*.

    ``model_dump(mode="json")`` applies the model's own serialisers (and its
    ``serialize_by_alias`` setting), so a model is encoded as pydantic encodes it.
    """
    return model.model_dump(mode="json")


def is_validation_error(exc: BaseException) -> bool:
    """Whether *exc* is a pydantic ``ValidationError`` (``False`` without pydantic)."""
    core = sys.modules.get("pydantic_core")
    return core is not None and isinstance(exc, core.ValidationError)


def validation_error_class() -> type[Exception]:
    """The ``ValidationError`` class of pydantic; call it only once pydantic is imported."""
    error: type[Exception] = sys.modules["pydantic_core"].ValidationError
    return error


def _render(loc: tuple[int | str, ...]) -> str:
    """``("items", 2, "price")`` -> ``items[2].price``, the path style of serpens.schema."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def field_errors(exc: Any) -> list[FieldError]:
    """The field errors of a pydantic ``ValidationError``: path and message, never the input.

    The rejected input value is left out on purpose: it may be a password or a token.
    """
    return [
        FieldError(_render(tuple(error["loc"])), str(error["msg"]))
        for error in exc.errors(include_url=False, include_context=False, include_input=False)
    ]


def as_validation_error(exc: Exception) -> Exception:
    """A serpens ``ValidationError`` for a pydantic one (chained); any other error as is."""
    if not is_validation_error(exc):
        return exc
    title = getattr(exc, "title", "") or "input"
    translated = ValidationError(f"invalid {title}", field_errors(exc))
    translated.__cause__ = exc
    return translated
