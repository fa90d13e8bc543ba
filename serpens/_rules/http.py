"""The HTTP verb shortcuts shared by ``HttpClient`` implementations.

The adapter (``serpens_httpx.HttpxHttpClient``) and the fake
(``serpens.fakes.InMemoryHttpClient``) implement only ``request``; ``get``, ``post``,
``put`` and ``delete`` come from :class:`HttpVerbs` so their signatures stay identical to
the port's.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Generic, TypeVar

from serpens.ports._http import Headers, HttpResponse, Params

__all__ = ["HttpVerbs"]

ResponseT_co = TypeVar("ResponseT_co", bound=HttpResponse, covariant=True)


class HttpVerbs(ABC, Generic[ResponseT_co]):
    """``get``/``post``/``put``/``delete`` as calls of the subclass's ``request``."""

    @abstractmethod
    async def request(
        self,
        method: str,
        url: str,
        *,
        content: bytes | None = None,
        json: Any = None,
        params: Params = None,
        headers: Headers = None,
        timeout: float | None = None,
        follow_redirects: bool = False,
    ) -> ResponseT_co:
        """Send a request with *method* to *url* and return the response."""

    async def get(
        self,
        url: str,
        *,
        params: Params = None,
        headers: Headers = None,
        timeout: float | None = None,
        follow_redirects: bool = False,
    ) -> ResponseT_co:
        """Send a GET request."""
        return await self.request(
            "GET",
            url,
            params=params,
            headers=headers,
            timeout=timeout,
            follow_redirects=follow_redirects,
        )

    async def post(
        self,
        url: str,
        *,
        content: bytes | None = None,
        json: Any = None,
        params: Params = None,
        headers: Headers = None,
        timeout: float | None = None,
        follow_redirects: bool = False,
    ) -> ResponseT_co:
        """Send a POST request."""
        return await self.request(
            "POST",
            url,
            content=content,
            json=json,
            params=params,
            headers=headers,
            timeout=timeout,
            follow_redirects=follow_redirects,
        )

    async def put(
        self,
        url: str,
        *,
        content: bytes | None = None,
        json: Any = None,
        params: Params = None,
        headers: Headers = None,
        timeout: float | None = None,
        follow_redirects: bool = False,
    ) -> ResponseT_co:
        """Send a PUT request."""
        return await self.request(
            "PUT",
            url,
            content=content,
            json=json,
            params=params,
            headers=headers,
            timeout=timeout,
            follow_redirects=follow_redirects,
        )

    async def delete(
        self,
        url: str,
        *,
        params: Params = None,
        headers: Headers = None,
        timeout: float | None = None,
        follow_redirects: bool = False,
    ) -> ResponseT_co:
        """Send a DELETE request."""
        return await self.request(
            "DELETE",
            url,
            params=params,
            headers=headers,
            timeout=timeout,
            follow_redirects=follow_redirects,
        )
