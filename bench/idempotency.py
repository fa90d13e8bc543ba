"""Idempotency: the machinery's cost per call, without I/O, against Powertools'.

Both sides run a function that does nothing under their idempotency decorator, on an
in-memory store, with the same key and payload check (serpens' ``fingerprint``,
Powertools' ``payload_validation_jmespath``):

- a first call (a new key every call: claim, run, store the result);
- a replay (the same key again: the stored result, the function not run).

The baseline is Powertools' ``idempotent_function`` over the smallest in-memory
persistence layer its base class allows (a dict; its local cache off, so both sides
look the record up in their store every call): the peer services use, and the one the
design notes measured (50 to 70 us a call). Powertools decorates sync functions only;
serpens' decorator is async, so its calls are awaited one after another in one running
loop, which adds a coroutine per call that the sync side does not pay. Target: at most
0.4x Powertools (the notes' budget of 20 us a call against their 50). Informative: the
bare call of each side, and serpens on Redis (one script round trip per claim).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import uuid
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    BasePersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyItemAlreadyExistsError,
    IdempotencyItemNotFoundError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord

from bench._common import Result, best_of, best_of_async, note_server, print_table, scaled
from serpens.fakes import InMemoryIdempotencyStore
from serpens.idempotency import idempotent
from serpens.testing import start_redis

CALLS = scaled(20_000)
TARGET = 0.4


class _MemoryLayer(BasePersistenceLayer):
    """Powertools' persistence layer over a dict: the least work its base class allows."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.items: dict[str, DataRecord] = {}

    def _get_record(self, idempotency_key: str) -> DataRecord:
        try:
            return self.items[idempotency_key]
        except KeyError:
            raise IdempotencyItemNotFoundError from None

    def _put_record(self, data_record: DataRecord) -> None:
        existing = self.items.get(data_record.idempotency_key)
        if existing is not None and not existing.is_expired:
            raise IdempotencyItemAlreadyExistsError(old_data_record=existing)
        self.items[data_record.idempotency_key] = data_record

    def _update_record(self, data_record: DataRecord) -> None:
        self.items[data_record.idempotency_key] = data_record

    def _delete_record(self, data_record: DataRecord) -> None:
        self.items.pop(data_record.idempotency_key, None)


def _powertools() -> tuple[Callable[[dict[str, Any]], object], Callable[[], dict[str, Any]]]:
    config = IdempotencyConfig(
        event_key_jmespath="id", payload_validation_jmespath="body", expires_after_seconds=3600
    )

    @idempotent_function(  # type: ignore[untyped-decorator]
        data_keyword_argument="order", persistence_store=_MemoryLayer(), config=config
    )
    def handle(order: dict[str, Any]) -> dict[str, Any]:  # noqa: ARG001 - does nothing
        return {"ok": True}

    return lambda order: handle(order=order), _orders()


def _orders() -> Callable[[], dict[str, Any]]:
    counter = itertools.count()
    return lambda: {"id": f"o-{next(counter)}", "body": {"amount": 5, "currency": "EUR"}}


def _serpens(store: Any) -> Callable[[dict[str, Any]], Awaitable[object]]:
    @idempotent(store, key=lambda order: order["id"], fingerprint=lambda order: order["body"])
    async def handle(order: dict[str, Any]) -> dict[str, Any]:  # noqa: ARG001 - does nothing
        return {"ok": True}

    return handle


def _sync_us(
    call: Callable[[dict[str, Any]], object], order: Callable[[], dict[str, Any]]
) -> tuple[float, float]:
    """(first call, replay) in microseconds of a sync decorated function."""
    first = best_of(lambda: call(order()), repeat=5, number=CALLS) * 1e6
    same = order()
    call(same)
    replay = best_of(lambda: call(same), repeat=5, number=CALLS) * 1e6
    return first, replay


async def _async_us(
    call: Callable[[dict[str, Any]], Awaitable[object]], calls: int = CALLS
) -> tuple[float, float]:
    """(first call, replay) in microseconds of an async decorated function."""
    order = _orders()
    first = await best_of_async(lambda: call(order()), repeat=5, number=calls) * 1e6
    same = order()
    await call(same)
    replay = await best_of_async(lambda: call(same), repeat=5, number=calls) * 1e6
    return first, replay


async def _bare_us() -> float:
    async def handle(order: dict[str, Any]) -> dict[str, Any]:  # noqa: ARG001 - does nothing
        return {"ok": True}

    order = {"id": "o", "body": {}}
    return await best_of_async(lambda: handle(order), repeat=5, number=CALLS) * 1e6


async def _on_redis() -> tuple[float, float]:
    from serpens_redis import RedisIdempotencyStore  # noqa: PLC0415 - the redis extra

    with start_redis() as server:
        note_server("Redis", f"{server.tier} tier")
        store = RedisIdempotencyStore.from_url(server.url, prefix=f"bench:{uuid.uuid4().hex}")
        try:
            return await _async_us(_serpens(store), calls=scaled(2_000))
        finally:
            await store.aclose()


def main() -> list[Result]:
    logging.getLogger("aws_lambda_powertools").setLevel(logging.ERROR)
    # outside Lambda Powertools warns on every first call that it has no remaining time
    warnings.filterwarnings("ignore", "Couldn't determine the remaining time", UserWarning)
    theirs_first, theirs_replay = _sync_us(*_powertools())
    ours_first, ours_replay = asyncio.run(_async_us(_serpens(InMemoryIdempotencyStore())))
    bare = asyncio.run(_bare_us())
    redis_first, redis_replay = asyncio.run(_on_redis())
    name = "Powertools idempotent_function, in-memory layer"
    return [
        Result("first call of a key (in memory)", ours_first, theirs_first, "us", name, TARGET),
        Result(
            "replay of a completed key (in memory)", ours_replay, theirs_replay, "us", name, TARGET
        ),
        Result("bare async call, no idempotency", bare, theirs_first, "us", name),
        Result(
            "first call of a key (Redis, one round trip)", redis_first, theirs_first, "us", name
        ),
        Result("replay of a completed key (Redis)", redis_replay, theirs_replay, "us", name),
    ]


if __name__ == "__main__":
    print_table(main())
