"""HTTP client cases about redirects: when they are followed, how, and how far.

One theme of :class:`~serpens_contract.http.HttpClientContract`: not followed by
default; when followed, the method, body and credentials change as in httpx, and a
loop or a 21st hop is an error.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from serpens.errors import BackendError
from serpens.ports import HttpClient
from serpens_contract.http._base import _HttpCases
from serpens_contract.http._target import HttpTarget


class _HttpRedirectCases(_HttpCases):
    """``follow_redirects``: origins, methods and bodies, and the hop limit."""

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
