"""Sans-I/O argument rules shared by every ParameterStore and SecretStore.

The limits are SSM's and Secrets Manager's, which boto3 checks before sending: a name
or secret id of 1 to 2,048 characters. A fake that answered ``{}`` or "not found" for an
empty name would pass a unit test that fails in production with botocore's own error.
"""

from __future__ import annotations

from collections.abc import Sequence

from serpens.errors import FieldError, ValidationError

__all__ = ["MAX_NAME_LENGTH", "check_names", "check_secret_id", "parameter_key"]

MAX_NAME_LENGTH = 2048
"""The longest parameter name (``GetParameters``) and secret id (``GetSecretValue``)."""


def _valid(name: object) -> bool:
    return isinstance(name, str) and 1 <= len(name) <= MAX_NAME_LENGTH


def check_names(names: Sequence[str]) -> list[str]:
    """Return *names* without repeats, in order; raise ValidationError naming each bad one.

    A bare ``str`` is refused: it is a sequence of one-character names, never meant.
    """
    if isinstance(names, str):
        raise ValidationError(
            "parameter names must be a sequence of names, not one str",
            [FieldError("names", "wrap a single name in a list")],
        )
    errors = [
        FieldError(f"names[{i}]", f"must be a str of 1 to {MAX_NAME_LENGTH} characters")
        for i, name in enumerate(names)
        if not _valid(name)
    ]
    if errors:
        raise ValidationError("invalid parameter names", errors)
    return list(dict.fromkeys(names))


def check_secret_id(secret_id: str) -> None:
    """Raise ValidationError unless *secret_id* is a str of 1 to 2,048 characters."""
    if not _valid(secret_id):
        raise ValidationError(
            "invalid secret id",
            [FieldError("secret_id", f"must be a str of 1 to {MAX_NAME_LENGTH} characters")],
        )


def parameter_key(name: str) -> str:
    """The identity of parameter *name*: a top-level name with or without its leading ``/``.

    ``plain`` and ``/plain`` are one parameter: both have the ARN
    ``...:parameter/plain`` (AWS drops a name's leading ``/`` in its ARN), and moto,
    the reference the contract runs the adapter on, answers a ``GetParameters`` for
    either with the name as it was created. Deeper names (``/app/x``) are their own key.
    """
    rest = name.removeprefix("/")
    return rest if rest and "/" not in rest else name
