"""The SDK-failure table of ``serpens_pubsub._errors``, row by row, with exact messages.

The contract cells and emulator tests reach only some rows (a missing topic, an
unreachable or frozen broker); a broker's ``InvalidArgument`` or ``PermissionDenied``, or
a caller's wait running out, cannot be produced on either emulator. The SDK's own
exception classes go through :func:`translate` here: no wire call is faked.
"""

from __future__ import annotations

from typing import Any

import pytest
from google.api_core import exceptions

from serpens.errors import (
    BackendError,
    BackendTimeoutError,
    BackendUnavailableError,
    ConfigurationError,
    NotFoundError,
    SerpensError,
    ValidationError,
)
from serpens_pubsub import TopicNotFoundError
from serpens_pubsub._errors import translate, translate_errors

TOPIC = "projects/p/topics/orders"
gexc: Any = exceptions  # the SDK's exception classes are untyped


@pytest.mark.parametrize(
    ("error", "kind", "message"),
    [
        pytest.param(
            TimeoutError(),
            BackendTimeoutError,
            f"publish to {TOPIC} did not complete in time",
            id="wait-ran-out",
        ),
        pytest.param(
            gexc.RetryError("Timeout of 1.0s exceeded", gexc.ServiceUnavailable("down")),
            BackendUnavailableError,
            f"publish to {TOPIC} gave up retrying: Timeout of 1.0s exceeded; last error: 503 down",
            id="gave-up-unreachable",
        ),
        pytest.param(
            gexc.RetryError("Timeout of 1.0s exceeded", gexc.DeadlineExceeded("slow")),
            BackendTimeoutError,
            f"publish to {TOPIC} gave up retrying: Timeout of 1.0s exceeded; last error: 504 slow",
            id="gave-up-slow",
        ),
        pytest.param(
            gexc.NotFound("Topic not found"),
            TopicNotFoundError,
            f"topic {TOPIC} does not exist: NotFound: Topic not found",
            id="not-found",
        ),
        pytest.param(
            gexc.InvalidArgument("Some messages are empty"),
            ValidationError,
            f"Pub/Sub rejected the message for {TOPIC}: InvalidArgument: Some messages are empty",
            id="invalid-argument",
        ),
        pytest.param(
            gexc.DeadlineExceeded("Deadline Exceeded"),
            BackendTimeoutError,
            f"publish to {TOPIC} exceeded its deadline: DeadlineExceeded: Deadline Exceeded",
            id="deadline",
        ),
        pytest.param(
            gexc.ServiceUnavailable("connection refused"),
            BackendUnavailableError,
            f"Pub/Sub is unreachable ({TOPIC}): ServiceUnavailable: connection refused",
            id="unavailable",
        ),
        pytest.param(
            gexc.PermissionDenied("User not authorized"),
            BackendError,
            f"publish to {TOPIC} failed: PermissionDenied: User not authorized",
            id="any-other-api-error",
        ),
    ],
)
def test_each_sdk_failure_is_its_serpens_error(
    error: BaseException, kind: type[SerpensError], message: str
) -> None:
    with pytest.raises(kind) as raised, translate_errors(TOPIC):
        raise error
    assert type(raised.value) is kind
    assert str(raised.value) == message
    assert raised.value.__cause__ is error


def test_a_missing_topic_is_also_the_sdks_not_found() -> None:
    mapped = translate(gexc.NotFound("Topic not found"), TOPIC)
    assert isinstance(mapped, NotFoundError)
    assert isinstance(mapped, gexc.NotFound)
    assert mapped.code == 404


def test_serpens_errors_and_other_exceptions_pass_unchanged() -> None:
    own = ConfigurationError("no credentials")
    assert translate(own, TOPIC) is own
    assert translate(ValueError("x"), TOPIC) is None
    for error in (own, ValueError("x")):
        with pytest.raises(type(error)) as raised, translate_errors(TOPIC):
            raise error
        assert raised.value is error
