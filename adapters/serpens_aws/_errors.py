"""botocore failures mapped to serpens errors, shared by every AWS adapter.

One table of (botocore exception, serpens error factory) pairs, most specific first;
:func:`translate` looks an exception up, :func:`translate_errors` re-raises with
``raise ... from exc``. Messages name the resource, never a value sent or received.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Final

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
    PartialCredentialsError,
    ReadTimeoutError,
)

from serpens.errors import (
    BackendTimeoutError,
    BackendUnavailableError,
    ConfigurationError,
    SerpensError,
    ValidationError,
)
from serpens_aws._deadline import one_call
from serpens_aws._not_found import AWSNotFoundError

__all__ = ["COMMON_CODES", "translate", "translate_errors"]

# error codes every AWS service may return, and the transient ones of the services the
# adapters call (throttling, faults on AWS's side) under their own names
COMMON_CODES: Mapping[str, type[SerpensError]] = {
    "ThrottlingException": BackendUnavailableError,
    "Throttling": BackendUnavailableError,
    "RequestLimitExceeded": BackendUnavailableError,
    "ServiceUnavailable": BackendUnavailableError,
    "InternalServerError": BackendUnavailableError,
    "InternalFailure": BackendUnavailableError,
    "RequestThrottled": BackendUnavailableError,  # SQS
    "KmsThrottled": BackendUnavailableError,  # SQS: KMS throttling an encrypted queue
    "InternalServiceError": BackendUnavailableError,  # Secrets Manager
    # an answer naming no error (a gateway's page): botocore's code is the HTTP status
    "500": BackendUnavailableError,
    "502": BackendUnavailableError,
    "503": BackendUnavailableError,
    "504": BackendUnavailableError,
}

_Factory = Callable[
    [BaseException, str, Mapping[str, type[SerpensError]], Mapping[str, str]], SerpensError
]


def _client_error(
    exc: BaseException,
    what: str,
    codes: Mapping[str, type[SerpensError]],
    messages: Mapping[str, str],
) -> SerpensError:
    response = exc.response if isinstance(exc, ClientError) else {}
    code = response.get("Error", {}).get("Code", "")
    error = codes.get(code) or COMMON_CODES.get(code, SerpensError)
    message = messages.get(code) or f"AWS {code or 'error'} on {what}"
    if issubclass(error, AWSNotFoundError) and isinstance(exc, ClientError):
        # also the ClientError serpens 2.9 let through, with AWS's own answer
        return error(message, exc.response, exc.operation_name)
    return error(message)


def _timed_out(_exc: BaseException, what: str, *_: object) -> SerpensError:
    return BackendTimeoutError(f"AWS timed out on {what}")


def _unreachable(_exc: BaseException, what: str, *_: object) -> SerpensError:
    return BackendUnavailableError(f"AWS is unreachable ({what})")


def _not_configured(exc: BaseException, what: str, *_: object) -> SerpensError:
    # botocore's messages name what is missing (a region, a variable), never a value
    return ConfigurationError(f"AWS is not configured for {what}: {exc}")


# botocore's report lines: 'Invalid type for parameter Names[0], value: ...' and
# 'Missing required parameter in Entries[0]: "Id"' ('in input' at the top level)
_PARAMETER: Final = re.compile(r'parameter (?:in (\S+): "([^"]+)"|(\S+?),? )')


def _parameter(found: re.Match[str]) -> str:
    where, field, name = found.groups()
    if field is None:
        return str(name)
    return field if where == "input" else f"{where}.{field}"


def _refused_before_sending(exc: BaseException, what: str, *_: object) -> SerpensError:
    # botocore's report quotes the values it refused: name the parameters only
    names = sorted({_parameter(found) for found in _PARAMETER.finditer(str(exc))})
    return ValidationError(f"invalid request for {what}: {', '.join(names) or 'parameters'}")


# most specific first
_TABLE: Final[
    tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], _Factory], ...]
] = (
    (ClientError, _client_error),
    ((ReadTimeoutError, ConnectTimeoutError), _timed_out),
    ((EndpointConnectionError, ConnectionClosedError), _unreachable),
    ((NoRegionError, NoCredentialsError, PartialCredentialsError), _not_configured),
    (ParamValidationError, _refused_before_sending),
)


def translate(
    exc: BaseException,
    what: str,
    codes: Mapping[str, type[SerpensError]],
    messages: Mapping[str, str] | None = None,
) -> SerpensError | None:
    """Return the serpens error for botocore failure *exc* while doing *what*, else ``None``.

    *codes* maps AWS error codes to serpens error classes (``COMMON_CODES`` apply too);
    *messages* optionally gives a code a clearer message than ``"<code> on <what>"``.
    A missing region or missing credentials is a :class:`ConfigurationError`.
    """
    for sdk_kind, factory in _TABLE:
        if isinstance(exc, sdk_kind):
            return factory(exc, what, codes, messages or {})
    return None


@contextmanager
def translate_errors(
    what: str,
    codes: Mapping[str, type[SerpensError]],
    messages: Mapping[str, str] | None = None,
) -> Iterator[None]:
    """Raise the serpens error for a botocore failure while doing *what* (see :func:`translate`).

    The block is one adapter call: on a client :func:`~serpens_aws._deadline.bound`
    prepared, each attempt's response must arrive whole within its read timeout.
    """
    try:
        with one_call():
            yield
    except Exception as exc:
        mapped = translate(exc, what, codes, messages)
        if mapped is None:
            raise
        raise mapped from exc
