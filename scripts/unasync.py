"""Generate the synchronous twins from their asynchronous sources.

serpens writes an adapter once, against the async SDK, and derives the sync twin
mechanically, as httpcore does: each pair below names its async source, the generated
file, and the rewrite rules (regular expressions, applied in order after the common
ones). The result is formatted with ``ruff format`` and starts with a "generated, do not
edit" header, so a hand edit of a generated file shows up at once.

Usage::

    python scripts/unasync.py           # rewrite every generated twin
    python scripts/unasync.py --check   # exit 1 and name the stale twins (CI runs this)

A regular-expression table rather than the ``unasync`` package: that package maps
whole directories (``_async/`` to ``_sync/``) and rewrites names only, while serpens'
twins sit side by side and need their docstrings and a few calls rewritten too.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

Rule = tuple[str, str]

#: Rewrites every pair shares: the async keywords and the standard library's async names.
COMMON_RULES: tuple[Rule, ...] = (
    (r"\bAsyncIterator\b", "Iterator"),
    (r"\bAsyncIterable\b", "Iterable"),
    (r"\bAsyncGenerator\b", "Generator"),
    (r"\bAbstractAsyncContextManager\b", "AbstractContextManager"),
    (r"\basynccontextmanager\b", "contextmanager"),
    (r"\b__aenter__\b", "__enter__"),
    (r"\b__aexit__\b", "__exit__"),
    (r"\b__aiter__\b", "__iter__"),
    (r"\b__anext__\b", "__next__"),
    (r"\basync def ", "def "),
    (r"\basync with ", "with "),
    (r"\basync for ", "for "),
    (r"\bawait ", ""),
)


@dataclass(frozen=True)
class Pair:
    """One generated twin: *target* is produced from *source* by the rules.

    *noqa* is a file-level ruff exemption the generated text needs (``None``: none).
    """

    source: str
    target: str
    rules: tuple[Rule, ...]
    noqa: str | None = "SIM117 - keeps the async source's nested with-blocks"

    def generate(self) -> str:
        """The target's text, formatted, with the generated-file header."""
        text = (ROOT / self.source).read_text(encoding="utf-8")
        for pattern, replacement in (*COMMON_RULES, *self.rules):
            text = re.sub(pattern, replacement, text)
        header = f"# Generated from {self.source}\n# by scripts/unasync.py: do not edit.\n"
        if self.noqa is not None:
            header += f"# ruff: noqa: {self.noqa}\n"
        return _ruff_format(header + text, self.target)


PAIRS: tuple[Pair, ...] = (
    Pair(
        source="adapters/serpens_sqlalchemy/_async_repository.py",
        target="adapters/serpens_sqlalchemy/_repository.py",
        rules=(
            (
                r"``AsyncSQLAlchemyRepository\[T\]``: the Repository port over an ``AsyncSession``",
                "``SQLAlchemyRepository[T]``: the Repository port over a ``Session``",
            ),
            (r"Drivers: asyncpg, aiosqlite\.", "Drivers: psycopg2, pysqlite."),
            (
                r"``_repository.py`` is generated from this file",
                "Generated from ``_async_repository.py``",
            ),
            (
                r"from sqlalchemy.ext.asyncio import AsyncSession",
                "from sqlalchemy.orm import Session",
            ),
            (r"Iterator, Iterable, ", "Iterable, Iterator, "),
            (r"an ``AsyncSession``", "a ``Session``"),
            (r"\((self\.sess\.(?:scalars|execute)\([^()]*\))\)\.", r"\1."),
            (r"\bacopy_records\b", "copy_records"),
            (r"\baexecute_many\b", "execute_many"),
            (r"\bAsyncSQLAlchemyRepository\b", "SQLAlchemyRepository"),
            (r"\bAsyncRepository\b", "Repository"),
            (r"\bAsyncSession\b", "Session"),
        ),
    ),
    Pair(
        source="adapters/serpens_redis/_async_cache.py",
        target="adapters/serpens_redis/_cache.py",
        rules=(
            (r"over ``redis\.asyncio``", "over the sync ``redis`` client"),
            (r"``_cache.py`` is generated from this file", "Generated from ``_async_cache.py``"),
            (r"import asyncio\n", ""),
            (r"\basyncio\.sleep\b", "time.sleep"),
            (r"from redis import asyncio as aioredis", "import redis"),
            (r"\bredis\.asyncio\.Redis\b", "redis.Redis"),
            (r"\baioredis\.", "redis."),
            (r"\bAwaitable, ", ""),
            (r"\bAwaitable\[([^\[\]]*)\]", r"\1"),
            (r"\bAn (:class:`~serpens\.ports\.)AsyncCache`", r"A \1Cache`"),
            (r"\bAsyncCache\b", "Cache"),
            (r"\bAsync(Flight|LockKeeper|RedisCache)\b", r"\1"),
            (r"\bplain_async_client\b", "plain_sync_client"),
            (r"\basync_(executor|pool)\b", r"sync_\1"),
            (
                r"PoolSettings, sync_executor, sync_pool, plain_sync_client",
                "PoolSettings, plain_sync_client, sync_executor, sync_pool",
            ),
            (r"\baclose\b", "close"),
        ),
        noqa=None,
    ),
    Pair(
        source="adapters/serpens_sqlalchemy/_async_queue.py",
        target="adapters/serpens_sqlalchemy/_queue.py",
        rules=(
            (r"PostgreSQL \(asyncpg\)", "PostgreSQL (psycopg2)"),
            (r"``_queue.py`` is generated from this file", "Generated from ``_async_queue.py``"),
            (r"\n\n    An ``AsyncEngine``'s pool belongs to one event loop[^\n]*", ""),
            # psycopg2's connect is not cancelled: only asyncpg's opens apart
            (r"from serpens_sqlalchemy\._connect import open_apart\n", ""),
            (r"\n        open_apart\(engine\.sync_engine\)[^\n]*", ""),
            (r", and makes\n    it open each connection in a task[^)]*\)", ")"),
            (r"import asyncio\n", ""),
            (r"\basyncio\.sleep\b", "time.sleep"),
            (
                r"from sqlalchemy\.ext\.asyncio import AsyncConnection, AsyncEngine",
                "from sqlalchemy import Connection, Engine",
            ),
            # the sync Connection holds its pooled connection; asyncpg's is fetched
            (r"\bconn\.get_raw_connection\(\)", "conn.connection"),
            (r"\bengine\.sync_engine\b", "engine"),
            (r"\bcheck_async_engine\b", "check_engine"),
            (r"\bAsyncPostgresQueue\b", "PostgresQueue"),
            (r"\bAsyncQueue\b", "Queue"),
            (r"\bAsyncConnection\b", "Connection"),
            (r"\bAsyncEngine\b", "Engine"),
        ),
    ),
)


def _ruff_format(text: str, filename: str) -> str:
    result = subprocess.run(  # noqa: S603 - our own interpreter running ruff on our own text
        [sys.executable, "-m", "ruff", "format", "--stdin-filename", filename, "-"],
        input=text,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if result.returncode != 0:
        raise SystemExit(f"ruff format failed on the generated {filename}:\n{result.stderr}")
    return result.stdout


def main(argv: list[str] | None = None) -> int:
    """Regenerate the twins, or with ``--check`` report the stale ones."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report stale twins, write nothing")
    args = parser.parse_args(argv)
    stale = []
    for pair in PAIRS:
        expected = pair.generate()
        target = ROOT / pair.target
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current == expected:
            continue
        stale.append(pair.target)
        if not args.check:
            target.write_text(expected, encoding="utf-8")
    if args.check and stale:
        names = "\n  ".join(stale)
        sys.stderr.write(f"stale generated twins (run python scripts/unasync.py):\n  {names}\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
