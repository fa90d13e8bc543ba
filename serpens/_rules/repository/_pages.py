"""List windows, page sizes and the opaque cursors of keyset pagination (``seek``).

:class:`ModelPages` checks ``limit``/``offset``, ``page``/``size`` and a ``seek``'s
``limit``, and encodes and decodes cursors. Cursors travel in query strings, so decoding
refuses anything that is not one of ours with a
:class:`~serpens.errors.ValidationError`. :func:`_in_cursors` says which columns a cursor
can carry, for :meth:`~._ordering.ModelOrdering.seek_terms`.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import enum
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal

from serpens._rules.repository._columns import ColumnInfo
from serpens._rules.repository._fields import ModelFields
from serpens._rules.repository._terms import OrderTerm
from serpens._rules.repository._values import _bad, _is_int
from serpens.errors import ValidationError

MAX_PAGE_SIZE = 1000
"""Largest ``limit`` accepted by ``seek`` when the repository sets no ``max_page_size``."""
_BIGINT = 2**63


class ModelPages(ModelFields):
    """The list windows, pages and cursors of one mapped class."""

    # -- windows -------------------------------------------------------------------------
    @staticmethod
    def check_window(limit: int | None, offset: int | None) -> None:
        """``limit`` and ``offset`` must be integers in ``0..2**63 - 1`` when given.

        PostgreSQL's ``LIMIT`` and ``OFFSET`` are ``bigint``: a larger one is its 22003 (the
        fake and SQLite took it).
        """
        for name, value in (("limit", limit), ("offset", offset)):
            if value is None:
                continue
            if not _is_int(value) or value < 0:
                raise _bad("bad list window", name, f"must be an integer >= 0, got {value!r}")
            if value >= _BIGINT:
                raise _bad("bad list window", name, f"must be below 2**63, got {value!r}")

    @staticmethod
    def check_page(page: int, size: int, max_size: int | None = None) -> None:
        """``page >= 1``; ``1 <= size < 2**63`` (and ``<= max_size`` when one is set).

        serpens 2.9 bounded neither; the size is PostgreSQL's ``bigint`` ``LIMIT``. A page
        past the end, however far, is empty with the true total (no ``OFFSET`` is sent).
        """
        if not _is_int(page) or page < 1:
            raise _bad("bad page", "page", f"must be an integer >= 1, got {page!r}")
        largest = _BIGINT - 1 if max_size is None else max_size
        if not _is_int(size) or not 1 <= size <= largest:
            bounds = "an integer >= 1, below 2**63" if max_size is None else f"in 1..{max_size}"
            raise _bad("bad page size", "size", f"must be {bounds}, got {size!r}")

    @staticmethod
    def check_limit(limit: int, max_size: int | None = None) -> None:
        """``1 <= limit <= max_size`` (:data:`MAX_PAGE_SIZE` when unset): a ``seek``'s page."""
        max_size = MAX_PAGE_SIZE if max_size is None else max_size
        if not _is_int(limit) or not 1 <= limit <= max_size:
            raise _bad("bad page size", "limit", f"must be in 1..{max_size}, got {limit!r}")

    # -- cursors -------------------------------------------------------------------------
    def encode_cursor(self, terms: Sequence[OrderTerm], row: Mapping[str, object]) -> str:
        """Opaque cursor holding the order values of *row* (and the ordering it belongs to)."""
        payload = {"o": [t.label for t in terms], "v": [_dump(row[t.key]) for t in terms]}
        return base64.urlsafe_b64encode(_CURSOR_JSON(payload).encode()).decode().rstrip("=")

    def decode_cursor(self, cursor: str, terms: Sequence[OrderTerm]) -> list[object]:
        """Return the order values in *cursor*; ``ValidationError`` when it is not ours.

        Cursors travel in query strings, so anything may come back: every failure to
        decode is a ``ValidationError`` (never ``ValueError``, ``InvalidOperation``,
        ``RecursionError``...), and each value is checked against its column before any
        backend sees it.
        """
        if not isinstance(cursor, str) or len(cursor) > MAX_CURSOR_LENGTH:
            raise _not_ours()
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            payload = json.loads(raw.decode())  # from str: json.loads skips guessing the encoding
        except (binascii.Error, ValueError, TypeError, RecursionError) as exc:
            raise _not_ours() from exc
        labels = payload.get("o") if isinstance(payload, dict) else None
        values = payload.get("v") if isinstance(payload, dict) else None
        if not isinstance(labels, list) or not isinstance(values, list):
            raise _not_ours()
        if labels != [t.label for t in terms] or len(values) != len(terms):
            raise _bad("bad cursor", "after", "the cursor belongs to a different order_by")
        decoded: list[object] = []
        for term, value in zip(terms, values, strict=True):
            loaded = _load(value)
            if loaded is _INVALID:
                raise _not_ours()
            column = self.columns.get(term.key)
            if column is not None:
                column.check_value(loaded, "after")
            decoded.append(loaded)
        return decoded


MAX_CURSOR_LENGTH = 65536
"""Longest cursor ``seek`` decodes (a bound on the work a tampered one can cause)."""

_INVALID = object()
_CURSOR_JSON = json.JSONEncoder(separators=(",", ":")).encode
"""``json.dumps(payload, separators=(",", ":"))`` without building an encoder per cursor."""


def _not_ours() -> ValidationError:
    """The error of a cursor ``seek`` never returned (built only when one is refused)."""
    return _bad("bad cursor", "after", "not a cursor returned by seek")


_TAGS: dict[str, Callable[[str], object]] = {
    "dt": dt.datetime.fromisoformat,
    "d": dt.date.fromisoformat,
    "dec": Decimal,
    "uuid": uuid.UUID,
}


_CURSOR_TYPES = (str, int, float, Decimal, dt.date, uuid.UUID)  # bool is an int, datetime a date


def _in_cursors(column: ColumnInfo) -> bool:
    """Whether a cursor can carry *column*'s values (``True`` when its type is unknown)."""
    column_type = column.column.type
    impl = getattr(column_type, "impl_instance", column_type)  # a TypeDecorator's own type
    try:
        python_type = impl.python_type
    except NotImplementedError:
        return True
    if python_type is object:
        return True
    if not isinstance(python_type, type) or issubclass(python_type, enum.Enum):
        return False
    return issubclass(python_type, _CURSOR_TYPES)


def _dump(value: object) -> object:
    if isinstance(value, dt.datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"d": value.isoformat()}
    if isinstance(value, Decimal):
        return {"dec": str(value)}
    if isinstance(value, uuid.UUID):
        return {"uuid": str(value)}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise _bad("cannot build a cursor", "order_by", f"unsupported value type {type(value)}")


def _load(value: object) -> object:
    """The value a cursor entry stands for, or ``_INVALID`` when no cursor holds it."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((tag, text),) = value.items()
        if tag in _TAGS and isinstance(text, str):
            try:
                return _TAGS[tag](text)
            except (ValueError, ArithmeticError):  # Decimal's InvalidOperation included
                return _INVALID
    return _INVALID
