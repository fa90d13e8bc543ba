"""HTTP client cases about responses: headers, text, JSON, content and statuses.

One theme of :class:`~serpens_contract.http.HttpClientContract`: the response object an
implementation returns reads the same whatever the transport.
"""

from __future__ import annotations

from typing import Any

import pytest

from serpens.errors import HTTPStatusError, SerializationError
from serpens.ports import HttpClient
from serpens_contract.http._base import _HttpCases


class _HttpResponseCases(_HttpCases):
    """Headers as a case-insensitive Mapping; ``text``, ``json``, ``raise_for_status``."""

    @pytest.mark.parametrize("path", ["/status/200", "/echo", "/bytes"])
    async def test_a_head_response_has_no_body(
        self, client: HttpClient, url: Any, path: str
    ) -> None:
        response = await client.request("HEAD", url(path))
        assert response.status_code == 200
        assert (response.content, response.text) == (b"", "")

    async def test_response_headers_are_case_insensitive_and_join_repeats(
        self, client: HttpClient, url: Any
    ) -> None:
        response = await client.get(url("/headers"))
        assert response.headers["x-mixed-case"] == "Value"
        assert response.headers["X-MIXED-CASE"] == "Value"
        assert response.headers.get("X-Mixed-Case") == "Value"
        assert response.headers["x-multi"] == "one, two"
        assert "X-Multi" in response.headers
        assert "x-absent" not in response.headers

    async def test_iterating_response_headers_gives_each_name_once_in_lower_case(
        self, client: HttpClient, url: Any
    ) -> None:
        """Pins: the headers Mapping iterates lower-cased names, a repeated one once."""
        headers = (await client.get(url("/headers"))).headers
        names = list(headers)
        assert names == [name.lower() for name in names]
        assert names.count("x-multi") == 1
        assert "x-mixed-case" in names
        assert dict(headers)["x-multi"] == "one, two"

    async def test_text_uses_the_response_charset(self, client: HttpClient, url: Any) -> None:
        assert (await client.get(url("/latin1"))).text == "café"
        assert (await client.get(url("/latin1-params"))).text == "café"  # quoted, among others
        assert (await client.get(url("/not-json"))).text == "{not json"  # no charset: UTF-8
        assert (await client.get(url("/status/200"))).text == "status 200"

    @pytest.mark.parametrize(
        ("content_type", "text"),
        [
            pytest.param("text/plain; charset=latin-1", "café", id="charset"),
            pytest.param("text/plain; CHARSET=latin-1", "café", id="upper-case-name"),
            pytest.param('text/plain; charset="latin-1"', "café", id="quoted"),
            pytest.param("text/plain; format=flowed; charset=latin-1", "café", id="not-first"),
            pytest.param("text/plain; charset=latin=1", "café", id="value-after-first-equals"),
            pytest.param("text/plain", "caf\ufffd", id="missing-is-utf8"),
            pytest.param("text/plain; charset=", "caf\ufffd", id="empty-is-utf8"),
            pytest.param("text/plain; charset=no-such-codec", "caf\ufffd", id="unknown-is-utf8"),
        ],
    )
    async def test_text_reads_the_charset_parameter_of_the_content_type(
        self, client: HttpClient, url: Any, content_type: str, text: str
    ) -> None:
        """Pins: ``text`` decodes with the response charset, UTF-8 when absent or unknown.

        The parameter's value is everything after its first ``=``, quotes removed; a
        charset Python has no codec for falls back to UTF-8 rather than failing, as httpx
        does. Undecodable bytes are replaced, never raised.
        """
        response = await client.get(url("/cafe"), params={"type": content_type})
        assert response.text == text

    async def test_json_passes_its_keyword_arguments_to_the_decoder(
        self, client: HttpClient, url: Any
    ) -> None:
        """Pins: ``json(**kwargs)`` hands *kwargs* to ``json.loads`` (hooks, parse_float...)."""
        response = await client.get(url("/echo"), params={"a": "1"})
        pairs = response.json(object_pairs_hook=list)
        assert [key for key, _ in pairs][:3] == ["method", "path", "query"]
        assert response.json(parse_constant=str, object_hook=lambda _: "hooked") == "hooked"

    async def test_a_missing_response_header_is_a_key_error_naming_it(
        self, client: HttpClient, url: Any
    ) -> None:
        """Pins: response headers are a Mapping; a missing name raises ``KeyError(name)``."""
        headers = (await client.get(url("/headers"))).headers
        with pytest.raises(KeyError) as raised:
            headers["X-Absent"]
        assert raised.value.args == ("X-Absent",)

    async def test_binary_content_is_returned_unchanged(self, client: HttpClient, url: Any) -> None:
        assert (await client.get(url("/bytes"))).content == bytes(range(256))

    async def test_a_body_that_is_not_json_is_a_serialization_error(
        self, client: HttpClient, url: Any
    ) -> None:
        response = await client.get(url("/not-json"))
        with pytest.raises(SerializationError):
            response.json()
        with pytest.raises(ValueError, match="not JSON"):  # SerializationError is a ValueError
            response.json()

    @pytest.mark.parametrize("code", [200, 201, 204, 301, 400, 404, 418, 500, 503])
    async def test_every_status_is_returned_not_raised(
        self, client: HttpClient, url: Any, code: int
    ) -> None:
        response = await client.get(url(f"/status/{code}"))
        assert response.status_code == code

    @pytest.mark.parametrize("code", [200, 201, 204, 299])
    async def test_raise_for_status_returns_the_response_for_2xx(
        self, client: HttpClient, url: Any, code: int
    ) -> None:
        response = await client.get(url(f"/status/{code}"))
        assert response.raise_for_status() is response

    @pytest.mark.parametrize("code", [300, 302, 400, 404, 500, 503])
    async def test_raise_for_status_raises_http_status_error_otherwise(
        self, client: HttpClient, url: Any, code: int
    ) -> None:
        response = await client.get(url(f"/status/{code}?token=s3cret"))
        with pytest.raises(HTTPStatusError) as info:
            response.raise_for_status()
        assert info.value.status_code == code
        assert info.value.url.endswith(f"/status/{code}?token=***")
        assert "s3cret" not in str(info.value)
