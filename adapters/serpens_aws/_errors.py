"""botocore failures mapped to serpens errors, shared by every AWS adapter."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ReadTimeoutError,
)

from serpens.errors import (
    BackendTimeoutError,
    BackendUnavailableError,
    ConfigurationError,
    SerpensError,
)

__all__ = ["COMMON_CODES", "translate_errors"]

# error codes every AWS service may return
COMMON_CODES: Mapping[str, type[SerpensError]] = {
    "ThrottlingException": BackendUnavailableError,
    "Throttling": BackendUnavailableError,
    "RequestLimitExceeded": BackendUnavailableError,
    "ServiceUnavailable": BackendUnavailableError,
    "InternalServerError": BackendUnavailableError,
    "InternalFailure": BackendUnavailableError,
}


@contextmanager
def translate_errors(
    what: str,
    codes: Mapping[str, type[SerpensError]],
    messages: Mapping[str, str] | None = None,
) -> Iterator[None]:
    """Raise the serpens error for a botocore failure while doing *what*.

    *codes* maps AWS error codes to serpens error classes (``COMMON_CODES`` apply too);
    *messages* optionally gives a code a clearer message than ``"<code> on <what>"``.
    A missing region or missing credentials is a :class:`ConfigurationError`. Messages
    name the resource, never a value sent or received.
    """
    try:
        yield
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        error = codes.get(code) or COMMON_CODES.get(code, SerpensError)
        message = (messages or {}).get(code) or f"AWS {code or 'error'} on {what}"
        raise error(message) from exc
    except (ReadTimeoutError, ConnectTimeoutError) as exc:
        raise BackendTimeoutError(f"AWS timed out on {what}") from exc
    except (EndpointConnectionError, ConnectionClosedError) as exc:
        raise BackendUnavailableError(f"AWS is unreachable ({what})") from exc
    except (NoRegionError, NoCredentialsError, PartialCredentialsError) as exc:
        # botocore's messages name what is missing (a region, a variable), never a value
        raise ConfigurationError(f"AWS is not configured for {what}: {exc}") from exc
