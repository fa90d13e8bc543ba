"""``AsyncPostgresIdempotencyStore``: the IdempotencyStore port in PostgreSQL (asyncpg).

For services that have PostgreSQL but no Redis. Every store's records live as rows of one
table (``serpens_idempotency`` by default), keyed by the store's namespace and the key;
the SQL is in ``_idempotency_statements.py``. Each call is one statement in autocommit,
decided on the server's ``clock_timestamp()``, so hosts whose clocks disagree agree on
leases and TTLs: a claim is one ``INSERT ... ON CONFLICT DO UPDATE ... WHERE`` (the key
is free) that also returns the live record it met; a completion and a release are one
conditional ``UPDATE``. Concurrent claims of one free key serialise on its row: one
takes it, the others meet it (a claim that met a record too new for its snapshot runs
again, in a transaction). The decisions are those of :mod:`serpens._rules.idempotency`.

Deadlines, the translation of driver errors and connects a cancel never lands in are the
PostgreSQL queue's (``_deadline.py``, ``_queue_statements.py``, ``_connect.py``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, TextClause
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.ext.asyncio import AsyncEngine

from serpens._rules.idempotency import (
    Record,
    check_claim,
    check_claim_args,
    check_result,
    check_seconds,
    decide,
    lease_lost,
    read_result,
)
from serpens._rules.text import has_utf8
from serpens.errors import BackendError, ValidationError
from serpens.ports import Claim, JSONValue, Replay
from serpens_sqlalchemy._idempotency_statements import IdempotencyStatements
from serpens_sqlalchemy._queue_statements import (
    translate_queue_errors,
)
from serpens_sqlalchemy._stores import TableStore, begin_within, undefined_table

__all__ = ["AsyncPostgresIdempotencyStore"]

MAX_NAMESPACE_BYTES = 256
"""Longest namespace, in UTF-8 bytes: with a 1,024-byte key, a primary key's index entry
stays well below PostgreSQL's limit (about 2,700 bytes)."""
_TOKENS = range(-(2**63), 2**63)
"""The tokens a ``bigint`` holds: a claim with any other was never issued, so holds nothing."""


def _check_namespace(namespace: object) -> str:
    """Return *namespace* if it is a str of at most 256 UTF-8 bytes without NUL."""
    if (
        not isinstance(namespace, str)
        or not has_utf8(namespace)
        or "\x00" in namespace
        or len(namespace.encode()) > MAX_NAMESPACE_BYTES
    ):
        raise ValidationError(
            f"namespace must be a str of at most {MAX_NAMESPACE_BYTES} UTF-8 bytes without "
            f"NUL or lone surrogates, got {namespace!r}"
        )
    return namespace


class AsyncPostgresIdempotencyStore(TableStore):
    """An :class:`~serpens.ports.IdempotencyStore` kept in a PostgreSQL table (asyncpg).

    PostgreSQL only (SQLite has neither data-modifying CTEs nor ``clock_timestamp()``):
    use ``InMemoryIdempotencyStore`` in unit tests. Strict: an unreachable database
    raises :class:`~serpens.errors.BackendUnavailableError` or
    :class:`~serpens.errors.BackendTimeoutError` (never fail-open: a missed record would
    run a call twice).

    Args:
        engine: a SQLAlchemy ``AsyncEngine`` on PostgreSQL (asyncpg).
        namespace: the namespace of every key (at most 256 UTF-8 bytes): stores on other
            namespaces never meet; many share one table.
        table: the table name (letters, digits, underscores); created on the first call
            that finds it missing, or by :meth:`create_table`.
        deadline: the client-side deadline of each round trip (connect aside: the
            driver's connect timeout, asyncpg's ``timeout``) in seconds; ``None``: the
            engine's. An engine without deadlines (not from :func:`serpens.database.bind`)
            gets this one, or 7 s, for every round trip including the pool's pre-ping.
            Past it the connection is dropped and the call raises ``BackendTimeoutError``.

    Construction does no I/O (it may install client-side deadlines on *engine* and make
    it open each connection in a task of its own, as ``AsyncPostgresQueue`` does). A call
    is one statement in autocommit, without ``BEGIN`` and ``COMMIT`` round trips (a claim
    that races another on one key: a short transaction more, as :meth:`claim` says).
    Records that ended stay in the table until :meth:`purge` deletes them.

    An ``AsyncEngine``'s pool belongs to one event loop: use it on the loop that made it.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        namespace: str = "default",
        *,
        table: str = "serpens_idempotency",
        deadline: float | None = None,
    ) -> None:
        self.namespace = _check_namespace(namespace)
        self._sql = IdempotencyStatements(table)
        self._bind(
            engine,
            deadline,
            relies_on="INSERT ... ON CONFLICT and clock_timestamp()",
            fake="InMemoryIdempotencyStore",
        )  # a raced claim reads committed rows in its second statement (read committed)
        self.table = self._sql.table

    def __repr__(self) -> str:
        return f"AsyncPostgresIdempotencyStore({self.namespace!r}, table={self.table!r})"

    async def create_table(self) -> None:
        """Create the table if it does not exist (idempotent; calls take turns on a lock).

        A call that finds the table missing runs this itself; call it at deploy time when
        the service's role may not create tables. It reads the catalog first, so on an
        existing table it runs no DDL and takes no lock on the table.
        """
        with translate_queue_errors(f"idempotency table {self.table!r}"):
            async with begin_within(self._engine, self._deadline) as conn:
                await conn.execute(self._sql.lock)
                if not (await conn.execute(self._sql.exists)).scalar_one():
                    await conn.execute(self._sql.create)

    async def _run(self, statement: TextClause, params: dict[str, Any]) -> Row[Any] | None:
        """Run one statement in autocommit (:meth:`_rows`): its row, if it returned one."""
        rows = await self._rows(statement, params, f"idempotency key {params['key']!r}")
        return rows[0] if rows else None

    async def _claim_raced(self, params: dict[str, Any]) -> Row[Any]:
        """Claim again after a race, in a transaction that decides by its second statement.

        The first statement answers, or locks the live record a concurrent claim committed
        since the statement's snapshot; the second, on a new snapshot (read committed),
        sees that record, which nobody can change while it is locked.
        """
        with translate_queue_errors(f"idempotency key {params['key']!r}"):
            async with begin_within(self._engine, self._deadline) as conn:
                for _ in range(2):
                    row = (await conn.execute(self._sql.claim, params)).one()
                    if row.taken is not None or row.fingerprint is not None:
                        return row
        raise BackendError(  # not reached: the second statement sees the locked record
            f"PostgreSQL could not decide the claim of idempotency key {params['key']!r}"
        )

    async def claim(self, key: str, *, lease: float, fingerprint: str = "") -> Claim | Replay:
        """See :meth:`serpens.ports.IdempotencyStore.claim`.

        One statement. When another claim of the key commits between the statement's
        snapshot and its conflict check (it finds no record it can read, and none to
        take), the claim runs again in a transaction of at most two statements.
        """
        lease_ms = check_claim_args(key, fingerprint, lease)
        params = {"ns": self.namespace, "key": key, "fp": fingerprint, "lease": lease_ms * 1000}
        row = await self._run(self._sql.claim, params)
        if row is None or (row.taken is None and row.fingerprint is None):
            row = await self._claim_raced(params)
        if row.taken is not None:
            return Claim(key, int(row.taken), lease_ms / 1000)
        record = Record(row.fingerprint, row.token, row.done, row.until, row.result)
        live = decide(record, key, fingerprint, row.now)  # raises InProgress or KeyReused
        if live is None:  # not reached: the statement returns live records only
            raise BackendError(f"PostgreSQL returned an ended record of idempotency key {key!r}")
        return Replay(key, read_result(live.result))

    async def complete(self, claim: Claim, result: JSONValue, *, ttl: float) -> None:
        """See :meth:`serpens.ports.IdempotencyStore.complete`."""
        check_claim(claim)
        ttl_ms = check_seconds(ttl, "ttl")
        text = check_result(result, claim.key)
        params = self._held(claim) | {"ttl": ttl_ms * 1000, "result": text}
        if claim.token not in _TOKENS or await self._run(self._sql.complete, params) is None:
            raise lease_lost(claim.key)

    async def release(self, claim: Claim) -> bool:
        """See :meth:`serpens.ports.IdempotencyStore.release`."""
        check_claim(claim)
        if claim.token not in _TOKENS:
            return False
        return await self._run(self._sql.release, self._held(claim)) is not None

    def _held(self, claim: Claim) -> dict[str, Any]:
        return {"ns": self.namespace, "key": claim.key, "token": claim.token}

    async def purge(self, *, limit: int = 1000) -> int:
        """Delete up to *limit* records of this namespace that ended; return how many.

        A record ends when its lease or its result's TTL does, or when it is released;
        a decision never deletes one, so call this now and then (a scheduled job) to
        keep the table small. Records a call holds locked are skipped; the next claim of
        a purged key gets a token above the purged one's, as it would have.
        """
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValidationError(f"limit must be an int >= 1, got {limit!r}")
        with translate_queue_errors(f"idempotency namespace {self.namespace!r}"):
            try:
                async with begin_within(self._autocommit, self._deadline) as conn:
                    params = {"ns": self.namespace, "n": limit}
                    return (await conn.execute(self._sql.purge, params)).rowcount
            except ProgrammingError as exc:
                if not undefined_table(exc):
                    raise
        return 0  # no table: no records
