"""Typed readers for environment variables: the only module that touches ``os.environ``.

Settings objects elsewhere call these from a ``from_env()`` classmethod at
``bind()``/``init`` time, never at import, so tests and services can change the
environment before initialising. A malformed value raises
:class:`~serpens.errors.ConfigurationError` naming the variable (never echoing a
value that might be secret).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping

from serpens.errors import ConfigurationError

__all__ = ["env_bool", "env_float", "env_int", "env_str", "environ"]

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


def environ() -> Mapping[str, str]:
    """Return the process environment (the default source for every ``from_env``)."""
    return os.environ


def env_str(
    name: str, default: str | None = None, env: Mapping[str, str] | None = None
) -> str | None:
    """Return the variable's value, or *default* when it is unset or empty."""
    value = (os.environ if env is None else env).get(name)
    return default if value is None or value == "" else value


def env_int(
    name: str, default: int, env: Mapping[str, str] | None = None, *, minimum: int | None = None
) -> int:
    """Return the variable as an int (*default* when unset), at least *minimum*."""
    raw = env_str(name, None, env)
    if raw is None:
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ConfigurationError(f"{name} must be an integer") from None
    if minimum is not None and value < minimum:
        raise ConfigurationError(f"{name} must be >= {minimum}")
    return value


def env_float(
    name: str, default: float, env: Mapping[str, str] | None = None, *, minimum: float | None = None
) -> float:
    """Return the variable as a finite float (*default* when unset), at least *minimum*."""
    raw = env_str(name, None, env)
    if raw is None:
        return default
    try:
        value = float(raw.strip())
    except ValueError:
        raise ConfigurationError(f"{name} must be a number") from None
    if not math.isfinite(value):
        raise ConfigurationError(f"{name} must be a finite number")
    if minimum is not None and value < minimum:
        raise ConfigurationError(f"{name} must be >= {minimum}")
    return value


def env_bool(name: str, default: bool, env: Mapping[str, str] | None = None) -> bool:
    """Return the variable as a bool (1/true/yes/on, 0/false/no/off), *default* when unset."""
    raw = (os.environ if env is None else env).get(name)
    if raw is None:
        return default
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigurationError(f"{name} must be a boolean (true/false)")
