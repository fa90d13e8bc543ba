"""What an HTTP client implementation declares: where the scenario app is, its capabilities.

:class:`HttpTarget` is what the ``http_target`` fixture returns; the suite makes its
clients and URLs from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from serpens.ports import HttpClient


@dataclass(frozen=True)
class HttpClientCapabilities:
    """Honest differences between HTTP clients (none are known today)."""


@dataclass(frozen=True)
class HttpTarget:
    """Where the suite's scenario app is reachable and how to make clients for it.

    Attributes:
        base_url: origin serving :func:`scenario_app` (``http://127.0.0.1:8123``).
        unreachable_url: a URL on which connections are refused.
        make_client: returns a new client; the suite closes it with ``aclose()``.
        other_base_url: another origin serving the same app (``http://localhost:8123``
            for the server above), for redirects that leave the origin; the test that
            needs it fails while it is ``None``.
        make_timed_client: ``seconds -> client`` whose default timeout (the deadline
            of a request given no ``timeout=``) is *seconds*; the suite closes it. The
            test that needs it fails while it is ``None``.
    """

    base_url: str
    unreachable_url: str
    make_client: Callable[[], HttpClient]
    other_base_url: str | None = None
    make_timed_client: Callable[[float], HttpClient] | None = None
