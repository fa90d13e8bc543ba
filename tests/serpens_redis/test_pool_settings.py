"""``PoolSettings`` as the pools redis-py builds see them, and ``describe`` for logs.

The defaults are documented (a bounded pool of 50, two seconds' wait for a connection,
half-second socket timeouts, no retries); options win over the fields and the URL's
query over the options; a misspelt option is a configuration error, not an option
redis-py ignores or chokes on later.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import redis
from redis import asyncio as aioredis

from serpens.errors import ConfigurationError
from serpens.testing import FaultProxy
from serpens_redis import PoolSettings, async_pool
from serpens_redis._pool import describe, plain_sync_client, sync_executor, sync_pool

pytestmark = pytest.mark.redis

BUILDERS = [async_pool, sync_pool]


@pytest.mark.parametrize("build", BUILDERS)
def test_the_default_pool_holds_fifty_connections_and_waits_two_seconds_for_one(
    build: Callable[[str, PoolSettings], Any],
) -> None:
    pool = build("redis://127.0.0.1:9/0", PoolSettings())
    assert pool.max_connections == 50
    assert pool.timeout == 2.0


@pytest.mark.parametrize("build", BUILDERS)
def test_options_win_over_the_fields_and_the_url_query_over_the_options(
    build: Callable[[str, PoolSettings], Any],
) -> None:
    settings = PoolSettings(socket_timeout=1.0, options={"socket_timeout": 3.0})
    assert build("redis://127.0.0.1:9/0", settings).connection_kwargs["socket_timeout"] == 3.0
    url = "redis://127.0.0.1:9/0?socket_timeout=4"
    assert build(url, settings).connection_kwargs["socket_timeout"] == 4.0


def test_unknown_options_are_a_configuration_error_naming_each_in_order() -> None:
    with pytest.raises(ConfigurationError) as caught:
        PoolSettings(options={"sokcet_timeout": 1, "health_check_interval": 5, "a_typo": 2})
    assert str(caught.value) == "unknown Redis connection options: a_typo, sokcet_timeout"


def test_self_is_not_a_connection_option() -> None:
    """The connection classes' ``self`` parameter is no option a user can give."""
    with pytest.raises(ConfigurationError, match="unknown Redis connection options: self"):
        PoolSettings(options={"self": 1})


def test_tcp_tls_and_unix_socket_options_are_all_accepted() -> None:
    options = {"client_name": "svc", "ssl_ca_certs": "/etc/ca.pem", "path": "/tmp/r.sock"}
    assert PoolSettings(options=options).options == options


def test_a_connection_that_times_out_while_connecting_is_not_retried(
    proxy: FaultProxy, redis_url: str
) -> None:
    """One attempt per command: a retried connect would open a second connection."""
    settings = PoolSettings(socket_timeout=0.3, connect_timeout=0.3)
    client = plain_sync_client(sync_pool(proxy.url_for(redis_url), settings))
    try:
        with proxy.freeze(), pytest.raises(redis.TimeoutError):
            sync_executor(client)("PING")  # the handshake after the connect times out
        assert proxy.stats().accepted == 1
    finally:
        client.close()


@pytest.mark.parametrize(
    ("url", "where"),
    [
        ("redis://127.0.0.1:6390/3", "redis://127.0.0.1:6390/3"),
        ("redis://127.0.0.1:6390", "redis://127.0.0.1:6390/0"),  # no database: the first
        ("redis://:s3cret@db.example:6390/1", "redis://db.example:6390/1"),
        ("unix:///run/redis.sock?db=2", "redis:///run/redis.sock/2"),
    ],
)
def test_describe_names_host_port_and_database_never_the_password(url: str, where: str) -> None:
    assert describe(redis.Redis.from_url(url)) == where
    assert describe(aioredis.Redis.from_url(url)) == where


def test_describe_of_a_pool_without_an_address_says_so() -> None:
    assert describe(redis.Redis(connection_pool=redis.ConnectionPool())) == "redis://?:?/0"


@pytest.mark.parametrize("build", BUILDERS)
def test_a_url_that_is_not_redis_is_a_configuration_error_that_masks_its_password(
    build: Callable[[str, PoolSettings], Any],
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        build("http://app:s3cret@db.example:6390/0", PoolSettings())
    message = str(caught.value)
    assert message.startswith("not a valid Redis URL: 'http://app:***@db.example:6390/0' (")
    assert "s3cret" not in message
    assert isinstance(caught.value.__cause__, ValueError)
