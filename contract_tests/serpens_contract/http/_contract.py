"""``HttpClientContract``: the suite every :class:`~serpens.ports.HttpClient` must pass.

The suite holds its capabilities and fixtures (``http_target``, overridden by an
implementation, ``client`` and ``url``) and joins the case mixins, one per theme.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import ClassVar

import pytest

from serpens.ports import HttpClient
from serpens_contract._suite import ContractSuite
from serpens_contract.http._differential import _HttpDifferentialCases
from serpens_contract.http._failures import _HttpFailureCases
from serpens_contract.http._inputs import _HttpInputCases
from serpens_contract.http._redirects import _HttpRedirectCases
from serpens_contract.http._requests import _HttpRequestCases
from serpens_contract.http._responses import _HttpResponseCases
from serpens_contract.http._target import HttpClientCapabilities, HttpTarget
from serpens_contract.http._wire import _HttpWireCases
from serpens_contract.outage import HttpOutageCases


# pytest collects a class's bases last-first: listed so that the tests run in the order
# requests, inputs, responses, redirects, wire, failures, differential.
class HttpClientContract(
    _HttpDifferentialCases,
    _HttpFailureCases,
    _HttpWireCases,
    _HttpRedirectCases,
    _HttpResponseCases,
    _HttpInputCases,
    _HttpRequestCases,
    HttpOutageCases,
    ContractSuite,
):
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
