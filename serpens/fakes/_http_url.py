"""How the in-memory HTTP fake turns a caller's URL into what httpx puts on the wire.

httpx (the production adapter's client) percent-encodes the path and the query with the
WHATWG sets (leaving existing ``%xx`` escapes alone), resolves dot segments, lower-cases
the host, drops a default port from the ``Host`` header, turns credentials in the URL
into ``Authorization: Basic`` and refuses a URL it cannot parse. The fake mirrors that
here, in the standard library only (the core has no runtime dependency), so an app sees
the same request through either.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import unquote, urlencode, urljoin, urlsplit, urlunsplit

from serpens.errors import BackendUnavailableError, ValidationError, mask_url

__all__ = ["Target", "join_url", "parse_url", "redirect_url"]

_PERCENT = re.compile("%[A-Fa-f0-9]{2}")
_UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
# httpx's (WHATWG's) percent-encode sets, as the characters left alone
_QUERY_SAFE = "".join(chr(i) for i in range(0x20, 0x7F) if i not in (0x20, 0x22, 0x23, 0x3C, 0x3E))
_PATH_SAFE = "".join(c for c in _QUERY_SAFE if c not in "?`{}")
_MAX_URL = 65536  # httpx refuses longer URLs
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _encode(text: str, safe: str) -> str:
    keep = _UNRESERVED + safe
    return "".join(c if c in keep else "".join(f"%{b:02X}" for b in c.encode()) for c in text)


def quote(text: str, safe: str) -> str:
    """Percent-encode *text* outside *safe*, keeping ``%xx`` escapes (httpx's ``quote``)."""
    parts, position = [], 0
    for match in _PERCENT.finditer(text):
        parts += [_encode(text[position : match.start()], safe), match.group(0)]
        position = match.end()
    parts.append(_encode(text[position:], safe))
    return "".join(parts)


def _remove_dot_segments(path: str) -> str:
    """Resolve ``.`` and ``..`` segments the way httpx does before sending."""
    if "." not in path:
        return path
    output: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if len(output) > 1:
                output.pop()
        elif segment != ".":
            output.append(segment)
    return "/".join(output) or "/"


@dataclass(frozen=True)
class Target:
    """A request URL as httpx sends it.

    Attributes:
        url: the full URL, credentials included (as ``httpx.Request.url``).
        host: the ``Host`` header: host, and port unless the scheme's default.
        origin: scheme, host and port (the default one filled in), to compare origins.
        authorization: ``Basic ...`` for credentials in the URL, else ``None``.
    """

    url: str
    host: str
    origin: tuple[str, str, int]
    authorization: str | None


def _invalid(method: str, url: str) -> ValidationError:
    return ValidationError(f"{method.upper()} {mask_url(url)}: invalid URL")


def parse_url(method: str, url: str, query: Sequence[tuple[str, str]] | None = None) -> Target:
    """The absolute ``http``/``https`` *url* as sent, *query* pairs replacing its query.

    Raises:
        ValidationError: a URL httpx refuses (non-printable ASCII, too long, a bad port
            or IPv6 literal) or that is not ``http``/``https`` with a host; the message
            masks the URL.
    """
    if len(url) > _MAX_URL or any(c.isascii() and not c.isprintable() for c in url):
        raise _invalid(method, url)
    try:
        parts = urlsplit(url)
        hostname, port = parts.hostname, parts.port
        host = hostname or ""
        if not host.isascii():  # httpx sends a name's IDNA form; it checks ASCII ones not
            host = host.encode("idna").decode("ascii")
    except (ValueError, UnicodeError) as exc:  # a bad port or IPv6 literal, a bad name
        raise _invalid(method, url) from exc
    if parts.scheme.lower() not in _DEFAULT_PORTS or not host:
        raise _invalid(method, url)
    scheme = parts.scheme.lower()
    default = _DEFAULT_PORTS[scheme]
    shown = f"[{host}]" if ":" in host else host
    netloc = shown if port in {None, default} else f"{shown}:{port}"
    userinfo, at, _ = parts.netloc.rpartition("@")
    path = quote(_remove_dot_segments(parts.path), _PATH_SAFE) or "/"
    # params (checked and written out by serpens._rules.http) replace the URL's query
    sent = quote(parts.query, _QUERY_SAFE) if query is None else urlencode(query)
    full = urlunsplit((scheme, f"{userinfo}{at}{netloc}", path, sent, parts.fragment))
    authorization = None
    user, _, password = userinfo.partition(":")
    if user or password:  # httpx's BasicAuth from the URL's credentials
        token = f"{unquote(user)}:{unquote(password)}".encode()
        authorization = "Basic " + base64.b64encode(token).decode("ascii")
    return Target(full, netloc, (scheme, host, port or default), authorization)


def join_url(method: str, base_url: str, url: str) -> str:
    """*url* made absolute against *base_url* (ending in ``/``) as httpx merges it.

    A relative URL is appended to the base URL's path, its leading ``/`` dropped.

    Raises:
        ValidationError: *url* has a scheme or a network location but is not absolute
            (``http:///x``, ``mailto:a@b``, ``//host/x``): httpx would silently send it
            to the base URL's host (or to ``/``), so both refuse it.
    """
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise _invalid(method, url) from exc
    if parts.scheme or parts.netloc or url.startswith("//"):
        if not (parts.scheme and parts.netloc):
            raise _invalid(method, url)
        return url
    return base_url + url.lstrip("/")


def redirect_url(method: str, url: str, location: str) -> str:
    """The URL a ``Location`` leads to from *url* (joined as httpx joins it).

    Raises:
        BackendUnavailableError: the server sent a ``Location`` that is no URL (httpx's
            ``RemoteProtocolError``, a broken server rather than bad input).
    """
    try:
        urlsplit(location)
        return urljoin(url, location)
    except ValueError as exc:
        where = f"{method.upper()} {mask_url(url)}"
        raise BackendUnavailableError(f"{where}: invalid Location in the redirect") from exc
