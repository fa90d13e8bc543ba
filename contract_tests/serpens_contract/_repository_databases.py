"""Databases that serve the Repository contract's tables: the fake's and SQLAlchemy's.

A :class:`RepositoryDatabase` opens repositories, each in a unit of work of its own, on one
isolated database holding the tables of :mod:`serpens_contract._repository_models`. A
:class:`SharedUnitDatabase` also opens several repositories in one unit of work, as a
service hands one session to the repositories of several models.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Session

from serpens.fakes import (
    AsyncInMemoryRepository,
    InMemoryDatabase,
    InMemoryRepository,
    InMemorySession,
)
from serpens.ports import Repository
from serpens_contract.runner import SyncDriver
from serpens_sqlalchemy import AsyncSQLAlchemyRepository, SQLAlchemyRepository, translate_errors

__all__ = [
    "FakeDatabase",
    "RepositoryDatabase",
    "SQLAlchemyDatabase",
    "SharedUnitDatabase",
    "contract_schema",
]

M = TypeVar("M")


class RepositoryDatabase(Protocol):
    """One isolated database holding the contract tables, empty when created."""

    def repository(self, model: type[M]) -> Repository[M]:
        """A repository of *model* in a new unit of work (session) on this database."""
        ...

    def commit(self, repository: Repository[Any]) -> None:
        """Commit *repository*'s unit of work so other units of work see its writes."""
        ...

    def rollback(self, repository: Repository[Any]) -> None:
        """Roll back *repository*'s unit of work: its uncommitted writes are discarded."""
        ...

    def close_unit_of_work(self, repository: Repository[Any]) -> None:
        """End *repository*'s unit of work without committing (a session's ``close()``)."""
        ...

    def close(self) -> None:
        """End every unit of work opened on this database (uncommitted work is discarded)."""
        ...


class SharedUnitDatabase(RepositoryDatabase, Protocol):
    """A :class:`RepositoryDatabase` that also opens repositories sharing one unit of work.

    Needed by the cases that require the ``shared_units_of_work`` capability; a third-party
    database without the method leaves that capability off and those cases are skipped.
    """

    def repositories(self, *models: type[Any]) -> tuple[Repository[Any], ...]:
        """Repositories of *models*, in order, sharing one new unit of work (one session).

        :meth:`~RepositoryDatabase.commit`, :meth:`~RepositoryDatabase.rollback` and
        :meth:`~RepositoryDatabase.close_unit_of_work` of any of them act on that unit of
        work, as each would call the one ``Session`` they share. A model may be given twice.
        """
        ...


class FakeDatabase:
    """:class:`RepositoryDatabase` over the in-memory fake (sync, or async via SyncDriver)."""

    def __init__(
        self,
        runner: asyncio.Runner | None = None,
        factory: Callable[..., Any] | None = None,
    ) -> None:
        self.database = InMemoryDatabase()
        self.runner = runner
        self.factory = factory
        self._opened: list[Any] = []

    def repository(self, model: type[M]) -> Repository[M]:
        if self.runner is None:
            make = self.factory or InMemoryRepository
            repo: Repository[M] = make(model, database=self.database)
            self._opened.append(repo)
            return repo
        make = self.factory or AsyncInMemoryRepository
        target = make(model, database=self.database)
        self._opened.append(target)
        return SyncDriver(target, self.runner)

    def repositories(self, *models: type[Any]) -> tuple[Repository[Any], ...]:
        """Repositories of *models* over one :class:`~serpens.fakes.InMemorySession`."""
        session = InMemorySession(self.database)
        if self.runner is None:
            make = self.factory or InMemoryRepository
            opened = [make(model, session=session) for model in models]
            self._opened.extend(opened)
            return tuple(opened)
        make = self.factory or AsyncInMemoryRepository
        targets = [make(model, session=session) for model in models]
        self._opened.extend(targets)
        return tuple(SyncDriver(target, self.runner) for target in targets)

    def commit(self, repository: Repository[Any]) -> None:
        self._end(repository, "commit")

    def _end(self, repository: Repository[Any], how: str) -> None:
        target: Any = repository.target if isinstance(repository, SyncDriver) else repository
        if self.runner is None:
            getattr(target, how)()
        else:
            self.runner.run(getattr(target, how)())

    def rollback(self, repository: Repository[Any]) -> None:
        self._end(repository, "rollback")

    def close_unit_of_work(self, repository: Repository[Any]) -> None:
        self._end(repository, "close")

    def close(self) -> None:
        """Close every unit of work this database opened (uncommitted work is discarded)."""
        for target in self._opened:
            if self.runner is None:
                target.close()
            else:
                self.runner.run(target.close())
        self._opened.clear()


def contract_schema() -> str:
    """A fresh schema name for one isolated contract database."""
    return f"contract_{uuid.uuid4().hex[:12]}"


class SQLAlchemyDatabase:
    """:class:`RepositoryDatabase` over a SQLAlchemy engine, sync or async.

    Sessions follow serpens' defaults (``autoflush=False``, ``expire_on_commit=False``).
    An async engine needs *runner*, the ``asyncio.Runner`` its connections belong to; its
    repositories are driven through :class:`SyncDriver`. :meth:`close` ends every session.
    """

    def __init__(
        self, engine: sa.Engine | AsyncEngine, runner: asyncio.Runner | None = None
    ) -> None:
        self.engine = engine
        self.runner = runner
        self._sessions: list[Session | AsyncSession] = []

    def repository(self, model: type[M]) -> Repository[M]:
        (repository,) = self.repositories(model)
        return repository

    def repositories(self, *models: type[Any]) -> tuple[Repository[Any], ...]:
        """Repositories of *models* over one new session."""
        if isinstance(self.engine, AsyncEngine):
            assert self.runner is not None, "an async engine needs its asyncio.Runner"
            sess = AsyncSession(self.engine, autoflush=False, expire_on_commit=False)
            self._sessions.append(sess)
            runner = self.runner
            return tuple(SyncDriver(AsyncSQLAlchemyRepository(sess, m), runner) for m in models)
        sync = Session(self.engine, autoflush=False, expire_on_commit=False)
        self._sessions.append(sync)
        return tuple(SQLAlchemyRepository(sync, model) for model in models)

    def _end(self, repository: Repository[Any], how: str) -> None:
        """Call the session's *how*; its failures are serpens errors, as ``db_session``'s."""
        target: Any = repository.target if isinstance(repository, SyncDriver) else repository
        with translate_errors():
            if isinstance(target.sess, AsyncSession):
                assert self.runner is not None
                self.runner.run(getattr(target.sess, how)())
            else:
                getattr(target.sess, how)()

    def commit(self, repository: Repository[Any]) -> None:
        self._end(repository, "commit")

    def rollback(self, repository: Repository[Any]) -> None:
        self._end(repository, "rollback")

    def close_unit_of_work(self, repository: Repository[Any]) -> None:
        self._end(repository, "close")

    def close(self) -> None:
        """Close every session this database opened."""
        for sess in self._sessions:
            if isinstance(sess, AsyncSession):
                assert self.runner is not None
                self.runner.run(sess.close())
            else:
                sess.close()
        self._sessions.clear()
