"""Mutant SQLAlchemy repositories: the Repository suite must fail when the adapter drifts.

Each mutant is the async SQLAlchemy adapter with one deliberate bug, run on aiosqlite (no
server to start) in a pytester sandbox; the tests that pin the broken behaviour must fail.
"""

import pytest

ADAPTER_SUITE = """
import asyncio
import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from serpens_contract import RepositoryContract
from serpens_contract import SyncDriver
from serpens_contract.repository import ContractBase, SQLAlchemyDatabase
from serpens_sqlalchemy import AsyncSQLAlchemyRepository, configure_sqlite
from serpens_sqlalchemy._async_repository import _FirstWrite
from serpens_sqlalchemy._repository_statements import untouched


class RollsBackWhatItLoaded(AsyncSQLAlchemyRepository):
    # a write outside a transaction is a "first write" even when the session holds
    # objects: its failure rolls the session back whole and expires them
    def _atomic(self):
        return _FirstWrite(self.sess) if not self.sess.in_transaction() else self._savepoint()


class FlushesPendingUnchecked(AsyncSQLAlchemyRepository):
    # the savepoint of a write flushes what is pending first: unchecked, a wrong value
    # set on a loaded object reaches the driver (SQLite stores it)
    def _atomic(self):
        if untouched(self.sess, self._info.mapper):
            return _FirstWrite(self.sess)
        return self._savepoint()


def _cell(repository_class):
    class Database(SQLAlchemyDatabase):
        def repository(self, model):
            sess = AsyncSession(self.engine, autoflush=False, expire_on_commit=False)
            self._sessions.append(sess)
            return SyncDriver(repository_class(sess, model), self.runner)

    class Cell(RepositoryContract):
        @pytest.fixture
        def open_repository_database(self, tmp_path):
            opened = []
            runner = asyncio.Runner()

            async def create(engine):
                async with engine.begin() as conn:
                    await conn.run_sync(ContractBase.metadata.create_all)

            def open_database():
                path = tmp_path / f"{uuid.uuid4().hex}.db"
                engine = create_async_engine(f"sqlite+aiosqlite:///{path}")
                configure_sqlite(engine)
                runner.run(create(engine))
                opened.append(Database(engine, runner))
                return opened[-1]

            yield open_database
            for db in opened:
                db.close()
                runner.run(db.engine.dispose())
            runner.close()

    return Cell


TestGenuine = _cell(AsyncSQLAlchemyRepository)
TestRollsBackWhatItLoaded = _cell(RollsBackWhatItLoaded)
TestFlushesPendingUnchecked = _cell(FlushesPendingUnchecked)
"""

ADAPTER_MUST_FAIL = {
    "TestRollsBackWhatItLoaded": {
        "test_a_conflict_right_after_a_commit_leaves_the_loaded_objects_loaded"
    },
    "TestFlushesPendingUnchecked": {"test_a_write_checks_the_changed_objects_it_flushes_first"},
}


@pytest.mark.usefixtures("mutant_settings")
def test_the_suite_catches_every_adapter_mutant(pytester: pytest.Pytester) -> None:
    """Mutants of the SQLAlchemy adapter, on aiosqlite (no server to start).

    In a subprocess: SQLAlchemy's mapped classes do not survive a second in-process
    sandbox of the same models.
    """
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_adapter_mutants=ADAPTER_SUITE)
    wanted = " or ".join(sorted({test for tests in ADAPTER_MUST_FAIL.values() for test in tests}))
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-q", "-rfE", "-k", f"conflict or {wanted}"
    )  # fmt: skip
    failed: dict[str, set[str]] = {}
    for line in result.outlines:
        node = line.split()[1] if line.startswith(("FAILED ", "ERROR ")) else ""
        if node.count("::") == 2:  # file::class::test
            _, cls, test = node.split("::")
            failed.setdefault(cls, set()).add(test.split("[")[0])
    assert result.parseoutcomes().get("passed"), "the sandbox ran nothing"
    assert "TestGenuine" not in failed, failed.get("TestGenuine")  # the suite is sound
    for mutant, tests in ADAPTER_MUST_FAIL.items():
        missed = tests - failed.get(mutant, set())
        assert not missed, f"{mutant} slipped through {sorted(missed)}"
