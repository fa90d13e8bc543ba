"""Environment variables that may point at a secret or a parameter, as serpens 2.9's ``envvars``.

``get(name)`` reads the variable and, when its value is a reference, returns what it
names instead:

- ``parameters://NAME``: the SSM parameter ``NAME`` (:func:`serpens.parameters.get`);
- ``secrets://ID`` or ``secrets://ID?KEY``: the Secrets Manager secret ``ID``, or the key
  ``KEY`` of that JSON secret (:func:`serpens.secrets_manager.get`).

Both are cached per process for 15 minutes by those modules. Services written for 2.9 set
``DATABASE_URL=secrets://prod/db?url`` on Lambda; :func:`serpens.database.bind`,
``async_bind`` and ``serpens.database.alembic`` resolve ``DATABASE_URL`` through
:func:`get_str`. Unlike 2.9, a reference is split at its first ``://`` only and at
its last ``?``, so a parameter name or secret id never loses what follows a second
``://``.

``load_dotenv(path)`` reads ``NAME=value`` lines into the environment. It runs only when
called (2.9 ran it at import) and never replaces a variable the environment already has
unless ``override=True`` (2.9 did, so a stray ``.env`` beat the real configuration).
"""

from __future__ import annotations

import logging
import os
import shlex
from pathlib import Path
from typing import Any

from serpens._config import env_str, environ
from serpens.errors import ConfigurationError

__all__ = ["PARAMETERS_SCHEME", "SECRETS_SCHEME", "get", "get_str", "load_dotenv", "resolve"]

PARAMETERS_SCHEME = "parameters://"
SECRETS_SCHEME = "secrets://"


def resolve(value: str) -> Any:
    """Return what *value* refers to (a parameter, a secret or one of its keys), else *value*.

    Raises:
        ConfigurationError: the reference names nothing (``parameters://`` or
            ``secrets://`` alone, or ``secrets://?KEY``).
        NotFoundError: the parameter or secret (or the secret's key) does not exist.
    """
    if value.startswith(PARAMETERS_SCHEME):
        name = value[len(PARAMETERS_SCHEME) :]
        if not name:
            raise ConfigurationError("a parameters:// reference must name a parameter")
        from serpens import parameters  # noqa: PLC0415 - needs serpens[aws] only when used

        return parameters.get(name)
    if value.startswith(SECRETS_SCHEME):
        secret_id, question, key = value[len(SECRETS_SCHEME) :].rpartition("?")
        if not question:  # no "?": rpartition put everything in key
            secret_id, key = key, ""
        if not secret_id:  # "secrets://" or "secrets://?KEY": no secret named
            raise ConfigurationError("a secrets:// reference must name a secret")
        from serpens import secrets_manager  # noqa: PLC0415 - needs serpens[aws] only when used

        return secrets_manager.get(secret_id, key or None)
    return value


def get(key: str, default: str | None = None) -> Any:
    """Return the variable *key* (``default`` when unset), resolving a reference it holds.

    A ``parameters://`` or ``secrets://`` value is replaced by what it names (see the
    module docstring); *default* goes through the same resolution, as in serpens 2.9.
    """
    value = environ().get(key, default)
    if value is None:
        return None
    return resolve(value)


def get_str(key: str) -> str | None:
    """Like :func:`get`, for a setting that must be text (a URL): ``None`` when unset or empty.

    Raises:
        ConfigurationError: the reference resolved to something that is not a string (a
            whole JSON secret where one of its keys was meant: ``secrets://ID?KEY``).
    """
    raw = env_str(key)
    if raw is None:
        return None
    value = resolve(raw)
    if not isinstance(value, str):
        raise ConfigurationError(
            f"{key} refers to a value that is not text ({type(value).__name__}); "
            "name one key of a JSON secret: secrets://ID?KEY"
        )
    return value


def load_dotenv(filename: str | os.PathLike[str] = ".env", *, override: bool = False) -> None:
    """Read ``NAME=value`` lines of *filename* into ``os.environ`` (a missing file is ignored).

    Blank lines and ``#`` comments are skipped, an ``export`` prefix is allowed, values
    may be quoted as in a shell, and ``A=b=c`` sets ``A`` to ``b=c``. A variable already
    in the environment is kept unless *override*. A file that is not UTF-8 text loads
    nothing (a warning on the ``serpens.envvars`` logger), as serpens 2.9 ignored it.
    """
    path = Path(filename)
    if not path.is_file():
        return
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        logging.getLogger(__name__).warning("%s is not UTF-8 text: nothing loaded", path)
        return
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("export "):
            stripped = stripped[len("export ") :].lstrip()
        name, sep, raw = stripped.partition("=")
        name = name.strip()
        if not sep or not name:
            continue
        try:
            words = shlex.split(raw, comments=True)
        except ValueError:  # an unbalanced quote: keep the text as written
            words = [raw.strip()]
        value = " ".join(words)
        if override or name not in os.environ:
            os.environ[name] = value
