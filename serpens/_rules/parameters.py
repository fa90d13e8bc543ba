"""Sans-I/O argument rules shared by every ParameterStore and SecretStore.

The limits are SSM's and Secrets Manager's, which boto3 checks before sending: a name
or secret id of 1 to 2,048 characters. A fake that answered ``{}`` or "not found" for an
empty name would pass a unit test that fails in production with botocore's own error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from serpens.errors import FieldError, ValidationError

__all__ = ["MAX_NAME_LENGTH", "check_names", "check_path", "check_secret_id", "parameter_key"]

MAX_NAME_LENGTH = 2048
"""The longest parameter name (``GetParameters``) and secret id (``GetSecretValue``)."""


def _valid(name: object) -> bool:
    return isinstance(name, str) and 1 <= len(name) <= MAX_NAME_LENGTH


def check_names(names: Sequence[str]) -> list[str]:
    """Return *names* without repeats, in order; raise ValidationError naming each bad one.

    A bare ``str`` (or ``bytes``) is refused: it is a sequence of one-character names,
    never meant; so are ``None``, a mapping and anything else that is not a collection
    of names. Any other iterable is read once (a generator included).
    """
    if isinstance(names, str | bytes):
        raise ValidationError(
            f"parameter names must be a sequence of names, not one {type(names).__name__}",
            [FieldError("names", "wrap a single name in a list")],
        )
    if not isinstance(names, Iterable) or isinstance(names, Mapping):
        raise ValidationError(
            "parameter names must be a sequence of names",
            [FieldError("names", f"expected a list or tuple of str, got {type(names).__name__}")],
        )
    names = list(names)
    errors = [
        FieldError(f"names[{i}]", f"must be a str of 1 to {MAX_NAME_LENGTH} characters")
        for i, name in enumerate(names)
        if not _valid(name)
    ]
    if errors:
        raise ValidationError("invalid parameter names", errors)
    return list(dict.fromkeys(names))


def check_path(path: object) -> str:
    """Return *path* if it is a str of 1 to 2,048 characters starting with ``/``.

    SSM's ``GetParametersByPath`` takes such a path only (botocore checks the length).

    Raises:
        ValidationError: anything else, ``None`` included.
    """
    if not isinstance(path, str):
        raise ValidationError(
            f"parameter path must be a str starting with '/', got {type(path).__name__}"
        )
    if not path.startswith("/"):
        raise ValidationError(f"parameter path {path[:100]!r} must start with '/'")
    if len(path) > MAX_NAME_LENGTH:
        raise ValidationError(
            f"parameter path must be at most {MAX_NAME_LENGTH} characters, got {len(path)}"
        )
    return path


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
