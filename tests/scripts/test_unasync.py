"""Sync/async twins stay twins.

Generated twins are produced from their async sources by ``scripts/unasync.py`` (its
``--check`` runs here). The hand-written ones (the fakes, ``serpens.database``'s
``bind``/``async_bind``..., the toolkit's handlers, the adapters that wrap a sync client)
must keep the public signatures a user switching between them relies on: every public
module's ``__all__`` is searched for ``X`` / ``AsyncX`` / ``async_x`` pairs, and each pair
must offer the same public methods (``aclose`` counts as ``close``) taking the same
parameters, by name, kind and default.
"""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.test_packaging import public_modules

ROOT = Path(__file__).resolve().parents[2]

Shape = tuple[tuple[str, str, str], ...]

#: Differences a pair is known to have, each with its reason. The test fails when one
#: appears that is not listed here, and also when a listed one disappears (shrink the list).
KNOWN_DIFFERENCES: dict[tuple[str, str], tuple[str, ...]] = {
    # ``invoke`` awaits the handler inside a running loop (tests, ASGI bridges); a sync
    # handler has nothing to await.
    ("serpens.api", "AsyncLambdaHandler"): ("only in AsyncLambdaHandler: invoke",),
    # A FIFO group's records run one at a time in the sync handler only; skipping the rest
    # of a failed group there is an option, and the decorated function is positional-only.
    ("serpens.sqs", "async_handler"): (
        (
            "parameters differ: sync(func/POSITIONAL_ONLY=None, skip_group_on_error/KEYWORD_ONLY="
            "False, max_concurrency/KEYWORD_ONLY=10) vs async(func=None, max_concurrency/"
            "KEYWORD_ONLY=10)"
        ),
    ),
    # A gap, not a design: a ``max_page_size`` set on an AsyncInMemoryRepository subclass
    # is not seen by the sync fake it delegates to (the fake is being rewritten).
    ("serpens.fakes", "AsyncInMemoryRepository"): ("only in InMemoryRepository: max_page_size",),
    # ``from_name`` looks the queue URL up with one blocking call at construction time.
    ("serpens_aws", "AsyncSQSQueue"): ("only in SQSQueue: from_name",),
}


def _sync_name(name: str) -> str | None:
    for marker in ("Async", "async_"):
        if marker in name:
            return name.replace(marker, "", 1)
    return None


def _pairs() -> list[tuple[str, str, str]]:
    found = []
    for module_name in public_modules():
        if module_name.startswith("serpens_contract"):
            continue  # the suites' sync/async classes are test fixtures, not user-facing twins
        names = set(getattr(importlib.import_module(module_name), "__all__", ()))
        for name in sorted(names):
            sync = _sync_name(name)
            if sync is not None and sync in names:
                found.append((module_name, sync, name))
    return found


PAIRS = _pairs()


def _shape(func: Callable[..., Any]) -> Shape:
    parameters = inspect.signature(func).parameters.values()
    return tuple((p.name, p.kind.name, repr(p.default)) for p in parameters)


def _render(name: str, shape: Shape) -> str:
    def one(param: str, kind: str, default: str) -> str:
        shown = param if kind == "POSITIONAL_OR_KEYWORD" else f"{param}/{kind}"
        return shown if default == repr(inspect.Parameter.empty) else f"{shown}={default}"

    return f"{name}({', '.join(one(*p) for p in shape if p[0] != 'self')})"


def _members(cls: type) -> dict[str, Any]:
    """Public methods and attributes, ``__init__`` and a ``__call__``; ``aclose`` is ``close``."""
    members: dict[str, Any] = {}
    own_call = any("__call__" in vars(klass) for klass in cls.__mro__ if klass is not object)
    for name in dir(cls):
        if name.startswith("_") and name != "__init__" and (name, own_call) != ("__call__", True):
            continue
        members["close" if name == "aclose" else name] = inspect.getattr_static(cls, name)
    return members


def _callable_of(member: Any) -> Callable[..., Any] | None:
    if isinstance(member, staticmethod | classmethod):
        return member.__func__  # type: ignore[no-any-return]
    return member if callable(member) else None


def _differences(sync: Any, twin: Any) -> list[str]:
    if not (inspect.isclass(sync) and inspect.isclass(twin)):
        if _shape(sync) == _shape(twin):
            return []
        mine, other = _render("sync", _shape(sync)), _render("async", _shape(twin))
        return [f"parameters differ: {mine} vs {other}"]
    ours, theirs = _members(sync), _members(twin)
    problems = [f"only in {sync.__name__}: {name}" for name in sorted(ours.keys() - theirs)]
    problems += [f"only in {twin.__name__}: {name}" for name in sorted(theirs.keys() - ours)]
    for name in sorted(ours.keys() & theirs):
        mine, other = _callable_of(ours[name]), _callable_of(theirs[name])
        if (mine is None) != (other is None):
            problems.append(f"{name}: a method in one twin only")
        elif mine is not None and other is not None and _shape(mine) != _shape(other):
            problems.append(
                f"{name} differs: {_render(name, _shape(mine))} vs {_render(name, _shape(other))}"
            )
    return problems


def test_every_generated_twin_matches_its_async_source() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "unasync.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_the_pairs_users_switch_between_are_all_found() -> None:
    found = {(module, sync, twin) for module, sync, twin in PAIRS}
    expected = {
        ("serpens.fakes", "InMemoryRepository", "AsyncInMemoryRepository"),
        ("serpens.fakes", "InMemoryCache", "AsyncInMemoryCache"),
        ("serpens.fakes", "InMemoryQueue", "AsyncInMemoryQueue"),
        ("serpens.database", "Repository", "AsyncRepository"),
        ("serpens.database", "bind", "async_bind"),
        ("serpens.database", "db_session", "async_db_session"),
        ("serpens.database", "dispose", "async_dispose"),
        ("serpens.database", "get_engine", "get_async_engine"),
        ("serpens.database", "fastapi_session", "fastapi_async_session"),
        ("serpens.database", "SessionLocal", "AsyncSessionLocal"),
        ("serpens_sqlalchemy", "SQLAlchemyRepository", "AsyncSQLAlchemyRepository"),
        ("serpens_redis", "RedisCache", "AsyncRedisCache"),
        ("serpens_aws", "SQSQueue", "AsyncSQSQueue"),
        ("serpens_sqlalchemy", "PostgresQueue", "AsyncPostgresQueue"),
        ("serpens.ports", "Repository", "AsyncRepository"),
    }
    assert expected <= found, sorted(expected - found)


@pytest.mark.parametrize(("module", "sync", "twin"), PAIRS, ids=[f"{m}.{t}" for m, _, t in PAIRS])
def test_hand_written_twins_offer_the_same_public_signatures(
    module: str, sync: str, twin: str
) -> None:
    imported = importlib.import_module(module)
    problems = _differences(getattr(imported, sync), getattr(imported, twin))
    assert tuple(problems) == KNOWN_DIFFERENCES.get((module, twin), ())


def test_a_changed_parameter_is_reported() -> None:
    class Sync:
        def get(self, key: str, *, default: int = 0) -> int:
            return default

        def close(self) -> None:
            return None

    class Async:
        async def get(self, key: str, default: int = 0) -> int:
            return default

        async def aclose(self) -> None:
            return None

        async def extra(self) -> None:
            return None

    assert _differences(Sync, Async) == [
        "only in Async: extra",
        "get differs: get(key, default/KEYWORD_ONLY=0) vs get(key, default=0)",
    ]
