"""``SQLAlchemyOutbox``: the Outbox port in a SQLAlchemy ``Session`` or ``AsyncSession``.

A message is an ``OutboxRecord`` added to the session: it is inserted by the session's
flush, in the transaction of the rows the service writes beside it, so it commits with
them or not at all. Any database the session works on will do (PostgreSQL, SQLite);
the relay's store (``AsyncPostgresOutboxStore``) needs PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from serpens._rules.outbox import stage
from serpens.errors import ConfigurationError
from serpens.ports import Payload

__all__ = ["SQLAlchemyOutbox"]


class SQLAlchemyOutbox:
    """An :class:`serpens.ports.Outbox` staging messages in a SQLAlchemy session.

    Open it on the session the service's repositories use
    (``SQLAlchemyRepository(Model, session)``, ``AsyncSQLAlchemyRepository(Model,
    session)``); :meth:`put` only adds to the session, so it is the same call for a
    ``Session`` and an ``AsyncSession``. The table is ``serpens_outbox``
    (``serpens.outbox.outbox_metadata``: add it to the migrations, or let the store's
    ``create_table()`` make it).

    Args:
        session: a ``Session`` or an ``AsyncSession``.
    """

    def __init__(self, session: Session | AsyncSession) -> None:
        if not isinstance(session, Session | AsyncSession):
            raise ConfigurationError(
                "SQLAlchemyOutbox needs a SQLAlchemy Session or AsyncSession, not a "
                f"{type(session).__name__} (InMemoryOutbox takes an InMemorySession)"
            )
        self.session = session

    def __repr__(self) -> str:
        return f"<SQLAlchemyOutbox on a {type(self.session).__name__}>"

    def put(
        self,
        topic: str,
        payload: Payload,
        *,
        attributes: Mapping[str, str] | None = None,
        ordering_key: str | None = None,
    ) -> str:
        """See :meth:`serpens.ports.Outbox.put`."""
        record = stage(topic, payload, attributes, ordering_key)
        self.session.add(record)
        return record.key
