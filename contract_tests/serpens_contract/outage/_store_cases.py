"""Outage cases of the ports that store and read back data.

``CacheOutageCases`` (strict or fail-open), ``DocumentOutageCases``, and the read-only
stores' ``ParametersOutageCases`` and ``SecretsOutageCases``: every call raises the
outage's serpens error in time (or, fail-open, misses), and what was stored before the
outage reads back after it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from serpens_contract.capabilities import requires
from serpens_contract.outage._declarations import (
    _TIMING_OUT,
    OutageHook,
    OutageKind,
    _OutageCases,
)
from serpens_contract.outage._probe import _down, _ns, _recovers

# --------------------------------------------------------------------------- cache


class CacheOutageCases(_OutageCases):
    """Outage cases of ``CacheContract`` and ``AsyncCacheContract`` (fixture ``make_cache``)."""

    def _strict(
        self, make_cache: Callable[[str], Any], outage: OutageHook, kind: OutageKind
    ) -> None:
        capabilities = self.outage_capabilities
        cache = make_cache(_ns())
        cache.set("kept", "before")
        with _down(outage, kind, capabilities) as probe:
            probe.raises("get_or_set", lambda: cache.get_or_set("new", lambda: "made"))
            probe.raises("get", lambda: cache.get("kept"))
            probe.raises("clear", cache.clear)
            if kind != "frozen":  # frozen, each call waits its deadline: one of each path
                probe.raises("set", lambda: cache.set("new", 1))
                probe.raises("delete", lambda: cache.delete("kept"))
        self._recovered(cache, kind)

    def _fail_open(
        self, make_cache: Callable[[str], Any], outage: OutageHook, kind: OutageKind
    ) -> None:
        capabilities = self.outage_capabilities
        cache = make_cache(_ns())
        cache.set("kept", "before")
        with _down(outage, kind, capabilities) as probe:
            # get_or_set first, on a fresh connection and a closed breaker: its worst case
            made = probe.returns("get_or_set", lambda: cache.get_or_set("new", lambda: "made"))
            assert made == "made"
            assert probe.returns("get", lambda: cache.get("kept")) is None
            assert probe.returns("set", lambda: cache.set("new", 1)) is None
            assert probe.returns("delete", lambda: cache.delete("kept")) is False
            assert probe.returns("clear", cache.clear) is None
        self._recovered(cache, kind)

    def _recovered(self, cache: Any, kind: OutageKind) -> None:
        capabilities = self.outage_capabilities
        if kind != "frozen":  # a frozen write may still land once the backend thaws
            _recovers(lambda: cache.get("kept") == "before", capabilities, "get of a kept entry")

        def write_then_read() -> bool:
            cache.set("after", 2)
            return bool(cache.get("after") == 2)

        _recovers(write_then_read, capabilities, "set then get")

    def _case(self, make_cache: Callable[[str], Any], outage: OutageHook, kind: OutageKind) -> None:
        if self.outage_capabilities.mode == "fail_open":
            self._fail_open(make_cache, outage, kind)
        else:
            self._strict(make_cache, outage, kind)

    @requires("outage_refused")
    def test_a_refused_backend_raises_unavailable_or_misses_in_time(
        self, make_cache: Callable[[str], Any], outage: OutageHook
    ) -> None:
        """Strict: every call raises BackendUnavailableError within its deadline.

        Fail-open: reads miss, writes do nothing, nothing raises, in time. Both recover.
        """
        self._case(make_cache, outage, "refused")

    @requires("outage_frozen")
    def test_a_frozen_backend_raises_timeout_or_misses_in_time(
        self, make_cache: Callable[[str], Any], outage: OutageHook
    ) -> None:
        """Strict: every call raises BackendTimeoutError within its deadline.

        Fail-open: reads miss, writes do nothing, nothing raises, in time. Both recover.
        """
        self._case(make_cache, outage, "frozen")

    @requires("outage_reset")
    def test_a_reset_backend_raises_unavailable_or_misses_in_time(
        self, make_cache: Callable[[str], Any], outage: OutageHook
    ) -> None:
        """Strict: every call raises BackendUnavailableError within its deadline.

        Fail-open: reads miss, writes do nothing, nothing raises, in time. Both recover.
        """
        self._case(make_cache, outage, "reset")

    @requires("outage_trickled")
    def test_a_trickling_backend_ends_a_read_by_its_deadline(
        self, make_cache: Callable[[str], Any], outage: OutageHook
    ) -> None:
        """A large entry trickled back a byte at a time: ``get`` ends within its deadline.

        Strict: it raises BackendTimeoutError; fail-open: it misses. Each read gets data
        well within a read timeout, so only a deadline on the whole call ends it. The
        call the deadline cut leaves no connection to reuse: the next ``get`` opens one,
        whose handshake trickles too, and ends by the same deadline; so does ``clear``
        (every round trip of its scan). The entry reads whole again once the backend is
        back.
        """
        capabilities = self.outage_capabilities
        cache = make_cache(_ns())
        big = "x" * 2000  # 100 s at one byte every 50 ms
        cache.set("big", big)
        with _down(outage, "trickled", capabilities) as probe:
            calls = (
                ("get", lambda: cache.get("big")),
                ("get on a new connection", lambda: cache.get("missing")),
                ("clear", cache.clear),
            )
            for label, call in calls:
                if capabilities.mode == "fail_open":
                    assert probe.returns(label, call) is None
                else:
                    probe.raises(label, call)
        _recovers(lambda: cache.get("big") == big, capabilities, "get of the large entry")


# ------------------------------------------------------------------------ document


class DocumentOutageCases(_OutageCases):
    """Outage cases of ``DocumentStoreContract`` (fixture ``tables``)."""

    def _strict(self, tables: Any, outage: OutageHook, kind: OutageKind) -> None:
        capabilities = self.outage_capabilities
        store, people, _ = tables
        store.put(people, {"id": "kept", "name": "Ana"})
        with _down(outage, kind, capabilities) as probe:
            probe.raises("get", lambda: store.get(people, {"id": "kept"}))
            probe.raises("put", lambda: store.put(people, {"id": "new", "name": "Bo"}))
            if kind not in _TIMING_OUT:  # each call waits its deadline: one read, one write
                probe.raises("delete", lambda: store.delete(people, {"id": "kept"}))
        if kind not in _TIMING_OUT:  # a late write may still land once the backend thaws
            _recovers(
                lambda: store.get(people, {"id": "kept"}) == {"id": "kept", "name": "Ana"},
                capabilities,
                "get of a kept item",
            )

        def write_then_read() -> bool:
            store.put(people, {"id": "after", "name": "Cy"})
            return bool(store.get(people, {"id": "after"}) == {"id": "after", "name": "Cy"})

        _recovers(write_then_read, capabilities, "put then get")

    @requires("strict_outage", "outage_refused")
    def test_a_refused_backend_raises_unavailable_in_time(
        self, tables: Any, outage: OutageHook
    ) -> None:
        """get, put and delete raise BackendUnavailableError in time; then it recovers."""
        self._strict(tables, outage, "refused")

    @requires("strict_outage", "outage_frozen")
    def test_a_frozen_backend_raises_timeout_in_time(self, tables: Any, outage: OutageHook) -> None:
        """get, put and delete raise BackendTimeoutError in time; then it recovers."""
        self._strict(tables, outage, "frozen")

    @requires("strict_outage", "outage_reset")
    def test_a_reset_backend_raises_unavailable_in_time(
        self, tables: Any, outage: OutageHook
    ) -> None:
        """get, put and delete raise BackendUnavailableError in time; then it recovers."""
        self._strict(tables, outage, "reset")

    @requires("strict_outage", "outage_trickled")
    def test_a_trickling_backend_ends_each_call_by_its_deadline(
        self, tables: Any, outage: OutageHook
    ) -> None:
        """Answers trickled back: get and put raise BackendTimeoutError in time.

        Each read gets data well within a read timeout, so only a deadline on the whole
        answer ends a call (a cut answer must not parse as a short one). It recovers.
        """
        self._strict(tables, outage, "trickled")


# ---------------------------------------------------------------------- parameters


class _StoreOutageCases(_OutageCases):
    """The strict outage cases of a read-only store, one per kind, through ``_strict``."""

    def _strict(self, rig: Any, base: str, outage: OutageHook, kind: OutageKind) -> None:
        raise NotImplementedError

    @requires("strict_outage", "outage_refused")
    def test_a_refused_backend_raises_unavailable_in_time(
        self, rig: Any, base: str, outage: OutageHook
    ) -> None:
        """Reads raise BackendUnavailableError in time; then they return what was stored."""
        self._strict(rig, base, outage, "refused")

    @requires("strict_outage", "outage_frozen")
    def test_a_frozen_backend_raises_timeout_in_time(
        self, rig: Any, base: str, outage: OutageHook
    ) -> None:
        """A read raises BackendTimeoutError in time; then reads return what was stored."""
        self._strict(rig, base, outage, "frozen")

    @requires("strict_outage", "outage_reset")
    def test_a_reset_backend_raises_unavailable_in_time(
        self, rig: Any, base: str, outage: OutageHook
    ) -> None:
        """Reads raise BackendUnavailableError in time; then they return what was stored."""
        self._strict(rig, base, outage, "reset")

    @requires("strict_outage", "outage_trickled")
    def test_a_trickling_backend_ends_a_read_by_its_deadline(
        self, rig: Any, base: str, outage: OutageHook
    ) -> None:
        """An answer trickled back: a read raises BackendTimeoutError in time.

        Never a short answer (a missing parameter or secret); then reads return what was
        stored.
        """
        self._strict(rig, base, outage, "trickled")


class ParametersOutageCases(_StoreOutageCases):
    """Outage cases of ``ParameterStoreContract`` (fixture ``rig``; names under ``base``).

    The port only reads: parameters are created through the rig (as a deployment would)
    before the outage and after it. During the outage a read of names that exist, and of
    one that does not, must raise: an empty answer would pass for "no such parameter".
    """

    def _strict(self, rig: Any, base: str, outage: OutageHook, kind: OutageKind) -> None:
        capabilities = self.outage_capabilities
        kept = {f"{base}/db/host": "db.internal", f"{base}/db/password": "hunter2"}
        rig.put(f"{base}/db/host", "db.internal")
        rig.put(f"{base}/db/password", "hunter2", "SecureString")
        names = [*kept, f"{base}/missing"]
        with _down(outage, kind, capabilities) as probe:
            probe.raises("get_parameters", lambda: rig.store.get_parameters(names))
            if kind not in _TIMING_OUT:  # each call waits its deadline: one call
                probe.raises(
                    "get_parameters_by_path", lambda: rig.store.get_parameters_by_path(base)
                )
        _recovers(
            lambda: rig.store.get_parameters(names) == kept,
            capabilities,
            "get_parameters of parameters stored before the outage",
        )
        assert rig.store.get_parameters_by_path(base) == kept
        rig.put(f"{base}/db/host", "db.replaced")
        assert rig.store.get_parameters([f"{base}/db/host"]) == {f"{base}/db/host": "db.replaced"}


class SecretsOutageCases(_StoreOutageCases):
    """Outage cases of ``SecretStoreContract`` (fixture ``rig``; names under ``base``).

    During the outage a secret that does not exist must raise the outage's error, not
    ``NotFoundError``: the store cannot know, and "missing" is a different answer.
    """

    def _strict(self, rig: Any, base: str, outage: OutageHook, kind: OutageKind) -> None:
        capabilities = self.outage_capabilities
        arn = rig.put(f"{base}/db", "hunter2")
        with _down(outage, kind, capabilities) as probe:
            probe.raises("get_secret", lambda: rig.store.get_secret(f"{base}/db"))
            if kind not in _TIMING_OUT:  # each call waits its deadline: one call
                probe.raises("get_secret (missing)", lambda: rig.store.get_secret(f"{base}/no"))
        _recovers(
            lambda: rig.store.get_secret(f"{base}/db") == "hunter2",
            capabilities,
            "get_secret of a secret stored before the outage",
        )
        assert rig.store.get_secret(arn) == "hunter2"
        assert rig.put(f"{base}/db", "rotated") == arn
        assert rig.store.get_secret(f"{base}/db") == "rotated"
