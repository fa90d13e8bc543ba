"""``order_by`` resolved against a mapped class, and the unique sets a filter pins.

:class:`ModelOrdering` turns names, ``"-name"``, mapped attributes and SQL expressions
into :class:`~._terms.OrderTerm` and :class:`~._terms.RawOrder` terms (the primary key
last, as the tiebreaker), refuses orderings keyset pagination cannot follow, and finds
the unique column sets among a filter's fields.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from serpens._rules.repository._fields import ModelFields
from serpens._rules.repository._pages import _in_cursors
from serpens._rules.repository._terms import OrderTerm, RawOrder
from serpens._rules.repository._values import _JSON_COMPARED, _bad


class ModelOrdering(ModelFields):
    """The orderings of one mapped class."""

    # -- ordering ------------------------------------------------------------------------
    def order(self, order_by: object) -> list[OrderTerm | RawOrder]:
        """Resolve ``order_by`` and append the primary key as the final tiebreaker.

        Accepts names, ``"-name"``, mapped attributes, their ``.asc()``/``.desc()``, or
        other SQL expressions (kept as :class:`RawOrder` for SQL backends).
        """
        if order_by is None or isinstance(order_by, str):  # resolved once per model
            known = self._orders.get(order_by)
            if known is None:
                known = self._orders[order_by] = tuple(self._resolve(order_by))
            return list(known)
        return self._resolve(order_by)

    def _resolve(self, order_by: object) -> list[OrderTerm | RawOrder]:
        if order_by is None:
            items: Sequence[object] = ()
        elif isinstance(order_by, str) or not isinstance(order_by, Sequence):
            items = (order_by,)
        else:
            items = order_by
        terms: list[OrderTerm | RawOrder] = [self._term(item) for item in items]
        named = {t.key for t in terms if isinstance(t, OrderTerm)}
        terms.extend(OrderTerm(k) for k in self.pk if k not in named)
        return terms

    def _term(self, item: object) -> OrderTerm | RawOrder:
        term = self._mapped_term(item)
        if isinstance(term, OrderTerm) and self.columns[term.key].json:
            raise _bad(f"bad order_by for {self.name}", "order_by", _JSON_COMPARED)
        return term

    def _mapped_term(self, item: object) -> OrderTerm | RawOrder:
        if isinstance(item, str):
            descending = item.startswith("-")
            key = item.removeprefix("-")
            self.check_fields([key], "order_by field")
            return OrderTerm(key, descending)
        descending = False
        element: Any = item
        modifier = getattr(getattr(item, "modifier", None), "__name__", None)
        if modifier in {"desc_op", "asc_op"}:
            descending = modifier == "desc_op"
            element = item.element  # type: ignore[attr-defined]
        if getattr(element, "class_", None) is self.model and element.key in self.columns:
            return OrderTerm(element.key, descending)
        for column in getattr(element, "proxy_set", ()):
            found = self.key_of(column)
            if found is not None:
                return OrderTerm(found, descending)
        if not (hasattr(item, "__clause_element__") or hasattr(item, "compile")):
            raise _bad(f"bad order_by for {self.name}", "order_by", f"cannot order by {item!r}")
        if _is_relationship(element):  # SQL would compare the join's columns, or fail
            raise _bad(
                f"bad order_by for {self.name}",
                "order_by",
                f"cannot order by the relationship {element.class_.__name__}.{element.key}: "
                "order by its columns",
            )
        return RawOrder(item)

    def seek_terms(self, order_by: object) -> list[OrderTerm]:
        """Ordering usable for keyset pagination: mapped, non-nullable columns only.

        And only of types a cursor carries (strings, numbers, booleans, ``Decimal``,
        dates and datetimes, UUIDs): a ``LargeBinary`` or ``Enum`` order would fail only
        when a page needed a next cursor, so it is refused up front.
        """
        if order_by is None or isinstance(order_by, str):  # checked once per model
            known = self._seeks.get(order_by)
            if known is None:
                known = self._seeks[order_by] = tuple(self._seekable(self.order(order_by)))
            return list(known)
        return self._seekable(self.order(order_by))

    def _seekable(self, terms: list[OrderTerm | RawOrder]) -> list[OrderTerm]:
        """*terms*, or ``ValidationError`` naming the first one a keyset page cannot use."""
        out: list[OrderTerm] = []
        for term in terms:
            if isinstance(term, RawOrder):
                what = str(term.expression)
            elif self.columns[term.key].nullable or not _in_cursors(self.columns[term.key]):
                what = term.key
            else:
                out.append(term)
                continue
            raise _bad(
                f"keyset pagination of {self.name} needs non-nullable columns a cursor holds",
                "order_by",
                f"{what} cannot be used",
            )
        return out

    def unique_within(self, names: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
        """The unique column sets (primary key first) whose columns are all among *names*.

        Cached per tuple of names: equality filters on them can match one row at most.
        """
        found = self._within.get(names)
        if found is None:
            given = set(names)
            found = self._within[names] = tuple(u for u in self.unique_sets if given.issuperset(u))
        return found


def _is_relationship(element: object) -> bool:
    """Whether *element* is a relationship attribute (``Order.lines``): no value to sort by."""
    from sqlalchemy.orm import RelationshipProperty  # noqa: PLC0415 - lazy SDK import

    return isinstance(getattr(element, "property", None), RelationshipProperty)
