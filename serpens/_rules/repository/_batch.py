"""A checked batch of row dicts that keeps each field's values as the checks gathered them.

The batch checks (:meth:`ModelWrites.batch`) build one list of values per field to check
10k rows at C speed. The SQL adapter's fast paths need the same lists: COPY's text is
built column by column, ``unnest`` takes one array per column, and a tuple per row is
those lists zipped. :class:`Batch` hands them on, so a 10k-row write does not gather its
values twice.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence


class Batch(list[dict[str, object]]):
    """Checked row dicts, with :attr:`columns`: each field's values in row order.

    Every row has the same fields (the checks proved it). The lists are the checks' own,
    shared, not copied: no one changes them, as no one changes the rows.
    """

    __slots__ = ("columns",)

    def __init__(self, rows: list[dict[str, object]], columns: Mapping[str, list[object]]) -> None:
        super().__init__(rows)
        self.columns: Mapping[str, list[object]] = columns
        """Each field's values in row order, keyed as the rows are."""


def column_values(rows: Sequence[Mapping[str, object]], key: str) -> list[object]:
    """The value of *key* in every row, in row order: a :class:`Batch`'s own list if it has one.

    Any other sequence of row dicts is read at C speed, one getter over the rows.
    """
    if type(rows) is Batch:
        found = rows.columns.get(key)
        if found is not None:
            return found
    return list(map(operator.itemgetter(key), rows))
