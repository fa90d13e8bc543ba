"""Which compiled INSERTs asyncpg's ``unnest`` rewrite takes, and which it leaves alone.

``_unnest_plan`` turns ``VALUES ($1::t, ..., $n::t)`` into ``SELECT * FROM unnest($1::t[],
...)``, one array per column, keeping any later placeholder a scalar (the ``ON CONFLICT``
clause's constants). It may do so only when ``VALUES`` holds ``$1..$n`` in order and no row
value is bound after it; otherwise the arrays would land in the wrong columns, or a row's
value would have no scalar to take. This pins that it then declines (``None``: the
statement goes the ordinary way). ``test_repository_bulk.py`` has the shape it rewrites.
"""

from __future__ import annotations

from serpens_sqlalchemy._repository_executemany import _unnest_plan

ROWS: list[dict[str, object]] = [{"a": "x", "b": "y"}, {"a": "z", "b": "w"}]


def test_values_not_numbered_in_order_keep_the_ordinary_path() -> None:
    """``VALUES ($2, $1)``: arrays built by position would swap the columns."""
    swapped = "INSERT INTO t (a, b) VALUES ($2::VARCHAR, $1::VARCHAR)"
    assert _unnest_plan(swapped, ["b", "a"], ["a", "b"], {}, ROWS) is None


def test_a_row_value_bound_after_values_keeps_the_ordinary_path() -> None:
    """``SET b = $3`` binding the row's own ``b``: one scalar cannot stand for every row."""
    reused = (
        "INSERT INTO t (a, b) VALUES ($1::VARCHAR, $2::VARCHAR) "
        "ON CONFLICT (a) DO UPDATE SET b = $3::VARCHAR"
    )
    assert _unnest_plan(reused, ["a", "b", "b"], ["a", "b"], {}, ROWS) is None
