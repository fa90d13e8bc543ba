"""The HttpClient contract: the fake in-process and the httpx adapter against uvicorn."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from serpens.fakes import InMemoryHttpClient
from serpens.testing import FaultProxy, serve_asgi
from serpens_contract.http import HttpClientContract, HttpTarget, scenario_app
from serpens_contract.outage import (
    ALL_KINDS,
    FakeOutages,
    HttpOutageCases,
    OutageCapabilities,
    OutageHook,
    OutageKind,
    proxy_outage,
)
from serpens_httpx import HttpxHttpClient, HttpxResponse
from serpens_httpx._errors import translate_errors
from tests.contract._first_failure import first_failure_conftest


@pytest.fixture(name="scenario_server", scope="module")
def _scenario_server() -> Iterator[str]:
    with serve_asgi(scenario_app) as base_url:
        yield base_url


@pytest.fixture(name="refused_url", scope="module")
def _refused_url() -> str:
    """A loopback port nobody listens on (bound then closed, so it is free and refuses)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/echo"


# every fault, the trickled server too: a request ends by its total deadline
HTTP_KINDS: frozenset[OutageKind] = ALL_KINDS | {"trickled"}


class TestInMemoryHttpClient(HttpClientContract):
    # the outage cases pass timeout=deadline per request; zero would be a deadline already
    # passed (BackendTimeoutError before any I/O, as through httpx)
    outage_capabilities = OutageCapabilities(kinds=HTTP_KINDS, deadline=0.2)

    @pytest.fixture
    def http_target(self, fake_outages: FakeOutages) -> HttpTarget:
        base = "http://testserver"
        other = "http://other.test"
        return HttpTarget(
            base_url=base,
            unreachable_url="http://elsewhere:81/echo",
            make_client=lambda: fake_outages.track(
                InMemoryHttpClient(app=scenario_app, base_url=base, other_origins=[other])
            ),
            other_base_url=other,
            make_timed_client=lambda seconds: fake_outages.track(
                InMemoryHttpClient(
                    app=scenario_app, base_url=base, other_origins=[other], timeout=seconds
                )
            ),
        )

    @pytest.fixture
    def outage(self, fake_outages: FakeOutages) -> OutageHook:
        return fake_outages.outage


@pytest.fixture(name="http_proxy")
def _http_proxy(scenario_server: str) -> Iterator[FaultProxy]:
    host, port = scenario_server.removeprefix("http://").rsplit(":", 1)
    with FaultProxy(upstream=(host, int(port))) as proxy:
        yield proxy


class TestHttpxHttpClient(HttpClientContract):
    # the outage cases pass timeout=0.5 per request: a total deadline in this adapter
    outage_capabilities = OutageCapabilities(kinds=HTTP_KINDS, deadline=0.5)

    @pytest.fixture
    def http_target(
        self, http_proxy: FaultProxy, scenario_server: str, refused_url: str
    ) -> HttpTarget:
        return HttpTarget(
            base_url=http_proxy.url_for(scenario_server),
            unreachable_url=refused_url,
            make_client=lambda: HttpxHttpClient(timeout=5),
            # the same server under another host name is another origin
            other_base_url=scenario_server.replace("127.0.0.1", "localhost", 1),
            make_timed_client=lambda seconds: HttpxHttpClient(timeout=seconds),
        )

    @pytest.fixture
    def outage(self, http_proxy: FaultProxy) -> OutageHook:
        return proxy_outage(http_proxy)


MUTANTS = """
import json
import pytest
from serpens.fakes import InMemoryHttpClient
from serpens.fakes._http_types import CaseInsensitiveHeaders
from serpens_contract.http import HttpClientContract, HttpTarget, scenario_app


OTHER = "http://other.test"


def target(cls):
    return HttpTarget(
        "http://testserver",
        "http://elsewhere/",
        lambda: cls(app=scenario_app, other_origins=[OTHER]),
        OTHER,
        lambda seconds: cls(app=scenario_app, other_origins=[OTHER], timeout=seconds),
    )


class HeadWithBody(InMemoryHttpClient):
    async def _dispatch(self, method, url, headers, body):
        method = "GET" if method == "HEAD" else method
        return await super()._dispatch(method, url, headers, body)


class NoDefaultHeaders(InMemoryHttpClient):
    async def _dispatch(self, method, url, headers, body):
        defaults = {"accept", "accept-encoding", "connection", "user-agent"}
        headers = [(k, v) for k, v in headers if k not in defaults]
        return await super()._dispatch(method, url, headers, body)


class KeepsAuthorization(InMemoryHttpClient):
    async def request(self, method, url, *, headers=None, **kwargs):
        self.auth = (headers or {}).get("Authorization")
        return await super().request(method, url, headers=headers, **kwargs)

    async def _dispatch(self, method, url, headers, body):
        if self.auth and all(k.lower() != "authorization" for k, _ in headers):
            headers = [*headers, ("Authorization", self.auth)]
        return await super()._dispatch(method, url, headers, body)


class FollowsByDefault(InMemoryHttpClient):
    async def request(self, method, url, **kwargs):
        kwargs["follow_redirects"] = True
        return await super().request(method, url, **kwargs)


class CaseSensitiveHeaders(InMemoryHttpClient):
    async def request(self, method, url, **kwargs):
        response = await super().request(method, url, **kwargs)
        response.headers = dict(response.headers.raw())
        return response


class BuiltinTimeout(InMemoryHttpClient):
    async def request(self, method, url, **kwargs):
        try:
            return await super().request(method, url, **kwargs)
        except TimeoutError as exc:
            raise TimeoutError("timed out") from exc


class NoDefaultTimeout(InMemoryHttpClient):
    # a request given no timeout= waits as long as the app takes
    async def request(self, method, url, *, timeout=None, **kwargs):
        return await super().request(method, url, timeout=timeout or 3600, **kwargs)


class SpacedJson(InMemoryHttpClient):
    async def request(self, method, url, *, json=None, content=None, headers=None, **kwargs):
        if json is not None:
            content = __import__("json").dumps(json).encode()
            headers = {**(headers or {}), "content-type": "application/json"}
        return await super().request(method, url, content=content, headers=headers, **kwargs)


class RaisesFor3xx(InMemoryHttpClient):
    async def request(self, method, url, **kwargs):
        response = await super().request(method, url, **kwargs)
        if response.status_code < 400:
            response.raise_for_status = lambda: response
        return response


class RefusesBadUrls(InMemoryHttpClient):
    # an ftp: or host-less URL answered like an unreachable host, not as bad input
    async def request(self, method, url, **kwargs):
        parts = __import__("urllib.parse").parse.urlsplit(url)
        if parts.scheme and (parts.scheme not in ("http", "https") or not parts.hostname):
            raise __import__("serpens.errors").errors.BackendUnavailableError("refused")
        return await super().request(method, url, **kwargs)


class IgnoresUrlCredentials(InMemoryHttpClient):
    # credentials in the URL dropped instead of sent as Authorization: Basic
    async def request(self, method, url, **kwargs):
        scheme, sep, rest = url.partition("://")
        if sep and "@" in rest.split("/", 1)[0]:
            url = scheme + sep + rest.split("@", 1)[1]
        return await super().request(method, url, **kwargs)


class AnswersUnderAPassedDeadline(InMemoryHttpClient):
    # timeout=0 served (the fake's old behaviour) instead of timing out at once
    async def request(self, method, url, *, timeout=None, **kwargs):
        if timeout is not None and timeout <= 0:
            timeout = 5
        return await super().request(method, url, timeout=timeout, **kwargs)


class TestIgnoresUrlCredentials(HttpClientContract):
    @pytest.fixture
    def http_target(self):
        return target(IgnoresUrlCredentials)


class TestAnswersUnderAPassedDeadline(HttpClientContract):
    @pytest.fixture
    def http_target(self):
        return target(AnswersUnderAPassedDeadline)


class TestFollowsByDefault(HttpClientContract):
    @pytest.fixture
    def http_target(self):
        return target(FollowsByDefault)


class TestCaseSensitiveHeaders(HttpClientContract):
    @pytest.fixture
    def http_target(self):
        return target(CaseSensitiveHeaders)


class TestBuiltinTimeout(HttpClientContract):
    @pytest.fixture
    def http_target(self):
        return target(BuiltinTimeout)


class TestSpacedJson(HttpClientContract):
    @pytest.fixture
    def http_target(self):
        return target(SpacedJson)


class TestRaisesFor3xx(HttpClientContract):
    @pytest.fixture
    def http_target(self):
        return target(RaisesFor3xx)


class TestHeadWithBody(HttpClientContract):
    @pytest.fixture
    def http_target(self):
        return target(HeadWithBody)


class TestNoDefaultHeaders(HttpClientContract):
    @pytest.fixture
    def http_target(self):
        return target(NoDefaultHeaders)


class TestKeepsAuthorization(HttpClientContract):
    @pytest.fixture
    def http_target(self):
        return target(KeepsAuthorization)


class TestRefusesBadUrls(HttpClientContract):
    @pytest.fixture
    def http_target(self):
        return target(RefusesBadUrls)


class TestNoDefaultTimeout(HttpClientContract):
    @pytest.fixture
    def http_target(self):
        return target(NoDefaultTimeout)


class TestGenuineFake(HttpClientContract):
    @pytest.fixture
    def http_target(self):
        return target(InMemoryHttpClient)
"""


def test_the_suite_catches_each_mutant_fake(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SERPENS_CONTRACT_SHRINK", "0")
    pytester.makeini(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    )
    pytester.makepyfile(test_mutants=MUTANTS)
    pytester.makeconftest(first_failure_conftest("TestGenuineFake"))
    reprec = pytester.inline_run("-p", "no:cacheprovider", "-p", "no:randomly", "-q")
    failed = {report.nodeid.split("::")[1] for report in reprec.getfailures()}
    assert failed == {
        "TestFollowsByDefault",
        "TestCaseSensitiveHeaders",
        "TestBuiltinTimeout",
        "TestNoDefaultTimeout",
        "TestSpacedJson",
        "TestRaisesFor3xx",
        "TestHeadWithBody",
        "TestNoDefaultHeaders",
        "TestKeepsAuthorization",
        "TestRefusesBadUrls",
        "TestIgnoresUrlCredentials",
        "TestAnswersUnderAPassedDeadline",
    }


class _PerOperationTimeoutsOnly(HttpxHttpClient):
    """A mutant adapter: httpx's connect, read and write timeouts, no total deadline."""

    async def request(
        self, method: str, url: str, *, timeout: float | None = None, **kwargs: Any
    ) -> HttpxResponse:
        with translate_errors(method, url):
            return HttpxResponse(await self.client.request(method, url, timeout=timeout, **kwargs))


class _TrickleCell(HttpOutageCases):
    outage_capabilities = OutageCapabilities(kinds=HTTP_KINDS, deadline=0.5)


async def test_the_trickle_case_fails_an_adapter_with_per_read_timeouts_only(
    http_proxy: FaultProxy, scenario_server: str
) -> None:
    """Each read of a trickled answer comes within httpx's read timeout: only a deadline on
    the whole request ends it, and the suite's trickle case fails an adapter without one."""
    base = http_proxy.url_for(scenario_server)
    async with _PerOperationTimeoutsOnly(httpx.AsyncClient(timeout=0.5)) as client:
        with pytest.raises(pytest.fail.Exception, match="still blocked"):
            await _TrickleCell().test_a_trickling_backend_raises_timeout_by_the_deadline(
                client, lambda path: base + path, proxy_outage(http_proxy)
            )
