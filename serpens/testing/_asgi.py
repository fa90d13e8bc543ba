"""Serve an ASGI application with uvicorn in a background thread on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

from serpens._extras import require
from serpens.errors import BackendUnavailableError
from serpens.testing._common import LOOPBACK, wait_until

__all__ = ["serve_asgi"]

_START_TIMEOUT_S = 10.0
# h11 checks its 16 KiB head limit only on a head that is still incomplete, so uvicorn's
# default answered a long URL 200 or 400 depending on how TCP split it; a limit above
# httpx's longest URL (64 KiB) makes every request httpx can send read whole.
_MAX_REQUEST_HEAD = 1024 * 1024


@contextmanager
def serve_asgi(
    app: Any, *, lifespan: Literal["auto", "on", "off"] = "auto", timeout: float = _START_TIMEOUT_S
) -> Iterator[str]:
    """Run *app* under uvicorn on a free port of 127.0.0.1 and yield its base URL.

    The server runs in a daemon thread with its own event loop, so sync and async tests
    can both call it over real HTTP. Leaving the block stops it and waits for the thread.
    A request head up to 1 MiB is read whole however TCP splits it (uvicorn's default
    refused a head over 16 KiB only when it arrived in pieces).

    Args:
        app: any ASGI application (starlette, FastAPI, a bare callable).
        lifespan: uvicorn's lifespan mode; ``auto`` runs the app's startup and shutdown.
        timeout: seconds to wait for the server to accept connections.

    Yields:
        ``http://127.0.0.1:PORT`` (no trailing slash).

    Raises:
        MissingExtraError: uvicorn is not installed.
        BackendUnavailableError: the server did not start in time (or crashed at startup).
    """
    uvicorn = require("uvicorn", "test")
    config = uvicorn.Config(
        app,
        host=LOOPBACK,
        port=0,
        lifespan=lifespan,
        log_level="warning",
        access_log=False,
        h11_max_incomplete_event_size=_MAX_REQUEST_HEAD,
    )
    server = uvicorn.Server(config)
    failure: list[BaseException] = []

    def run() -> None:
        try:
            server.run()
        except BaseException as exc:  # noqa: BLE001 - reported to the waiting caller below
            failure.append(exc)

    thread = threading.Thread(target=run, name="serpens-asgi", daemon=True)
    thread.start()
    try:
        wait_until(
            lambda: server.started or bool(failure) or not thread.is_alive(),
            timeout,
            "uvicorn accepting connections",
        )
    except RuntimeError as exc:
        server.should_exit = True
        raise BackendUnavailableError(f"cannot start the ASGI test server: {exc}") from exc
    if not server.started:
        reason = repr(failure[0]) if failure else "uvicorn exited during startup"
        raise BackendUnavailableError(f"cannot start the ASGI test server: {reason}")
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{LOOPBACK}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=timeout)
