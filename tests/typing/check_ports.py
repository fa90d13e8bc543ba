"""Static conformance checks, run by mypy --strict (never executed)."""

import httpx
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

import serpens_sqlalchemy
from serpens.cache import AsyncLocalCache, LocalCache
from serpens.fakes import (
    AsyncInMemoryCache,
    AsyncInMemoryQueue,
    AsyncInMemoryRepository,
    InMemoryCache,
    InMemoryQueue,
    InMemoryRepository,
)
from serpens.ports import (
    AsyncCache,
    AsyncQueue,
    AsyncRepository,
    Cache,
    HttpClient,
    HttpResponse,
    Queue,
    Repository,
)
from serpens_aws import AsyncSQSQueue, SQSQueue
from serpens_redis import AsyncRedisCache, RedisCache


class _Base(DeclarativeBase):
    pass


class _Item(_Base):
    __tablename__ = "typing_items"
    id: Mapped[int] = mapped_column(primary_key=True)


def httpx_client_is_an_http_client(client: httpx.AsyncClient) -> HttpClient:
    return client


def httpx_response_is_an_http_response(response: httpx.Response) -> HttpResponse:
    return response


def in_memory_queue_is_a_queue(queue: InMemoryQueue) -> Queue:
    return queue


def async_in_memory_queue_is_an_async_queue(queue: AsyncInMemoryQueue) -> AsyncQueue:
    return queue


def sqs_queue_is_a_queue(queue: SQSQueue) -> Queue:
    return queue


def async_sqs_queue_is_an_async_queue(queue: AsyncSQSQueue) -> AsyncQueue:
    return queue


def cache_implementations_are_caches(
    fake: InMemoryCache, local: LocalCache, redis_cache: RedisCache
) -> list[Cache]:
    return [fake, local, redis_cache]


def async_cache_implementations_are_async_caches(
    fake: AsyncInMemoryCache, local: AsyncLocalCache, redis_cache: AsyncRedisCache
) -> list[AsyncCache]:
    return [fake, local, redis_cache]


def sqlalchemy_repositories_are_repositories(
    sess: Session, asess: AsyncSession
) -> tuple[Repository[_Item], AsyncRepository[_Item]]:
    return serpens_sqlalchemy.Repository(sess, _Item), serpens_sqlalchemy.AsyncRepository(
        asess, _Item
    )


def fake_repositories_are_repositories() -> tuple[Repository[_Item], AsyncRepository[_Item]]:
    return InMemoryRepository(_Item), AsyncInMemoryRepository(_Item)
