"""The scenario app of the HttpClient contract: a plain ASGI echo and edge-case server.

Routes (any method unless noted):

- ``/echo``: 200 JSON describing the request: method, path, raw query, query pairs,
  headers (lower-cased names, repeated values joined with ``", "``), body as hex.
- ``/status/<code>``: that status with body ``status <code>``.
- ``/redirect/<code>?to=<url>``: that status with ``Location: <url>``.
- ``/loop``: 302 to itself, forever.
- ``/hops/<n>``: 302 to ``/hops/<n-1>``; ``/hops/0`` answers 200 ``landed``.
- ``/sleep?seconds=<s>``: waits (or until the client disconnects), then 200.
- ``/headers``: 200 with a repeated ``X-Multi`` header and ``X-Mixed-Case``.
- ``/latin1``: ``café`` encoded as ISO-8859-1 with ``charset=latin-1``.
- ``/latin1-params``: the same, its content type ``text/plain;format=flowed;charset="latin-1"``.
- ``/cafe?type=<content type>``: ``café`` encoded as ISO-8859-1 under that content type.
- ``/bytes``: the bytes 0..255 as ``application/octet-stream``.
- ``/not-json``: 200 ``application/json`` whose body is not JSON.
- ``/scope``: 200 JSON of the request's transport as the server saw it: ASGI and HTTP
  versions, scheme, raw path and query (latin-1), root path, client address, header names.
- ``/chunks``: 200 ``onetwothree``, sent as three body messages.
- ``/encoded/<form>``: 200 :data:`ENCODED_JSON` under a ``Content-Encoding`` (see
  :data:`ENCODINGS`): ``gzip``, ``deflate``, ``raw-deflate`` (no zlib header),
  ``stacked`` (deflate then gzip), ``split`` (the same in two header lines), ``upper``
  (``GZIP``), ``identity``, ``unknown`` (gzip bytes labelled ``x-unknown``), ``broken``
  (``gzip`` that is not).
- ``/silent``: returns without sending anything (a server answers 500).
- ``/crash``: raises before responding (a server answers 500).
- ``/crash-midway``: starts a 200 response of 100 bytes, sends 3, then raises (a server
  drops the connection).
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import zlib
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

__all__ = ["ENCODED_JSON", "ENCODINGS", "scenario_app"]

_JSON = "application/json"
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _respond(
    send: Send,
    status: int,
    body: bytes = b"",
    headers: list[tuple[str, str]] | None = None,
    content_type: str = "text/plain; charset=utf-8",
) -> None:
    raw = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
    raw += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers or []]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def _echo(scope: Scope, body: bytes) -> bytes:
    headers: dict[str, str] = {}
    for name, value in scope["headers"]:
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    query = scope["query_string"].decode("latin-1")
    document = {
        "method": scope["method"],
        "path": scope["path"],
        "query": query,
        "args": [list(pair) for pair in parse_qsl(query, keep_blank_values=True)],
        "headers": headers,
        "body": body.hex(),
    }
    return json.dumps(document).encode()


def _transport(scope: Scope) -> bytes:
    client = scope.get("client")
    document = {
        "type": scope["type"],
        "asgi": scope.get("asgi", {}),
        "http_version": scope.get("http_version"),
        "scheme": scope.get("scheme"),
        "raw_path": scope["raw_path"].decode("latin-1") if "raw_path" in scope else None,
        "query_string": scope["query_string"].decode("latin-1"),
        "root_path": scope.get("root_path"),
        "client": list(client) if client is not None else None,
        "header_names": [name.decode("latin-1") for name, _ in scope["headers"]],
    }
    return json.dumps(document).encode()


async def _chunks(call: _Call) -> None:
    start = [(b"content-type", b"text/plain; charset=utf-8")]
    await call.send({"type": "http.response.start", "status": 200, "headers": start})
    for part in (b"one", b"two"):
        await call.send({"type": "http.response.body", "body": part, "more_body": True})
    await call.send({"type": "http.response.body", "body": b"three"})


ENCODED_JSON = json.dumps({"data": "x" * 200, "text": "ç"}).encode()
"""The document ``/encoded/<form>`` sends, before its content coding."""


def _raw_deflate(body: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return compressor.compress(body) + compressor.flush()


ENCODINGS: dict[str, tuple[list[str], bytes]] = {
    "gzip": (["gzip"], gzip.compress(ENCODED_JSON)),
    "deflate": (["deflate"], zlib.compress(ENCODED_JSON)),
    "raw-deflate": (["deflate"], _raw_deflate(ENCODED_JSON)),
    "stacked": (["deflate, gzip"], gzip.compress(zlib.compress(ENCODED_JSON))),
    "split": (["deflate", "gzip"], gzip.compress(zlib.compress(ENCODED_JSON))),
    "upper": (["GZIP"], gzip.compress(ENCODED_JSON)),
    "identity": (["identity"], ENCODED_JSON),
    "unknown": (["x-unknown"], gzip.compress(ENCODED_JSON)),
    "broken": (["gzip"], b"this is not gzip"),
}
"""``/encoded/<form>``: its ``Content-Encoding`` header lines and body."""


async def _encoded(call: _Call) -> None:
    codings, body = ENCODINGS[call.parts[1]]
    await _respond(
        call.send, 200, body, [("Content-Encoding", c) for c in codings], content_type=_JSON
    )


async def _silent(_call: _Call) -> None:
    return


async def _crash(_call: _Call) -> None:
    raise RuntimeError("the scenario app crashed")


async def _crash_midway(call: _Call) -> None:
    start = [(b"content-type", b"text/plain"), (b"content-length", b"100")]
    await call.send({"type": "http.response.start", "status": 200, "headers": start})
    await call.send({"type": "http.response.body", "body": b"abc", "more_body": True})
    raise RuntimeError("the scenario app crashed mid-response")


async def _sleep(seconds: float, receive: Receive) -> None:
    """Sleep, but stop early when the client goes away (keeps server shutdown quick)."""

    async def disconnected() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    waiter = asyncio.ensure_future(disconnected())
    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(waiter), seconds)
    finally:
        waiter.cancel()


@dataclass(frozen=True)
class _Call:
    scope: Scope
    receive: Receive
    send: Send
    parts: list[str]
    args: dict[str, str]
    body: bytes


async def _status(call: _Call) -> None:
    code = int(call.parts[1])
    await _respond(call.send, code, f"status {code}".encode())


async def _redirect(call: _Call) -> None:
    location = call.args.get("to", "/echo")
    await _respond(call.send, int(call.parts[1]), headers=[("Location", location)])


async def _hops(call: _Call) -> None:
    left = int(call.parts[1])
    if left == 0:
        await _respond(call.send, 200, b"landed")
    else:
        await _respond(call.send, 302, headers=[("Location", f"/hops/{left - 1}")])


async def _sleeping(call: _Call) -> None:
    await _sleep(float(call.args.get("seconds", "1")), call.receive)
    await _respond(call.send, 200, b"awake")


async def _headers(call: _Call) -> None:
    extra = [("X-Multi", "one"), ("X-Multi", "two"), ("X-Mixed-Case", "Value")]
    await _respond(call.send, 200, b"headers", headers=extra)


_ROUTES: dict[str, Callable[[_Call], Awaitable[None]]] = {
    "echo": lambda c: _respond(c.send, 200, _echo(c.scope, c.body), content_type=_JSON),
    "status": _status,
    "redirect": _redirect,
    "loop": lambda c: _respond(c.send, 302, headers=[("Location", "/loop")]),
    "hops": _hops,
    "sleep": _sleeping,
    "headers": _headers,
    "latin1": lambda c: _respond(
        c.send, 200, "café".encode("latin-1"), content_type="text/plain; charset=latin-1"
    ),
    "latin1-params": lambda c: _respond(
        c.send,
        200,
        "café".encode("latin-1"),
        content_type='text/plain;format=flowed;charset="latin-1"',
    ),
    "cafe": lambda c: _respond(
        c.send, 200, "café".encode("latin-1"), content_type=c.args.get("type", "text/plain")
    ),
    "bytes": lambda c: _respond(
        c.send, 200, bytes(range(256)), content_type="application/octet-stream"
    ),
    "not-json": lambda c: _respond(c.send, 200, b"{not json", content_type=_JSON),
    "scope": lambda c: _respond(c.send, 200, _transport(c.scope), content_type=_JSON),
    "chunks": _chunks,
    "encoded": _encoded,
    "silent": _silent,
    "crash": _crash,
    "crash-midway": _crash_midway,
}


async def _not_found(call: _Call) -> None:
    await _respond(call.send, 404, b"not found")


async def scenario_app(scope: Scope, receive: Receive, send: Send) -> None:
    """ASGI application serving the routes listed in the module docstring."""
    if scope["type"] != "http":  # lifespan and websockets are not part of the scenario
        return
    args = dict(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True))
    body = await _read_body(receive)
    parts = scope["path"].strip("/").split("/")
    await _ROUTES.get(parts[0], _not_found)(_Call(scope, receive, send, parts, args, body))
