import pytest
from acme_cache import AcmeCache  # your adapter

from serpens_contract import CacheCapabilities, CacheContract


class TestAcmeCache(CacheContract):
    capabilities = CacheCapabilities(clock="injected", ttl_resolution=0.0)

    @pytest.fixture
    def open_cache(self, clock, tmp_path):  # namespace -> a fresh Cache on the suite's clock
        return lambda namespace: AcmeCache(tmp_path / "acme.db", namespace=namespace, clock=clock)
