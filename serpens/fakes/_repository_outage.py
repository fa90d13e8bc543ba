"""The outage switch of the repository fakes: a simulated database outage.

The outage belongs to the :class:`~serpens.fakes.InMemoryDatabase`, as a real database
outage hits every session on it: ``repo.outage()`` and ``database.outage()`` are the same
switch, and every repository on that database raises
:class:`~serpens.errors.BackendUnavailableError` (or, with ``timeout=True``,
:class:`~serpens.errors.BackendTimeoutError`) from each port operation meanwhile. The
check runs in front of every public method, in a wrapper generated with that method's
own signature, so it costs a test suite little on each call.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Self

from serpens.fakes._outage import OutageSwitch

__all__ = ["RepositoryOutage"]

_WRAPPED = "__serpens_outage__"


def _guarded(method: Callable[..., Any]) -> Callable[..., Any]:
    """*method* behind the outage check, generated with *method*'s own signature.

    A generic ``(self, *args, **kwargs)`` wrapper costs about 250 ns a call, most of it
    packing and unpacking the arguments; one generated with the method's parameters
    (as ``dataclasses`` generates ``__init__``) costs about 40 ns, on every call of a
    fake that users' tests make.
    """
    signature = inspect.signature(method)
    params, forward, defaults = _parameters(signature)
    this = next(iter(signature.parameters))  # ``self``
    source = (
        f"def {method.__name__}{params}:\n"
        # A method that __init__ runs before the database is attached has no switch to
        # check yet (tools that rewrite methods, such as mutmut's trampolines, do this).
        "    try:\n"
        f"        _serpens_kind = {this}.database._outage_kind\n"
        "    except AttributeError:\n"
        "        _serpens_kind = None\n"
        "    if _serpens_kind is not None:\n"
        f"        raise {this}.database._outage_error()\n"  # the switch's own error
        f"    return _serpens_method({forward})\n"
    )
    namespace: dict[str, Any] = {"_serpens_method": method, **defaults}
    exec(source, namespace)  # noqa: S102 - our own text, built from a signature
    # update_wrapper's __qualname__ also names the method in a wrong call's TypeError
    # ("InMemoryRepository.get() missing ..."), as the method itself would.
    guarded: Callable[..., Any] = functools.update_wrapper(namespace[method.__name__], method)
    setattr(guarded, _WRAPPED, True)
    return guarded


class _Named:
    """A default value written into generated source as the name it is bound to."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


def _parameters(signature: inspect.Signature) -> tuple[str, str, dict[str, object]]:
    """The parameter list, the forwarding arguments and the defaults of a generated wrapper.

    The list is the signature's own text (``inspect`` writes the ``*`` and ``/``
    separators) without annotations, each default by the name it is bound to.
    """
    empty = inspect.Parameter.empty
    params = []
    forward = []
    defaults: dict[str, object] = {}
    for index, param in enumerate(signature.parameters.values()):
        default: object = empty
        if param.default is not empty:
            default = _Named(f"_serpens_default_{index}")
            defaults[repr(default)] = param.default
        params.append(param.replace(annotation=empty, default=default))
        forward.append(_FORWARD[param.kind].format(param.name))
    text = str(inspect.Signature(params))
    return text, ", ".join(forward), defaults


_FORWARD = {
    inspect.Parameter.POSITIONAL_ONLY: "{}",
    inspect.Parameter.POSITIONAL_OR_KEYWORD: "{}",
    inspect.Parameter.VAR_POSITIONAL: "*{}",
    inspect.Parameter.KEYWORD_ONLY: "{0}={0}",
    inspect.Parameter.VAR_KEYWORD: "**{}",
}
"""How a generated wrapper passes each kind of parameter on."""


class RepositoryOutage:
    """Mixin of the repository fakes: ``outage()`` of their database, checked per call.

    Every public plain method the fake defines checks the database's outage first
    (async methods delegate to a sync repository, which checks); methods added later
    are covered without listing them. Users' subclasses are left as written: their
    methods reach the database through the fake's, which check.
    """

    database: OutageSwitch

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__module__ != "serpens.fakes._repository":
            return
        for name, member in list(vars(cls).items()):
            if (
                name.startswith("_")
                or not inspect.isfunction(member)
                or inspect.iscoroutinefunction(member)
                or getattr(member, _WRAPPED, False)
            ):
                continue
            setattr(cls, name, _guarded(member))

    @contextmanager
    def outage(self, *, timeout: bool = False) -> Iterator[Self]:
        """Simulate an unreachable database inside the ``with`` block (see the module)."""
        with self.database.outage(timeout=timeout):
            yield self

    def start_outage(self, *, timeout: bool = False) -> None:
        """Start a simulated database outage, until :meth:`end_outage`."""
        self.database.start_outage(timeout=timeout)

    def end_outage(self) -> None:
        """End the simulated database outage."""
        self.database.end_outage()

    @property
    def in_outage(self) -> bool:
        """Whether the database is in a simulated outage."""
        return self.database.in_outage
