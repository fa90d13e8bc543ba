"""Contract suite of the HttpClient port (``serpens.ports.HttpClient``).

The implementation under test talks to :func:`scenario_app`, served wherever the
implementation needs it: in-process for a fake, behind a real server on 127.0.0.1 for
an adapter. Override ``http_target`` to return an :class:`HttpTarget`.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import quote

import pytest

try:
    from hypothesis import given
    from hypothesis import strategies as st
except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
    from serpens.errors import MissingExtraError

    raise MissingExtraError("hypothesis", "contract") from exc

from serpens.errors import (
    BackendError,
    BackendTimeoutError,
    BackendUnavailableError,
    HTTPStatusError,
    SerializationError,
    ValidationError,
)
from serpens.fakes import InMemoryHttpClient
from serpens.ports import HttpClient
from serpens_contract._http_app import scenario_app
from serpens_contract._suite import ContractSuite
from serpens_contract.outage import HttpOutageCases
from serpens_contract.settings import hypothesis_settings

__all__ = ["HttpClientCapabilities", "HttpClientContract", "HttpTarget", "scenario_app"]


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
    """

    base_url: str
    unreachable_url: str
    make_client: Callable[[], HttpClient]
    other_base_url: str | None = None


_SEGMENT = st.text(st.sampled_from("abcXYZ019-_.~ çé"), min_size=1, max_size=8)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def _requests(draw: st.DrawFn) -> dict[str, Any]:
    method = draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]))
    request: dict[str, Any] = {
        "method": method,
        "path": "/echo/" + "/".join(draw(st.lists(_SEGMENT, max_size=3))),
        "params": draw(
            st.none()
            | st.dictionaries(
                st.text(st.sampled_from("abcdef_"), min_size=1, max_size=4),
                st.none() | st.booleans() | st.integers(-999, 999) | st.text(max_size=8),
                max_size=4,
            )
        ),
        "headers": draw(
            st.dictionaries(
                st.text(st.sampled_from("abcdefgh"), min_size=1, max_size=6).map("x-".__add__),
                st.text(st.sampled_from("abcXYZ0189-_=/+"), min_size=1, max_size=12),
                max_size=3,
            )
        ),
    }
    if method in {"POST", "PUT", "PATCH"}:
        body = draw(st.sampled_from(["none", "json", "content"]))
        if body == "json":
            request["json"] = draw(_JSON.filter(lambda value: value is not None))
        elif body == "content":
            request["content"] = draw(st.binary(max_size=64))
    return request


def _observable(response: Any) -> dict[str, Any]:
    """What must agree: status and the echo minus transport-specific headers."""
    if response.status_code != 200:
        return {"status": response.status_code, "content": response.content}
    echo = response.json()
    sent = {k: v for k, v in echo["headers"].items() if k.startswith(("x-", "content-"))}
    return {"status": response.status_code, **echo, "headers": sent}


class HttpClientContract(HttpOutageCases, ContractSuite):
    """Every HttpClient must pass these tests (requests to the scenario app)."""

    contract = "http"
    capabilities: ClassVar[HttpClientCapabilities] = HttpClientCapabilities()

    @pytest.fixture
    def http_target(self) -> HttpTarget:
        pytest.fail("override `http_target`: return an HttpTarget serving `scenario_app`")

    @pytest.fixture
    async def client(self, http_target: HttpTarget) -> AsyncIterator[HttpClient]:
        client = http_target.make_client()
        yield client
        await client.aclose()

    @pytest.fixture
    def url(self, http_target: HttpTarget) -> Callable[[str], str]:
        return lambda path: http_target.base_url.rstrip("/") + path

    async def _echo(self, response: Any) -> dict[str, Any]:
        assert response.status_code == 200
        document: dict[str, Any] = response.json()
        return document

    async def test_params_are_url_encoded_into_the_query(
        self, client: HttpClient, url: Any
    ) -> None:
        params: dict[str, str | float | bool | None] = {
            "q": "a b&c/ç~",
            "n": 1,
            "x": 2.5,
            "t": True,
            "f": False,
            "none": None,
            "e": "",
        }
        echo = await self._echo(await client.get(url("/echo"), params=params))
        assert echo["query"] == "q=a+b%26c%2F%C3%A7~&n=1&x=2.5&t=true&f=false&none=&e="
        assert echo["args"] == [
            ["q", "a b&c/ç~"],
            ["n", "1"],
            ["x", "2.5"],
            ["t", "true"],
            ["f", "false"],
            ["none", ""],
            ["e", ""],
        ]

    async def test_a_query_in_the_url_is_sent_as_is(self, client: HttpClient, url: Any) -> None:
        echo = await self._echo(await client.get(url("/echo?a=1&b=x%20y")))
        assert echo["query"] == "a=1&b=x%20y"
        assert echo["args"] == [["a", "1"], ["b", "x y"]]

    async def test_path_segments_are_percent_encoded(self, client: HttpClient, url: Any) -> None:
        echo = await self._echo(await client.get(url("/echo/a b/ç")))
        assert echo["path"] == "/echo/a b/ç"

    @pytest.mark.parametrize(
        ("path", "sent"),
        [
            ("/echo/a/./b/../c", "/echo/a/c"),
            ("/echo/../../echo/x", "/echo/x"),
            ("/echo/a/b/..", "/echo/a"),
            ("/echo/v1.2/./x.json", "/echo/v1.2/x.json"),
        ],
    )
    async def test_dot_segments_are_resolved_before_sending(
        self, client: HttpClient, url: Any, path: str, sent: str
    ) -> None:
        assert (await self._echo(await client.get(url(path))))["path"] == sent

    async def test_json_bodies_are_compact_utf8_with_a_content_type(
        self, client: HttpClient, url: Any
    ) -> None:
        payload = {"a": [1, 2.5, "ç"], "b": None, "c": {"d": True}}
        echo = await self._echo(await client.post(url("/echo"), json=payload))
        assert echo["method"] == "POST"
        assert bytes.fromhex(echo["body"]) == '{"a":[1,2.5,"ç"],"b":null,"c":{"d":true}}'.encode()
        assert echo["headers"]["content-type"] == "application/json"
        assert echo["headers"]["content-length"] == str(len(bytes.fromhex(echo["body"])))

    async def test_raw_bodies_are_sent_byte_for_byte(self, client: HttpClient, url: Any) -> None:
        body = bytes(range(256))
        echo = await self._echo(await client.put(url("/echo"), content=body))
        assert echo["method"] == "PUT"
        assert bytes.fromhex(echo["body"]) == body
        assert echo["headers"]["content-length"] == "256"
        assert "content-type" not in echo["headers"]

    @pytest.mark.parametrize("verb", ["get", "post", "put", "delete"])
    async def test_each_verb_shortcut_passes_every_argument_on(
        self, client: HttpClient, url: Any, verb: str
    ) -> None:
        """``get``, ``post``, ``put``, ``delete``: ``request`` with their method, all else as is."""
        send = getattr(client, verb)
        body: dict[str, Any] = {"json": {"k": 1}} if verb in {"post", "put"} else {}
        echo = await self._echo(
            await send(url("/echo"), params={"a": "1"}, headers={"X-Verb": verb}, timeout=5, **body)
        )
        assert (echo["method"], echo["query"]) == (verb.upper(), "a=1")
        assert echo["headers"]["x-verb"] == verb
        assert bytes.fromhex(echo["body"]) == (b'{"k":1}' if body else b"")
        if body:
            echo = await self._echo(await send(url("/echo"), content=b"raw"))
            assert bytes.fromhex(echo["body"]) == b"raw"
        assert (await send(url("/redirect/307?to=/echo"))).status_code == 307
        followed = await send(url("/redirect/307?to=/echo"), follow_redirects=True)
        assert (await self._echo(followed))["method"] == verb.upper()
        with pytest.raises(BackendTimeoutError):
            await send(url("/sleep?seconds=2"), timeout=0.2)

    async def test_the_server_sees_an_http_1_1_request_as_sent(
        self, client: HttpClient, url: Any
    ) -> None:
        """An HTTP/1.1 request over the URL's scheme, with its raw path and query, no root path."""
        seen = await self._echo(await client.get(url("/scope/a%20b?x=1&y=%C3%A7")))
        assert seen["type"] == "http"
        assert seen["asgi"]["version"] == "3.0"
        assert re.fullmatch(r"2\.\d+", seen["asgi"]["spec_version"])
        assert seen["http_version"] == "1.1"
        assert seen["scheme"] == url("").split("://", 1)[0]
        assert (seen["raw_path"], seen["query_string"]) == ("/scope/a%20b", "x=1&y=%C3%A7")
        assert seen["root_path"] == ""
        host, port = seen["client"]
        assert isinstance(host, str)
        assert host
        assert isinstance(port, int)
        assert seen["header_names"] == [name.lower() for name in seen["header_names"]]
        assert "host" in seen["header_names"]

    async def test_a_body_sent_in_parts_arrives_whole(self, client: HttpClient, url: Any) -> None:
        assert (await client.get(url("/chunks"))).content == b"onetwothree"

    @pytest.mark.parametrize("path", ["/crash", "/silent"])
    async def test_a_server_app_that_fails_before_answering_gives_a_500(
        self, client: HttpClient, url: Any, path: str
    ) -> None:
        """The server, not the client, answers: ``500 Internal Server Error``."""
        response = await client.get(url(path))
        assert response.status_code == 500
        assert response.text == "Internal Server Error"

    async def test_a_server_app_that_fails_mid_response_is_backend_unavailable(
        self, client: HttpClient, url: Any
    ) -> None:
        with pytest.raises(BackendUnavailableError):
            await client.get(url("/crash-midway"))
        assert (await client.get(url("/status/200"))).status_code == 200

    async def test_delete_and_generic_request_send_their_method(
        self, client: HttpClient, url: Any
    ) -> None:
        assert (await self._echo(await client.delete(url("/echo"))))["method"] == "DELETE"
        echo = await self._echo(await client.request("patch", url("/echo"), json=[1]))
        assert echo["method"] == "PATCH"
        assert bytes.fromhex(echo["body"]) == b"[1]"

    async def test_request_headers_reach_the_server(self, client: HttpClient, url: Any) -> None:
        headers = {"X-Request-Id": "abc", "Authorization": "Bearer t"}
        echo = await self._echo(await client.get(url("/echo"), headers=headers))
        assert echo["headers"]["x-request-id"] == "abc"
        assert echo["headers"]["authorization"] == "Bearer t"
        assert echo["headers"]["host"] == url("").split("://", 1)[1]

    async def test_default_request_headers_are_sent_and_a_callers_replace_them(
        self, client: HttpClient, url: Any
    ) -> None:
        sent = (await self._echo(await client.get(url("/echo"))))["headers"]
        assert sent["accept"] == "*/*"
        assert "gzip" in sent["accept-encoding"].split(", ")
        assert sent["connection"] == "keep-alive"
        assert sent["user-agent"]
        assert "content-length" not in sent
        mine = {"Accept": "application/json", "User-Agent": "svc/1.0"}
        sent = (await self._echo(await client.get(url("/echo"), headers=mine)))["headers"]
        assert (sent["accept"], sent["user-agent"]) == ("application/json", "svc/1.0")

    @pytest.mark.parametrize("path", ["/status/200", "/echo", "/bytes"])
    async def test_a_head_response_has_no_body(
        self, client: HttpClient, url: Any, path: str
    ) -> None:
        response = await client.request("HEAD", url(path))
        assert response.status_code == 200
        assert (response.content, response.text) == (b"", "")

    async def test_a_redirect_within_the_origin_keeps_authorization_and_drops_cookie(
        self, client: HttpClient, url: Any
    ) -> None:
        headers = {"Authorization": "Bearer t", "Cookie": "session=s", "X-Keep": "1"}
        response = await client.get(
            url("/redirect/302"), params={"to": "/echo"}, headers=headers, follow_redirects=True
        )
        sent = (await self._echo(response))["headers"]
        assert (sent["authorization"], sent["x-keep"]) == ("Bearer t", "1")
        assert "cookie" not in sent

    @pytest.mark.parametrize("code", [302, 307])
    async def test_a_redirect_to_another_origin_drops_authorization(
        self, client: HttpClient, url: Any, http_target: HttpTarget, code: int
    ) -> None:
        if http_target.other_base_url is None:
            pytest.fail("set HttpTarget.other_base_url: another origin serving the scenario app")
        other = http_target.other_base_url.rstrip("/")
        headers = {"Authorization": "Bearer t", "X-Keep": "1"}
        response = await client.get(
            url(f"/redirect/{code}"),
            params={"to": f"{other}/echo"},
            headers=headers,
            follow_redirects=True,
        )
        sent = (await self._echo(response))["headers"]
        assert "authorization" not in sent
        assert sent["x-keep"] == "1"
        assert sent["host"] == other.split("://", 1)[1]

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

    async def test_redirects_are_not_followed_by_default(
        self, client: HttpClient, url: Any
    ) -> None:
        response = await client.get(url("/redirect/302?to=/echo"))
        assert response.status_code == 302
        assert response.headers["location"] == "/echo"
        direct = await client.request("GET", url("/redirect/302?to=/echo"))
        assert direct.status_code == 302  # request() itself defaults to not following

    async def test_a_redirect_status_without_location_is_returned_even_when_following(
        self, client: HttpClient, url: Any
    ) -> None:
        """A 3xx without ``Location`` has nowhere to go: it is the response, as in httpx."""
        for code in (301, 302, 307):
            response = await client.get(url(f"/status/{code}"), follow_redirects=True)
            assert (response.status_code, response.text) == (code, f"status {code}")

    @pytest.mark.parametrize(("code", "method"), [(301, "GET"), (302, "GET"), (303, "GET")])
    async def test_followed_301_302_303_turn_a_post_into_a_get_without_body(
        self, client: HttpClient, url: Any, code: int, method: str
    ) -> None:
        response = await client.post(
            url(f"/redirect/{code}?to=/echo"), json={"x": 1}, follow_redirects=True
        )
        echo = await self._echo(response)
        assert echo["method"] == method
        assert echo["body"] == ""
        assert "content-length" not in echo["headers"]

    @pytest.mark.parametrize("code", [307, 308])
    async def test_followed_307_308_keep_the_method_and_body(
        self, client: HttpClient, url: Any, code: int
    ) -> None:
        target = "/echo?z=1"
        response = await client.post(
            url(f"/redirect/{code}?to={target}"), json={"x": 1}, follow_redirects=True
        )
        echo = await self._echo(response)
        assert echo["method"] == "POST"
        assert json.loads(bytes.fromhex(echo["body"])) == {"x": 1}
        assert echo["query"] == "z=1"

    async def test_a_url_that_is_not_http_or_names_no_host_is_a_validation_error(
        self, client: HttpClient, url: Any
    ) -> None:
        """``ftp:``, ``mailto:``, ``http:///path``, a redirect there: ValidationError.

        httpx sends nothing to such a URL, so no connection error can stand for it.
        """
        for bad in ("ftp://localhost/echo", "mailto:someone@example.com", "http:///echo"):
            with pytest.raises(ValidationError):
                await client.get(bad)
        with pytest.raises(ValidationError) as info:  # the URL in the message is masked
            await client.get("ftp://user:s3cret@localhost/echo?token=t0ken")
        assert "s3cret" not in str(info.value)
        assert "t0ken" not in str(info.value)
        target = quote("ftp://localhost/echo", safe="")
        with pytest.raises(ValidationError):
            await client.get(url(f"/redirect/302?to={target}"), follow_redirects=True)
        assert (await client.get(url("/echo/after"))).status_code == 200

    @pytest.mark.parametrize(
        ("method", "kwargs", "path"),
        [
            pytest.param(
                "GET", {"headers": {"X-A": "v\r\nX-Injected: 1"}}, "headers['X-A']", id="crlf"
            ),
            pytest.param("GET", {"headers": {"X-A": "a\x00"}}, "headers['X-A']", id="nul-value"),
            pytest.param("GET", {"headers": {"X-A": "ação"}}, "headers['X-A']", id="non-ascii"),
            pytest.param("GET", {"headers": {"X A": "v"}}, "headers", id="name-with-space"),
            pytest.param("GET", {"headers": {"": "v"}}, "headers", id="empty-name"),
            pytest.param("GE T", {}, "method", id="method-not-a-token"),
            pytest.param("GET", {"params": {"q": "\ud800"}}, "params['q']", id="lone-surrogate"),
            pytest.param("POST", {"json": {"a": float("nan")}}, None, id="json-nan"),
            pytest.param("POST", {"json": {"a": {1, 2}}}, None, id="json-set"),
            pytest.param("POST", {"json": ["\udfff"]}, None, id="json-surrogate"),
        ],
    )
    async def test_a_request_no_client_may_send_is_refused_before_any_io(
        self,
        client: HttpClient,
        url: Any,
        method: str,
        kwargs: dict[str, Any],
        path: str | None,
    ) -> None:
        """A request no HTTP/1.1 client may send as given is refused before any I/O.

        Header names and methods are RFC 9110 tokens; header values tab and printable
        ASCII (a CR or LF would inject a header; httpx encodes values as ASCII); query
        text has a UTF-8 form: else a ``ValidationError`` naming the field. A JSON body is
        JSON: else a ``SerializationError``. httpx failed on these with
        ``LocalProtocolError`` (read as an unreachable server), ``UnicodeEncodeError``,
        ``ValueError`` or ``TypeError``; the fake sent the headers.
        """
        if path is None:
            with pytest.raises(SerializationError):
                await client.request(method, url("/echo"), **kwargs)
        else:
            with pytest.raises(ValidationError) as raised:
                await client.request(method, url("/echo"), **kwargs)
            assert [error.path for error in raised.value.errors] == [path]
        sent = await self._echo(await client.get(url("/echo"), headers={"X-A": "a\tb c"}))
        assert sent["headers"]["x-a"] == "a\tb c"

    async def test_a_redirect_loop_is_a_backend_error(self, client: HttpClient, url: Any) -> None:
        with pytest.raises(BackendError):
            await client.get(url("/loop"), follow_redirects=True)

    async def test_twenty_redirects_are_followed_and_a_twenty_first_is_a_backend_error(
        self, client: HttpClient, url: Any
    ) -> None:
        landed = await client.get(url("/hops/20"), follow_redirects=True)
        assert (landed.status_code, landed.text) == (200, "landed")
        with pytest.raises(BackendError):
            await client.get(url("/hops/21"), follow_redirects=True)

    @pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
    async def test_a_body_less_post_put_or_patch_sends_a_zero_content_length(
        self, client: HttpClient, url: Any, method: str
    ) -> None:
        echo = await self._echo(await client.request(method, url("/echo")))
        assert echo["headers"]["content-length"] == "0"
        assert "content-type" not in echo["headers"]

    async def test_a_slow_answer_is_a_backend_timeout_error(
        self, client: HttpClient, url: Any
    ) -> None:
        with pytest.raises(BackendTimeoutError) as info:
            await client.get(url("/sleep?seconds=2&token=s3cret"), timeout=0.2)
        assert isinstance(info.value, TimeoutError)
        assert "s3cret" not in str(info.value)
        # the client stays usable after a timeout
        assert (await client.get(url("/status/200"))).status_code == 200

    async def test_a_refused_connection_is_backend_unavailable(
        self, client: HttpClient, http_target: HttpTarget
    ) -> None:
        with pytest.raises(BackendUnavailableError) as info:
            await client.get(http_target.unreachable_url, timeout=2)
        assert isinstance(info.value, ConnectionError)

    def test_generated_requests_are_echoed_as_through_the_fake(
        self, http_target: HttpTarget
    ) -> None:
        """Differential: random methods, paths, params, headers and bodies agree with the fake."""
        fake = InMemoryHttpClient(app=scenario_app, base_url=http_target.base_url)
        client = http_target.make_client()
        base = http_target.base_url.rstrip("/")

        async def both(request: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
            options = {k: v for k, v in request.items() if k not in {"method", "path"}}
            expected = await fake.request(request["method"], base + request["path"], **options)
            actual = await client.request(request["method"], base + request["path"], **options)
            return _observable(actual), _observable(expected)

        budget: Callable[[Callable[..., None]], Callable[..., None]] = hypothesis_settings()
        with asyncio.Runner() as runner:

            @budget
            @given(request=_requests())
            def check(request: dict[str, Any]) -> None:
                actual, expected = runner.run(both(request))
                assert actual == expected

            try:
                check()
            finally:
                runner.run(client.aclose())
