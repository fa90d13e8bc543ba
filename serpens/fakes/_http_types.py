"""Value types of the in-memory HTTP fake: headers, recorded requests and responses."""

from __future__ import annotations

import json as jsonlib
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from serpens._rules.http import compact_json
from serpens.errors import HTTPStatusError, SerializationError, mask_url

__all__ = ["CaseInsensitiveHeaders", "InMemoryResponse", "RecordedRequest", "decode_content"]

_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization"})
"""Header values a repr shows as ``[secure]``, as httpx's ``Headers`` repr does."""


class CaseInsensitiveHeaders(Mapping[str, str]):
    """Read-only headers; lookup ignores case and repeated values join with ``", "``."""

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._items = [(k, v) for k, v in items]

    def __getitem__(self, key: str) -> str:
        values = self.get_list(key)
        if not values:
            raise KeyError(key)
        return ", ".join(values)

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(k.lower() for k, _ in self._items))

    def __len__(self) -> int:
        return len({k.lower() for k, _ in self._items})

    def get_list(self, key: str) -> list[str]:
        """Every value of *key*, in order."""
        lowered = key.lower()
        return [v for k, v in self._items if k.lower() == lowered]

    def raw(self) -> list[tuple[str, str]]:
        """The header pairs as sent, in order."""
        return list(self._items)

    def __repr__(self) -> str:
        shown = [(k, "[secure]" if k.lower() in _SECRET_HEADERS else v) for k, v in self._items]
        return f"CaseInsensitiveHeaders({shown!r})"


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received."""

    method: str
    url: str
    headers: CaseInsensitiveHeaders
    content: bytes

    @property
    def path(self) -> str:
        """The URL path, percent-decoded."""
        return unquote(urlsplit(self.url).path)

    @property
    def query(self) -> str:
        """The raw query string."""
        return urlsplit(self.url).query

    def json(self) -> Any:
        """The body parsed as JSON."""
        return jsonlib.loads(self.content)

    def __repr__(self) -> str:
        # the URL's password and secret query values, and Authorization, never show
        return (
            f"RecordedRequest(method={self.method!r}, url={mask_url(self.url)!r},"
            f" headers={self.headers!r}, content={self.content!r})"
        )


def _inflate(body: bytes, encoding: str) -> bytes:
    """*body* decoded from one content coding, as httpx's decoders do (``zlib.error``)."""
    if encoding == "gzip":
        gzip = zlib.decompressobj(zlib.MAX_WBITS | 16)
        return gzip.decompress(body) + gzip.flush()
    deflate = zlib.decompressobj()
    try:
        inflated = deflate.decompress(body)
    except zlib.error:  # httpx retries a raw deflate stream (no zlib header) once
        deflate = zlib.decompressobj(-zlib.MAX_WBITS)
        inflated = deflate.decompress(body)
    return inflated + deflate.flush()


def decode_content(headers: CaseInsensitiveHeaders, body: bytes, where: str) -> bytes:
    """*body* decoded by its ``Content-Encoding`` as httpx returns it.

    httpx (without its brotli and zstd extras, which also add ``br`` and ``zstd`` to its
    ``Accept-Encoding``) decodes ``gzip`` and ``deflate``, the last coding listed first,
    and leaves ``identity`` and unknown codings alone.

    Raises:
        SerializationError: the body is not in the coding it claims (httpx's
            ``DecodingError``); *where* (``METHOD url``, masked) starts the message.
    """
    codings = [
        name.strip().lower()
        for value in headers.get_list("content-encoding")
        for name in value.split(",")
    ]
    try:
        for coding in reversed([name for name in codings if name in {"gzip", "deflate"}]):
            body = _inflate(body, coding)
    except zlib.error as exc:
        raise SerializationError(f"{where}: the response body could not be decoded") from exc
    return body


def _charset(content_type: str | None) -> str:
    for part in (content_type or "").split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset" and value:
            return value.strip("\"'")
    return "utf-8"


class InMemoryResponse:
    """A response of the fake, also what a ``handler`` returns.

    Build one with ``InMemoryResponse(200, json={...})``, ``text=`` or ``content=``.
    """

    def __init__(
        self,
        status_code: int = 200,
        *,
        content: bytes = b"",
        text: str | None = None,
        json: Any = None,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        url: str = "",
    ) -> None:
        pairs = list(headers.items() if isinstance(headers, Mapping) else headers or [])
        if json is not None:
            content = compact_json(json)
            pairs.append(("content-type", "application/json"))
        elif text is not None:
            content = text.encode("utf-8")
            pairs.append(("content-type", "text/plain; charset=utf-8"))
        self.status_code = status_code
        self.content = content
        self.headers: CaseInsensitiveHeaders = CaseInsensitiveHeaders(pairs)
        self.url = url

    def __repr__(self) -> str:
        return f"<InMemoryResponse [{self.status_code}]>"

    @property
    def text(self) -> str:
        """The body decoded with the response charset (UTF-8 when absent or unknown)."""
        try:
            return self.content.decode(_charset(self.headers.get("content-type")), errors="replace")
        except LookupError:  # a charset Python has no codec for reads as UTF-8, as in httpx
            return self.content.decode("utf-8", errors="replace")

    def json(self, **kwargs: Any) -> Any:
        """The body parsed as JSON; :class:`SerializationError` when it is not JSON."""
        try:
            return jsonlib.loads(self.content, **kwargs)
        except ValueError as exc:
            raise SerializationError(f"response from {mask_url(self.url)} is not JSON") from exc

    def raise_for_status(self) -> InMemoryResponse:
        """Return the response for 2xx; raise :class:`HTTPStatusError` otherwise."""
        if 200 <= self.status_code < 300:  # noqa: PLR2004
            return self
        raise HTTPStatusError(self.status_code, self.url)
