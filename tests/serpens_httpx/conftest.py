"""A local uvicorn server answering 200 ``ok``, for the httpx adapter's log tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from serpens.testing import serve_asgi
from tests.serpens_httpx._apps import answering

_ok = answering(b"ok")


@pytest.fixture(name="server_url", scope="module")
def _server_url() -> Iterator[str]:
    """The URL of a server answering every request 200 ``ok`` (one per test module)."""
    with serve_asgi(_ok, lifespan="off") as url:
        yield url
