"""``serpens_sqlalchemy._sync`` is generated from ``_async``; keep the twins identical.

Regenerate with ``python tests/repository/test_twins.py``.
"""

import re
from pathlib import Path

ADAPTER = Path(__file__).resolve().parents[2] / "adapters" / "serpens_sqlalchemy"

_RULES: list[tuple[str, str]] = [
    (
        (
            r"``AsyncRepository\[T\]``: the Repository port over an ``AsyncSession`` "
            r"\(asyncpg, aiosqlite\)"
        ),
        "``Repository[T]``: the Repository port over a ``Session`` (psycopg2, pysqlite)",
    ),
    (r"``_sync.py`` is generated from this file", "Generated from ``_async.py``"),
    (r"from sqlalchemy.ext.asyncio import AsyncSession", "from sqlalchemy.orm import Session"),
    (r"AsyncIterator, Iterable, ", "Iterable, Iterator, "),
    (r"AsyncIterator", "Iterator"),
    (r"AbstractAsyncContextManager", "AbstractContextManager"),
    (r"asynccontextmanager", "contextmanager"),
    (r"__aenter__", "__enter__"),
    (r"__aexit__", "__exit__"),
    (r"an ``AsyncSession``", "a ``Session``"),
    (r"async def ", "def "),
    (r"async with ", "with "),
    (r"await ", ""),
    (r"\((self\.sess\.(?:scalars|execute)\([^()]*\))\)\.", r"\1."),
    (r"acopy_records", "copy_records"),
    (r"aexecute_many", "execute_many"),
    (r"AsyncRepository", "Repository"),
    (r"AsyncSession", "Session"),
    (r"\A", "# ruff: noqa: SIM117 - generated: keeps the async twin's nested with-blocks\n"),
]


def unasync(source: str) -> str:
    for pattern, replacement in _RULES:
        source = re.sub(pattern, replacement, source)
    return source


def test_sync_repository_is_generated_from_the_async_one() -> None:
    expected = unasync((ADAPTER / "_async.py").read_text())
    assert (ADAPTER / "_sync.py").read_text() == expected


if __name__ == "__main__":
    (ADAPTER / "_sync.py").write_text(unasync((ADAPTER / "_async.py").read_text()))
