"""Named capability requirements: honest differences between implementations.

Each port's suite module registers the capability names its tests may require, as a
predicate over that port's capabilities dataclass. A test decorated with
``@requires("ttl_millis")`` is skipped, with the capability named in the reason and in
the report, when the implementation's declared capabilities do not satisfy it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest

__all__ = ["Capability", "lookup_capability", "register_capability", "requires"]

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class Capability:
    """A named predicate over a port's capabilities object.

    ``source`` names the suite's class attribute the predicate reads: ``"capabilities"``
    (the port's dataclass) or ``"outage_capabilities"`` (how the implementation behaves
    during an outage, see :mod:`serpens_contract.outage`).
    """

    contract: str
    name: str
    predicate: Callable[[Any], bool]
    description: str
    source: str = "capabilities"

    def satisfied_by(self, suite: type) -> bool:
        """Whether the *suite* class's declared capabilities satisfy this one."""
        return self.predicate(getattr(suite, self.source, None))


_REGISTRY: dict[tuple[str, str], Capability] = {}


def register_capability(
    contract: str,
    name: str,
    predicate: Callable[[Any], bool],
    description: str,
    *,
    source: str = "capabilities",
) -> Capability:
    """Register capability *name* for the *contract* port; re-registering replaces it.

    The *predicate* is called with the suite's ``source`` class attribute
    (``capabilities`` by default).
    """
    capability = Capability(contract, name, predicate, description, source)
    _REGISTRY[contract, name] = capability
    return capability


def lookup_capability(contract: str, name: str) -> Capability:
    """Return the registered capability or raise ``LookupError`` listing the known names."""
    try:
        return _REGISTRY[contract, name]
    except KeyError:
        known = sorted(n for c, n in _REGISTRY if c == contract)
        raise LookupError(
            f"unknown capability {name!r} for contract {contract!r}; known: {known}"
        ) from None


def requires(*names: str) -> Callable[[F], F]:
    """Mark a contract test as needing every capability in *names*."""
    mark = pytest.mark.serpens_requires(*names)

    def decorate(func: F) -> F:
        return mark(func)  # type: ignore[no-any-return]

    return decorate
