"""Cache cases about the operations: argument checks, ``get_or_set``, copies, ``clear``.

One theme of :class:`~serpens_contract.cache._tests._CacheTests`: bad TTLs and keys are
refused before any I/O, ``get_or_set`` fills a miss once, values come back as copies
and ``clear`` empties only its own namespace.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from serpens.errors import ValidationError
from serpens.ports import Cache, JSONValue
from serpens_contract.cache._support import CacheMaker, _namespace


class _CacheOperationCases:
    """TTL and key validation, ``get_or_set``, returned copies and ``clear``."""

    @pytest.mark.parametrize(
        "ttl",
        [
            *(0, -1, float("nan"), float("inf"), True, "60", 2**62 / 1000 * 1.01),
            pytest.param(10**400, id="int-past-float-range"),
            pytest.param(-(10**400), id="negative-int-past-float-range"),
        ],
    )
    def test_a_non_positive_ttl_is_a_validation_error(self, cache: Cache, ttl: float) -> None:
        """``ttl <= 0``, not finite, or not a number (``True`` and ``"60"`` too) raises.

        So does one past 2^62 milliseconds (about 146 million years): Redis refuses an
        expiry that, added to its clock, passes 2^63 - 1 milliseconds; an int past
        float's range (``10**400``) included.
        """
        with pytest.raises(ValidationError):
            cache.set("k", 1, ttl=ttl)
        with pytest.raises(ValidationError):
            cache.get_or_set("k", lambda: 1, ttl=ttl)
        assert cache.get("k") is None

    def test_get_or_set_checks_its_ttl_on_a_hit_too(self, cache: Cache) -> None:
        """A bad ``ttl`` is a ValidationError even when the key is cached: input is checked first.

        The factory is not called and the cached value is left as it was.
        """
        cache.set("k", "cached", ttl=60)
        calls: list[int] = []

        def factory() -> JSONValue:
            calls.append(1)
            return "fresh"

        for ttl in (0, -1.5):
            with pytest.raises(ValidationError):
                cache.get_or_set("k", factory, ttl=ttl)
        assert calls == []
        assert cache.get("k") == "cached"

    def test_an_empty_key_is_a_validation_error(self, cache: Cache) -> None:
        """Keys are non-empty strings with a UTF-8 form (a lone surrogate has none)."""
        for key in ("", "lone \ud800"):
            with pytest.raises(ValidationError):
                cache.set(key, 1)
            with pytest.raises(ValidationError):
                cache.get(key)
            with pytest.raises(ValidationError):
                cache.delete(key)

    def test_a_bad_key_is_named_before_a_bad_ttl(self, cache: Cache) -> None:
        """Of a call with both wrong, the key is the first field its ``ValidationError`` names.

        (An implementation whose errors name no field passes: the port promises the error,
        not its fields; serpens' caches name the key, as the Redis caches always did.)
        """
        calls: list[Callable[[], object]] = [
            lambda: cache.set("", 1, ttl=0),
            lambda: cache.get_or_set("", lambda: 1, ttl=0),
        ]
        for call in calls:
            with pytest.raises(ValidationError) as caught:
                call()
            named = [e.path for e in caught.value.errors]
            assert not named or named[0] == "key", named

    def test_the_longest_ttl_keeps_the_entry(self, cache: Cache) -> None:
        """A TTL of exactly 2^62 milliseconds is accepted."""
        cache.set("k", 1, ttl=2**62 / 1000)
        assert cache.get("k") == 1
        assert cache.get_or_set("k", lambda: 2, ttl=2**62 / 1000) == 1

    def test_get_or_set_calls_the_factory_once_then_hits(self, cache: Cache) -> None:
        """On a miss the factory's result is stored and returned; later calls hit."""
        calls: list[int] = []

        def factory() -> JSONValue:
            calls.append(1)
            return {"n": len(calls), "t": (1, 2)}  # type: ignore[dict-item]

        first = cache.get_or_set("k", factory, ttl=60)
        second = cache.get_or_set("k", factory, ttl=60)
        assert first == second == {"n": 1, "t": [1, 2]}
        assert len(calls) == 1
        assert cache.get("k") == first

    def test_get_or_set_does_not_store_none(self, cache: Cache) -> None:
        """A ``None`` result is returned but not stored: the next call asks again."""
        calls: list[int] = []

        def factory() -> JSONValue:
            calls.append(1)
            return None

        assert cache.get_or_set("k", factory) is None
        assert cache.get_or_set("k", factory) is None
        assert len(calls) == 2

    def test_get_or_set_over_a_stored_null_calls_the_factory(self, cache: Cache) -> None:
        """A stored JSON ``null`` is a miss for ``get_or_set`` too: the factory fills it."""
        cache.set("k", None)
        assert cache.get_or_set("k", lambda: "made", ttl=60) == "made"
        assert cache.get("k") == "made"

    def test_get_or_set_propagates_factory_errors_and_stores_nothing(self, cache: Cache) -> None:
        def factory() -> JSONValue:
            raise LookupError("upstream is down")

        with pytest.raises(LookupError):
            cache.get_or_set("k", factory)
        assert cache.get("k") is None

    def test_returned_values_are_copies(self, cache: Cache) -> None:
        value: Any = {"items": [1]}
        cache.set("k", value)
        value["items"].append(2)
        got: Any = cache.get("k")
        got["items"].append(3)
        assert cache.get("k") == {"items": [1]}

    def test_clear_removes_only_this_namespace(self, make_cache: CacheMaker) -> None:
        """``clear()`` removes only this cache's namespace."""
        mine, theirs = make_cache(_namespace()), make_cache(_namespace())
        mine.set("k", "mine")
        mine.set("j", "mine")
        theirs.set("k", "theirs")
        mine.clear()
        assert mine.get("k") is None
        assert mine.get("j") is None
        assert theirs.get("k") == "theirs"

    def test_clear_reads_pattern_characters_in_the_namespace_literally(
        self, make_cache: CacheMaker
    ) -> None:
        r"""``clear()`` of a namespace holding ``*``, ``?``, ``[]`` or ``\`` removes only it.

        A backend that deletes by key pattern must escape the namespace: ``a*`` is not
        "every namespace that starts with a".
        """
        base = _namespace()
        pairs = [("*", "x"), ("?", "y"), ("[xz]", "x"), ("\\x", "x")]
        for mine_suffix, their_suffix in pairs:
            mine = make_cache(base + mine_suffix)
            theirs = make_cache(base + their_suffix)
            mine.set("k", "mine")
            theirs.set("k", "theirs")
            mine.clear()
            assert mine.get("k") is None
            assert theirs.get("k") == "theirs", f"clear() of {base + mine_suffix!r}"
            theirs.clear()
