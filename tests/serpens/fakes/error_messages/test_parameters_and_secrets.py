"""The exact wording of the in-memory parameter and secret stores' errors.

See ``_error_cases`` for what the golden table pins and how its texts were taken.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from serpens.errors import (
    BackendTimeoutError,
    BackendUnavailableError,
    NotFoundError,
    ValidationError,
)
from serpens.fakes import InMemoryParameterStore, InMemorySecretStore
from tests.serpens.fakes.error_messages._error_cases import (
    _down,
    _observed,
    _untyped,
)

PARAMETER_CASES = [
    pytest.param(
        lambda: InMemoryParameterStore().put("", "v"),
        ValidationError,
        "parameter '' needs a non-empty name and string value",
        [],
        id="parameter-empty-name",
    ),
    pytest.param(
        lambda: InMemoryParameterStore().put("/app/db", "", secure=True),
        ValidationError,
        "parameter '/app/db' needs a non-empty name and string value",
        [],
        id="parameter-empty-value",
    ),
    pytest.param(
        lambda: InMemoryParameterStore().get_parameters_by_path("app"),
        ValidationError,
        "parameter path 'app' must start with '/'",
        [],
        id="parameter-path-relative",
    ),
    pytest.param(
        lambda: InMemorySecretStore().put("db", _untyped(42)),
        ValidationError,
        "secret 'db' needs a str or bytes value",
        [],
        id="secret-value-wrong-type",
    ),
    pytest.param(
        lambda: InMemorySecretStore().get_secret("db"),
        NotFoundError,
        "secret 'db' does not exist",
        [],
        id="secret-does-not-exist",
    ),
    pytest.param(
        lambda: _down(InMemorySecretStore({"db": "s3cret"})).get_secret("db"),
        BackendUnavailableError,
        "InMemorySecretStore: simulated outage, the backend is unreachable",
        [],
        id="secret-store-outage",
    ),
    pytest.param(
        lambda: _down(InMemoryParameterStore(), timeout=True).get_parameters(["/a"]),
        BackendTimeoutError,
        "InMemoryParameterStore: simulated outage, the backend did not answer",
        [],
        id="parameter-store-outage-timeout",
    ),
]


class TestInMemoryErrorMessages:
    """Each of serpens' own messages, word for word, with its type and field errors."""

    @pytest.mark.parametrize(("call", "error", "message", "fields"), PARAMETER_CASES)
    async def test_message(
        self,
        call: Callable[[], object],
        error: type[Exception],
        message: str,
        fields: list[tuple[str, str]],
    ) -> None:
        """The call raises exactly *error* (not a subclass) reading exactly *message*."""
        assert await _observed(call) == (error, message, fields)
