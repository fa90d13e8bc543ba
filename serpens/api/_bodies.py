"""``Request.body_as``: one way to validate a body into a Schema or a pydantic model."""

from __future__ import annotations

from typing import Any, TypeVar, cast

from serpens import _pydantic

__all__ = ["load_body"]

T = TypeVar("T")


def load_body(model: type[T], body: Any) -> T:
    """Validate the parsed *body* into *model* and return the instance.

    A :class:`~serpens.schema.Schema` dataclass is loaded with ``model.load``; a pydantic
    model with ``model.model_validate``. Both fail with a serpens ``ValidationError``
    carrying field paths, which a handler answers with 422.

    Raises:
        ValidationError: the body does not match *model*.
        TypeError: *model* is neither a Schema class nor a pydantic model class.
    """
    # Imported here: handlers that never call body_as do not load serpens.schema.
    from serpens.schema import Schema  # noqa: PLC0415

    if isinstance(model, type) and issubclass(model, Schema):
        return cast("T", model.load(body))
    if _pydantic.is_model_class(model):
        try:
            return cast("T", cast("Any", model).model_validate(body))
        except _pydantic.validation_error_class() as exc:
            raise _pydantic.as_validation_error(exc) from exc
    name = getattr(model, "__qualname__", repr(model))
    raise TypeError(f"body_as() needs a Schema dataclass or a pydantic model class, got {name}")
