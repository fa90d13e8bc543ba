"""HTTP client cases about the wire: content codings, URL credentials, URL encoding, Host.

One theme of :class:`~serpens_contract.http.HttpClientContract`: what httpx does to a
request's URL and headers before sending, and to a response body after receiving it,
the fake must do too (an app behind ``GZipMiddleware`` answered the fake in gzip).
"""

from __future__ import annotations

import base64
from typing import Any

import pytest

from serpens.errors import BackendUnavailableError, SerializationError
from serpens.ports import HttpClient
from serpens_contract._http_app import ENCODED_JSON, ENCODINGS
from serpens_contract.http._base import _HttpCases
from serpens_contract.http._target import HttpTarget


def _with_userinfo(url: str, userinfo: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{userinfo}@{rest}"


class _HttpWireCases(_HttpCases):
    """Content codings decoded, credentials in the URL, percent-encoding, the Host header."""

    @pytest.mark.parametrize("form", sorted(set(ENCODINGS) - {"unknown", "broken"}))
    async def test_a_response_in_gzip_or_deflate_is_decoded(
        self, client: HttpClient, url: Any, form: str
    ) -> None:
        """``gzip`` and ``deflate`` (zlib or raw, stacked, any case) are undone, as by httpx.

        The headers stay as the server sent them (``Content-Encoding`` included).
        """
        response = await client.get(url(f"/encoded/{form}"))
        assert response.content == ENCODED_JSON
        assert response.json()["text"] == "ç"
        assert "content-encoding" in response.headers

    async def test_an_unknown_content_coding_is_left_as_sent(
        self, client: HttpClient, url: Any
    ) -> None:
        response = await client.get(url("/encoded/unknown"))
        assert response.content == ENCODINGS["unknown"][1]

    async def test_a_body_not_in_its_coding_is_a_serialization_error(
        self, client: HttpClient, url: Any
    ) -> None:
        """The request itself fails: httpx decodes while reading the body (``DecodingError``)."""
        with pytest.raises(SerializationError):
            await client.get(url("/encoded/broken?token=s3cret"))
        assert (await client.request("HEAD", url("/encoded/broken"))).content == b""
        assert (await client.get(url("/status/200"))).status_code == 200

    @pytest.mark.parametrize(
        ("userinfo", "credentials"),
        [("u:p", "u:p"), ("u", "u:"), ("us%40r:p%3Aw%20d", "us@r:p:w d"), (":pw", ":pw")],
    )
    async def test_credentials_in_the_url_are_sent_as_basic_authorization(
        self, client: HttpClient, url: Any, userinfo: str, credentials: str
    ) -> None:
        """Percent-decoded, as ``Authorization: Basic``, replacing a caller's; never in Host."""
        given = _with_userinfo(url("/echo"), userinfo)
        echo = await self._echo(await client.get(given, headers={"Authorization": "Bearer t"}))
        assert echo["headers"]["authorization"] == "Basic " + base64.b64encode(
            credentials.encode()
        ).decode("ascii")
        assert echo["headers"]["host"] == url("").split("://", 1)[1]

    async def test_a_password_in_the_url_stays_out_of_error_messages(
        self, client: HttpClient, url: Any, http_target: HttpTarget
    ) -> None:
        with pytest.raises(BackendUnavailableError) as refused:
            await client.get(_with_userinfo(http_target.unreachable_url, "u:s3cret"), timeout=2)
        with pytest.raises(SerializationError) as undecodable:
            await client.get(_with_userinfo(url("/encoded/broken"), "u:s3cret"))
        for raised in (refused, undecodable):
            assert "s3cret" not in str(raised.value)

    async def test_raw_text_in_a_url_is_percent_encoded_as_httpx_does(
        self, client: HttpClient, url: Any
    ) -> None:
        """Spaces, non-ASCII, ``"<>`` in the query and ``{}``` ` ``` in the path are escaped.

        Existing ``%xx`` escapes are kept, and so are the characters the WHATWG sets allow
        (``|``, ``{}`` and `````` in the query, ``|`` in the path).
        """
        seen = await self._echo(await client.get(url('/scope/a|b{c}`d?x=a b&y=é&z=%20&w="<>`|{}')))
        assert seen["raw_path"] == "/scope/a|b%7Bc%7D%60d"
        assert seen["query_string"] == "x=a%20b&y=%C3%A9&z=%20&w=%22%3C%3E`|{}"

    async def test_a_callers_host_header_replaces_the_default_one(
        self, client: HttpClient, url: Any
    ) -> None:
        """One ``Host``, the caller's (the echo joins repeated headers with ``", "``)."""
        echo = await self._echo(await client.get(url("/echo"), headers={"Host": "h.example"}))
        assert echo["headers"]["host"] == "h.example"
        echo = await self._echo(await client.get(url("/echo")))
        assert echo["headers"]["host"] == url("").split("://", 1)[1]
