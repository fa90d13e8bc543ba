"""Static conformance checks of the HTTP and rate-limit implementations (mypy only)."""

from serpens.fakes import InMemoryHttpClient
from serpens.ports import HttpClient, RateLimit
from serpens.rate_limit import RateLimiter
from serpens_httpx import HttpxHttpClient
from serpens_redis import RedisRateLimiter


def in_memory_http_client_is_an_http_client(client: InMemoryHttpClient) -> HttpClient:
    return client


def httpx_adapter_is_an_http_client(client: HttpxHttpClient) -> HttpClient:
    return client


def rate_limiter_is_a_rate_limit(limiter: RateLimiter) -> RateLimit:
    return limiter


def redis_rate_limiter_is_a_rate_limit(limiter: RedisRateLimiter) -> RateLimit:
    return limiter
