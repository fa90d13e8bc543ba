"""Sans-I/O pieces: the circuit breaker with rate-limited warnings, and key building."""

from __future__ import annotations

import datetime as dt
import logging
import uuid

import pytest

from serpens.cache._keys import KeyBuilder, is_method
from serpens_redis._failopen import FailOpen


class TestFailOpen:
    def test_breaker_opens_after_threshold_and_probes_after_cooldown(self) -> None:
        now = [0.0]
        guard = FailOpen("redis://h:1/0", threshold=3, cooldown=0.5, clock=lambda: now[0])
        for _ in range(3):
            assert guard.allow()
            guard.failed("GET", ConnectionError("refused"))
        assert guard.is_open
        assert not guard.allow()
        now[0] = 0.5
        assert guard.allow()  # one probe ...
        assert not guard.allow()  # ... while the others keep skipping
        guard.failed("GET", ConnectionError("refused"))
        now[0] = 1.0
        assert guard.allow()
        guard.succeeded()
        assert not guard.is_open
        assert guard.allow()

    def test_warnings_are_rate_limited_and_summarised(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        now = [0.0]
        guard = FailOpen("redis://h:1/0", threshold=100, warn_interval=10, clock=lambda: now[0])
        with caplog.at_level(logging.WARNING, logger="serpens.cache"):
            for _ in range(50):
                guard.failed("GET", ConnectionError("redis://user:pw@h:1 refused"))
            now[0] = 10.0
            guard.failed("SET", TimeoutError("slow"))
            guard.succeeded()
        messages = [r.getMessage() for r in caplog.records]
        assert len(messages) == 2
        assert "49 more failures" in messages[1]
        assert "pw" not in "".join(messages)
        guard.failed("GET", ConnectionError("x"))  # breaker threshold not reached: no recovery line
        assert not guard.is_open


def plain(a: int, b: int = 2, *, c: str = "x") -> int:
    return a + b


class Service:
    def method(self, a: int) -> int:
        return a

    @classmethod
    def klass(cls, a: int) -> int:
        return a


class TestKeys:
    def test_method_detection(self) -> None:
        assert is_method(Service.method)
        assert is_method(Service.__dict__["klass"].__func__)
        assert not is_method(plain)

        def local(self: object) -> None: ...

        assert not is_method(local)  # named self, but not defined in a class body

    def test_portable_keys_ignore_keyword_order_and_self(self) -> None:
        keys = KeyBuilder(plain)
        assert keys.portable((1,), {"b": 3, "c": "y"}) == keys.portable((1, 3), {"c": "y"})
        assert keys.portable((1,), {"c": "y", "b": 3}) == keys.portable((1,), {"b": 3, "c": "y"})
        assert keys.portable((1,), {}) != keys.portable((2,), {})
        method = KeyBuilder(Service.method)
        assert method.portable((Service(), 1), {}) == method.portable((Service(), 1), {})
        assert KeyBuilder(Service.method, skip_first=False).portable((Service(), 1), {}) is None

    def test_portable_keys_accept_common_types_and_refuse_objects(self) -> None:
        keys = KeyBuilder(plain)
        when = dt.datetime(2024, 1, 2, tzinfo=dt.UTC)
        ident = uuid.UUID(int=7)
        assert keys.portable((when, ident, {3, 1}), {}) == keys.portable((when, ident, {1, 3}), {})
        assert keys.portable((object(),), {}) is None
        assert len(keys.portable(("x" * 10_000,), {}) or "") == 40

    def test_different_functions_never_share_keys(self) -> None:
        assert KeyBuilder(plain).portable((1,), {}) != KeyBuilder(Service.method).portable(
            (None, 1), {}
        )
