"""What the adapter refuses before httpx sees a request: URLs httpx would misroute or crash on.

httpx treats a URL with a scheme or a host but not both (``http:///x``, ``mailto:a@b``,
``//host/x``) as relative and, on a client with a ``base_url``, silently sends it to the
base URL's host (``//host/x`` even to ``/``); a port above 65535 reaches the socket layer
and fails with a raw ``ExceptionGroup``; a closed client raises a bare ``RuntimeError``.
The port promises :class:`~serpens.errors.ValidationError` for a bad URL and the fake
raises :class:`~serpens.errors.BackendUnavailableError` for a closed client: so does the
adapter, before any I/O.
"""

from __future__ import annotations

import httpx

from serpens.errors import BackendUnavailableError, ValidationError, mask_url

__all__ = ["check_open", "check_port", "check_url"]

_MAX_PORT = 65535
_SCHEMES = ("http://", "https://")


def _where(method: str, url: str) -> str:
    return f"{method.upper()} {mask_url(url)}"


def check_open(client: httpx.AsyncClient, method: str, url: str) -> None:
    """Raise :class:`BackendUnavailableError` when *client* is closed (nothing is sent)."""
    if client.is_closed:
        raise BackendUnavailableError(f"{_where(method, url)}: the HTTP client is closed")


def check_url(method: str, url: str) -> None:
    """Refuse a URL with a scheme or a network location that is not absolute.

    Raises:
        ValidationError: *url* is unparsable, or has a scheme or a host but not both
            (the message masks the URL).
    """
    if _plainly_whole(url):
        return  # parsing it again costs 10 to 15 us of a request; build_request checks the rest
    try:
        given = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise ValidationError(f"{_where(method, url)}: invalid URL") from exc
    partial = bool(given.scheme or given.userinfo or given.netloc) or url.startswith("//")
    if given.is_relative_url and partial:
        raise ValidationError(f"{_where(method, url)}: invalid URL")


def _plainly_whole(url: str) -> bool:
    """Whether *url* is plainly a path (``/x``) or an absolute http(s) URL with a host."""
    if url[:1] == "/":
        return url[1:2] != "/"
    for scheme in _SCHEMES:
        if url.startswith(scheme):
            rest = url[len(scheme) :]
            ends = [i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0]
            host = rest[: min(ends, default=len(rest))].rpartition("@")[2]
            return host[:1] not in ("", ":")
    return False


def check_port(method: str, request: httpx.Request) -> None:
    """Refuse a request to a port no socket has (above 65535): ``ValidationError``."""
    port = request.url.port
    if port is not None and port > _MAX_PORT:
        raise ValidationError(f"{_where(method, str(request.url))}: invalid URL")
