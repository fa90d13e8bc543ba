"""The exact wording of the rate limiter's errors on its settings.

See ``_error_cases`` for what the golden table pins and how its texts were taken.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from serpens.errors import ValidationError
from serpens.rate_limit import RateLimiter
from tests.serpens.fakes.error_messages._error_cases import _observed, _untyped

RATE_LIMIT_CASES = [
    pytest.param(
        lambda: RateLimiter(0),
        ValidationError,
        "invalid rate limit: rate: must be a finite number > 0",
        [("rate", "must be a finite number > 0")],
        id="rate-limit-rate-zero",
    ),
    pytest.param(
        lambda: RateLimiter(1, float("inf")),
        ValidationError,
        "invalid rate limit: per_seconds: must be a finite number > 0",
        [("per_seconds", "must be a finite number > 0")],
        id="rate-limit-per-seconds-infinite",
    ),
    pytest.param(
        lambda: RateLimiter(1, burst=_untyped(True)),
        ValidationError,
        "invalid rate limit: burst: must be an integer >= 1",
        [("burst", "must be an integer >= 1")],
        id="rate-limit-burst-a-bool",
    ),
    pytest.param(
        lambda: RateLimiter(_untyped("5"), -1, burst=0),
        ValidationError,
        (
            "invalid rate limit: rate: must be a finite number > 0; "
            "per_seconds: must be a finite number > 0; burst: must be an integer >= 1"
        ),
        [
            ("rate", "must be a finite number > 0"),
            ("per_seconds", "must be a finite number > 0"),
            ("burst", "must be an integer >= 1"),
        ],
        id="rate-limit-every-number-wrong",
    ),
]


class TestInMemoryErrorMessages:
    """Each of serpens' own messages, word for word, with its type and field errors."""

    @pytest.mark.parametrize(("call", "error", "message", "fields"), RATE_LIMIT_CASES)
    async def test_message(
        self,
        call: Callable[[], object],
        error: type[Exception],
        message: str,
        fields: list[tuple[str, str]],
    ) -> None:
        """The call raises exactly *error* (not a subclass) reading exactly *message*."""
        assert await _observed(call) == (error, message, fields)
