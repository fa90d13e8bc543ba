"""Column types of a caller's own whose bind processors refuse values, for the SQL tests.

SQLAlchemy runs a ``TypeDecorator``'s ``process_bind_param`` while binding; COPY runs it
itself. ``Percent`` raises a serpens ``ValidationError`` naming its field, ``Code`` a
plain ``ValueError``: the repository reports each as SQLAlchemy's path would.
"""

from __future__ import annotations

import sqlalchemy as sa

from serpens.errors import FieldError, ValidationError

__all__ = ["Code", "Percent"]


class Percent(sa.types.TypeDecorator[int]):
    """A caller's column type that refuses out-of-range values with its own ValidationError."""

    impl = sa.Integer
    cache_ok = True

    def process_bind_param(self, value: int | None, dialect: sa.Dialect) -> int | None:
        """Refuse a value outside 0..100, naming the field."""
        if value is not None and not 0 <= value <= 100:
            raise ValidationError("a percentage is 0 to 100", [FieldError("share", "too large")])
        return value


class Code(sa.types.TypeDecorator[str]):
    """A caller's column type whose bind processor raises a plain ValueError."""

    impl = sa.String
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: sa.Dialect) -> str | None:
        """Refuse anything but upper-case letters."""
        if value is not None and not value.isupper():
            raise ValueError("a code is upper-case letters")
        return value
