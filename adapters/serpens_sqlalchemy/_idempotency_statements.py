"""The SQL of the PostgreSQL idempotency store: its table and one statement per decision.

Each record is a row keyed by ``(namespace, key)``: the claim's ``fingerprint``, its
fencing ``token``, whether it is ``done``, ``until`` (the end of its lease, or of its
result's TTL, in microseconds since the epoch) and the ``result``'s JSON text. The
result is ``text``, not ``jsonb``: ``jsonb`` reorders keys and refuses the NUL
character, and the store replays the very text it was given. Times are the server's
``clock_timestamp()`` in microseconds (:data:`NOW`), so every host agrees on when a
lease ends; each statement takes it once, in its first CTE, and decides on it as
:mod:`serpens._rules.idempotency` does in Python. A decision never deletes a row (a
released or lapsed record keeps its token, so the next claim's is above it);
:attr:`IdempotencyStatements.purge` deletes the ones that ended.
"""

# ruff: noqa: S608 - the only interpolated name is the table, checked by check_identifier

from __future__ import annotations

from sqlalchemy import text

from serpens_sqlalchemy._queue_statements import check_identifier

__all__ = ["NOW", "IdempotencyStatements"]

NOW = "(extract(epoch FROM clock_timestamp()) * 1000000)::bigint"
"""The server's time in whole microseconds (``extract`` is exact ``numeric`` on 14+)."""


class IdempotencyStatements:
    """The statements of the idempotency records kept in one table (built once, no I/O).

    Parameters: ``:ns`` the namespace, ``:key``, ``:fp`` the fingerprint, ``:token``,
    ``:lease`` and ``:ttl`` in microseconds, ``:result`` the JSON text, ``:n`` a count.
    """

    __slots__ = ("claim", "complete", "create", "exists", "lock", "purge", "release", "table")

    def __init__(self, table: str) -> None:
        self.table = t = check_identifier(table)
        #: one ``create_table`` at a time per table (a transaction-scoped advisory lock)
        self.lock = text("SELECT pg_advisory_xact_lock(hashtext(:k))").bindparams(k=t)
        #: ``to_regclass`` resolves the name as the statements do (search path, case folding)
        self.exists = text("SELECT to_regclass(:t) IS NOT NULL").bindparams(t=t)
        self.create = text(
            f"CREATE TABLE IF NOT EXISTS {t} ("
            " namespace text NOT NULL,"
            " key text NOT NULL,"
            " fingerprint text NOT NULL,"
            " token bigint NOT NULL,"
            " done boolean NOT NULL,"
            " until bigint NOT NULL,"
            " result text,"
            " PRIMARY KEY (namespace, key))"
        )
        #: one row: ``taken``, the token of the claim made (the key was free: never
        #: claimed, released, lapsed or expired), else the key's live record as the
        #: statement's snapshot saw it (``fingerprint`` ... ``result``) and ``now``, for
        #: :func:`~serpens._rules.idempotency.decide`. Neither means a race: a claim
        #: committed between the snapshot and the conflict check (the caller runs the
        #: statement again; see ``AsyncPostgresIdempotencyStore.claim``). In the
        #: ``ON CONFLICT`` clause ``EXCLUDED.token`` is the statement's ``now``; a row that
        #: is not free is locked, not changed.
        self.claim = text(
            f"WITH c AS (SELECT {NOW} AS now),"
            f" taken AS (INSERT INTO {t} AS r (namespace, key, fingerprint, token, done, until)"
            " SELECT CAST(:ns AS text), CAST(:key AS text), CAST(:fp AS text), c.now, false,"
            " c.now + CAST(:lease AS bigint) FROM c"
            " ON CONFLICT (namespace, key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint,"
            " token = GREATEST(EXCLUDED.token, r.token + 1), done = false,"
            " until = EXCLUDED.until, result = NULL"
            " WHERE r.until <= EXCLUDED.token"
            " RETURNING r.token)"
            " SELECT taken.token AS taken, r.fingerprint, r.token, r.done, r.until, r.result,"
            " c.now FROM c LEFT JOIN taken ON true"
            f" LEFT JOIN {t} AS r ON taken.token IS NULL AND r.namespace = :ns"
            " AND r.key = :key AND r.until > c.now"
        )
        # the claim of :token still holds: in progress, its token, within its lease
        holds = (
            "r.namespace = :ns AND r.key = :key AND r.token = CAST(:token AS bigint)"
            " AND NOT r.done AND c.now < r.until"
        )
        #: stores the result while the claim holds; a row when it did
        self.complete = text(
            f"WITH c AS (SELECT {NOW} AS now) UPDATE {t} AS r SET done = true,"
            " until = c.now + CAST(:ttl AS bigint), result = CAST(:result AS text)"
            f" FROM c WHERE {holds} RETURNING r.token"
        )
        #: frees the key while the claim holds (the row, and so its token, stays); a row
        #: when it did
        self.release = text(
            f"WITH c AS (SELECT {NOW} AS now) UPDATE {t} AS r SET until = 0"
            f" FROM c WHERE {holds} RETURNING r.token"
        )
        #: deletes up to ``:n`` records of the namespace that ended, skipping any a call
        #: holds locked; each has a token below ``now``, so a later claim's is above it
        self.purge = text(
            f"WITH c AS (SELECT {NOW} AS now), ended AS (SELECT r.ctid FROM {t} AS r, c"
            " WHERE r.namespace = :ns AND r.until <= c.now AND r.token < c.now"
            " LIMIT :n FOR UPDATE OF r SKIP LOCKED)"
            f" DELETE FROM {t} AS r USING ended WHERE r.ctid = ended.ctid"
        )
