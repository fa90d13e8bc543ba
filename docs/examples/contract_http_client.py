import pytest

from serpens.testing import serve_asgi
from serpens_contract import HttpClientContract, HttpTarget
from serpens_contract.http import scenario_app
from serpens_httpx import HttpxHttpClient  # stands in for your client


@pytest.fixture(scope="module")
def scenario_url():
    with serve_asgi(scenario_app) as url:  # the suite's app on 127.0.0.1
        yield url


class TestMyClient(HttpClientContract):
    @pytest.fixture
    def http_target(self, scenario_url):  # where the app runs, a refusing URL, a factory
        return HttpTarget(
            scenario_url,
            "http://127.0.0.1:1/",
            lambda: HttpxHttpClient(timeout=5),
            make_timed_client=lambda seconds: HttpxHttpClient(timeout=seconds),
        )
