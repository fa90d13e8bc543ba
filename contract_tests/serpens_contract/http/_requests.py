"""HTTP client cases about requests: what the server receives, byte for byte.

One theme of :class:`~serpens_contract.http.HttpClientContract`: query parameters, paths,
bodies, methods, default and caller headers, as the scenario app echoes them.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from serpens.errors import BackendTimeoutError
from serpens.ports import HttpClient
from serpens_contract.http._base import _HttpCases


class _HttpRequestCases(_HttpCases):
    """Params, paths, bodies, verbs and headers reach the server as the port says."""

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

    async def test_a_callers_content_type_replaces_the_json_one(
        self, client: HttpClient, url: Any
    ) -> None:
        """``json=`` sets ``Content-Type: application/json`` only when the caller gives none.

        In any spelling of the name, the caller's type is the only one sent (the fake
        sent both, joined: ``application/merge-patch+json, application/json``).
        """
        for name in ("Content-Type", "content-type"):
            headers = {name: "application/merge-patch+json"}
            response = await client.post(url("/echo"), json={"a": 1}, headers=headers)
            echo = await self._echo(response)
            assert echo["headers"]["content-type"] == "application/merge-patch+json"
            assert bytes.fromhex(echo["body"]) == b'{"a":1}'

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

    @pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
    async def test_a_body_less_post_put_or_patch_sends_a_zero_content_length(
        self, client: HttpClient, url: Any, method: str
    ) -> None:
        echo = await self._echo(await client.request(method, url("/echo")))
        assert echo["headers"]["content-length"] == "0"
        assert "content-type" not in echo["headers"]
