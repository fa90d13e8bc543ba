"""HTTP client cases about the argument types a request accepts, and how each is sent.

One theme of :class:`~serpens_contract.http.HttpClientContract`: a body given as a
``bytearray``, ``memoryview`` or ``str``, a ``params`` value given as a list, header
names and values given as ``bytes``, a caller's ``Content-Length`` and a timeout of any
number type reach the server exactly as through httpx. The fake handed a ``str`` or a
list body to the app as is (a 500) and sent a list's repr as a query value and two
``Content-Length`` headers; httpx failed on a ``bytearray`` with a bare ``RuntimeError``.
What is refused instead is in the failure cases.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from serpens.errors import ValidationError
from serpens.ports import HttpClient
from serpens_contract.http._base import _HttpCases
from serpens_contract.http._target import HttpTarget

_RELEASED = memoryview(b"s3cret")
_RELEASED.release()
_REFUSED = [
    pytest.param("GET", {"headers": {"X-A": 1}}, "headers['X-A']", id="int-header-value"),
    pytest.param("GET", {"headers": {"X-A": None}}, "headers['X-A']", id="none-header-value"),
    pytest.param(
        "GET", {"headers": {"X-A": bytearray(b"v")}}, "headers['X-A']", id="bytearray-value"
    ),
    pytest.param(
        "GET", {"headers": {"X-A": b"s3cret\r\nX-B: 1"}}, "headers['X-A']", id="bytes-crlf"
    ),
    pytest.param("GET", {"headers": {"X-A": b"\xe9"}}, "headers['X-A']", id="bytes-non-ascii"),
    pytest.param("GET", {"headers": {1: "v"}}, "headers", id="int-header-name"),
    pytest.param("GET", {"headers": {b"X A": "v"}}, "headers", id="bytes-name-not-a-token"),
    pytest.param("GET", {"headers": [("X-A", "v")]}, "headers", id="headers-not-a-mapping"),
    pytest.param("GET", {"params": {1: "a"}}, "params[1]", id="int-param-name"),
    pytest.param("GET", {"params": {"a": b"s3cret"}}, "params['a']", id="bytes-param"),
    pytest.param("GET", {"params": {"a": {"b": 1}}}, "params['a']", id="dict-param"),
    pytest.param("GET", {"params": {"a": [["1"]]}}, "params['a']", id="nested-list-param"),
    pytest.param("GET", {"params": {"a": ["ok", "\ud800"]}}, "params['a']", id="surrogate-item"),
    pytest.param("GET", {"params": {"a": 10**5000}}, "params['a']", id="int-too-long"),
    pytest.param("GET", {"params": [("a", "1")]}, "params", id="params-not-a-mapping"),
    pytest.param("POST", {"content": [b"a", b"b"]}, "content", id="list-body"),
    pytest.param("POST", {"content": 3}, "content", id="int-body"),
    pytest.param("POST", {"content": "s3cret\udfff"}, "content", id="str-body-surrogate"),
    pytest.param("POST", {"content": _RELEASED}, "content", id="released-memoryview"),
    pytest.param(
        "POST",
        {"content": b"abc", "headers": {"Content-Length": "2"}},
        "headers['Content-Length']",
        id="content-length-short",
    ),
    pytest.param(
        "POST",
        {"json": {"a": 1}, "headers": {"content-length": "8"}},
        "headers['content-length']",
        id="content-length-long",
    ),
    pytest.param(
        "GET", {"headers": {"Content-Length": "1"}}, "headers['Content-Length']", id="cl-no-body"
    ),
    pytest.param(
        "POST",
        {"content": b"abc", "headers": {"Content-Length": "+3"}},
        "headers['Content-Length']",
        id="content-length-sign",
    ),
    pytest.param(
        "POST",
        {"content": b"abc", "headers": {"Content-Length": "3", "content-length": "3"}},
        "headers['Content-Length']",
        id="content-length-twice",
    ),
    pytest.param("GET", {"timeout": "1"}, "timeout", id="str-timeout"),
    pytest.param("GET", {"timeout": True}, "timeout", id="bool-timeout"),
    pytest.param("GET", {"timeout": [1]}, "timeout", id="list-timeout"),
]


class _HttpInputCases(_HttpCases):
    """Bodies, query values, headers and timeouts in each type the port takes."""

    @pytest.mark.parametrize(
        ("content", "sent"),
        [
            pytest.param(b"a\x00b", b"a\x00b", id="bytes"),
            pytest.param(bytearray(b"a\x00b"), b"a\x00b", id="bytearray"),
            pytest.param(memoryview(b"xa\x00b")[1:], b"a\x00b", id="memoryview"),
            pytest.param("é€ a", "é€ a".encode(), id="str-as-utf8"),
            pytest.param("", b"", id="empty-str"),
        ],
    )
    async def test_a_body_is_bytes_a_buffer_or_text_sent_as_utf8(
        self, client: HttpClient, url: Any, content: Any, sent: bytes
    ) -> None:
        """``content=`` takes ``bytes``, ``bytearray``, ``memoryview`` or ``str`` (UTF-8).

        Sent byte for byte with its ``Content-Length`` and no ``Content-Type``, as httpx
        sends ``bytes`` and ``str`` (and as the fake did ``bytes`` only).
        """
        echo = await self._echo(await client.post(url("/echo"), content=content))
        assert bytes.fromhex(echo["body"]) == sent
        assert echo["headers"]["content-length"] == str(len(sent))
        assert "content-type" not in echo["headers"]

    async def test_a_list_or_tuple_param_value_repeats_its_name(
        self, client: HttpClient, url: Any
    ) -> None:
        """Each item is one ``name=value`` pair, in order; an empty list sends no pair.

        Items are written as single values are (``True`` as ``true``, ``None`` empty),
        and the params still replace the URL's own query.
        """
        params: Any = {"a": ["1", 2, True, None], "b": ("x y",), "c": [], "d": "z"}
        echo = await self._echo(await client.get(url("/echo?old=1"), params=params))
        assert echo["query"] == "a=1&a=2&a=true&a=&b=x+y&d=z"
        assert echo["args"] == [
            *(["a", value] for value in ("1", "2", "true", "")),
            ["b", "x y"],
            ["d", "z"],
        ]

    @pytest.mark.parametrize("name", ["Content-Length", "content-length"])
    async def test_a_callers_content_length_replaces_the_computed_one(
        self, client: HttpClient, url: Any, name: str
    ) -> None:
        """One ``Content-Length`` reaches the server, the caller's (which must be right).

        The echo joins repeated headers with ``", "``: the fake sent ``3, 3``.
        """
        echo = await self._echo(
            await client.post(url("/echo"), content=b"abc", headers={name: "3"})
        )
        assert echo["headers"]["content-length"] == "3"
        assert bytes.fromhex(echo["body"]) == b"abc"
        echo = await self._echo(await client.put(url("/echo"), json=[1], headers={name: "3"}))
        assert (echo["headers"]["content-length"], bytes.fromhex(echo["body"])) == ("3", b"[1]")
        echo = await self._echo(await client.get(url("/echo"), headers={name: "0"}))
        assert echo["headers"]["content-length"] == "0"

    async def test_bytes_header_names_and_values_are_sent_as_their_ascii_text(
        self, client: HttpClient, url: Any
    ) -> None:
        """As httpx sends them; the same rules as for ``str`` apply (see the failure cases)."""
        headers: Any = {b"X-Raw": b"v 1", "X-Mixed": b"a\tb", b"Accept": "text/plain"}
        echo = await self._echo(await client.get(url("/echo"), headers=headers))
        sent = echo["headers"]
        assert (sent["x-raw"], sent["x-mixed"], sent["accept"]) == ("v 1", "a\tb", "text/plain")

    async def test_a_timeout_is_any_number_and_infinity_is_no_deadline(
        self, http_target: HttpTarget, url: Any
    ) -> None:
        """An ``int`` or ``float`` of seconds; ``math.inf`` means no deadline.

        So does an int past float's range: either lifts the client's default deadline for
        this request (the default here, 0.2 s, would end it).
        """
        if http_target.make_timed_client is None:
            pytest.fail("set HttpTarget.make_timed_client: seconds -> a client with that timeout")
        client = http_target.make_timed_client(0.2)
        try:
            for seconds in (math.inf, 10**400, 5):
                slow = await client.get(url("/sleep?seconds=0.4"), timeout=seconds)
                assert slow.status_code == 200
        finally:
            await client.aclose()

    @pytest.mark.parametrize(("method", "kwargs", "path"), _REFUSED)
    async def test_an_argument_of_a_type_the_port_does_not_take_is_refused_before_any_io(
        self, client: HttpClient, url: Any, method: str, kwargs: dict[str, Any], path: str
    ) -> None:
        """A ``ValidationError`` naming the argument, its value never in the message.

        Header names and values are ``str`` or ``bytes``; ``params`` a mapping of ``str``
        names to ``str``, ``int``, ``float``, ``bool`` or ``None`` (or lists or tuples of
        them); ``content`` ``bytes``, ``bytearray``, ``memoryview`` or ``str`` with a
        UTF-8 form; a caller's ``Content-Length`` given once, the body's length in
        decimal digits; ``timeout`` an ``int`` or ``float``. httpx failed on these with a
        bare ``TypeError``, ``ValueError`` or ``RuntimeError``, sent a list's repr or a
        ``Content-Length`` h11 then refused mid-send; the fake raised ``AttributeError``
        or handed its app what it was given.
        """
        with pytest.raises(ValidationError) as raised:
            await client.request(method, url("/echo"), **kwargs)
        assert [error.path for error in raised.value.errors] == [path]
        assert "s3cret" not in str(raised.value)
        assert (await client.post(url("/echo"), content=b"ok")).status_code == 200
