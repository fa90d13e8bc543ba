"""``@redis_cached`` keys: serpens 2.9's readable key where it is unambiguous, else hashed.

2.9.0 keyed ``f("a", 1, k="v")`` as ``<bucket>:a:1:k=v`` and services invalidate with
``redis_delete("<bucket>:a")``; every other call is hashed (``<bucket>:#<digest>``), and
no two different calls, nor a readable and a hashed key, share a key.
"""

from __future__ import annotations

import enum
import logging
import re
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from serpens.cache import (
    redis_cached,
    redis_cached_key,
    redis_delete,
    redis_get,
    redis_init,
)
from serpens.cache._keys import HASHED, MAX_READABLE_KEY, KeyBuilder, claim_bucket

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
HASHED_KEY = re.compile(r"b:#[0-9a-f]{40}")


def anything(*args: object, **kwargs: object) -> None:
    del args, kwargs


def one(slug: object) -> None:
    del slug


class Repo:
    def get(self, slug: str, *, lang: str = "en") -> None:
        del slug, lang


class Colour(enum.Enum):
    RED = "red"


class Label(enum.StrEnum):  # str(Label.SHOE) == "shoe"
    SHOE = "shoe"


def _key(*args: object, **kwargs: object) -> str | None:
    return KeyBuilder(anything).redis("b", args, kwargs)


class TestReadableKeys:
    @pytest.mark.parametrize(
        ("args", "kwargs", "expected"),
        [
            pytest.param(("a",), {}, "b:a", id="one-str"),
            pytest.param((), {}, "b", id="no-arguments"),
            pytest.param(("a", 1, -2), {}, "b:a:1:-2", id="str-and-ints"),
            pytest.param((1,), {"k": "v"}, "b:1:k=v", id="keyword"),
            pytest.param((), {"z": 1, "a": "x"}, "b:a=x:z=1", id="keywords-sorted-by-name"),
            pytest.param(("",), {}, "b:", id="empty-str"),
            pytest.param(("São Paulo", "a b"), {}, "b:São Paulo:a b", id="non-ascii-and-space"),
            pytest.param(("a#b",), {"k": "v#"}, "b:a#b:k=v#", id="hash-not-first"),
        ],
    )
    def test_str_and_int_arguments_keep_serpens_2_9_key(
        self, args: tuple[object, ...], kwargs: dict[str, object], expected: str
    ) -> None:
        assert _key(*args, **kwargs) == expected

    def test_a_methods_self_is_left_out(self) -> None:
        keys = KeyBuilder(Repo.get)
        assert keys.redis("p", (Repo(), "shoe"), {"lang": "pt"}) == "p:shoe:lang=pt"
        assert keys.redis("p", (Repo(), "shoe"), {}) == keys.redis("p", (Repo(), "shoe"), {})

    def test_keyword_order_does_not_matter(self) -> None:
        assert _key(a="x", z=1) == _key(z=1, a="x") == "b:a=x:z=1"

    def test_a_keyword_and_a_positional_call_are_two_entries_as_in_2_9(self) -> None:
        keys = KeyBuilder(one)
        assert keys.redis("b", ("a",), {}) == "b:a"
        assert keys.redis("b", (), {"slug": "a"}) == "b:slug=a"

    def test_an_int_and_its_decimal_text_share_a_key_as_in_2_9(self) -> None:
        assert _key(1) == _key("1") == "b:1"

    def test_a_readable_key_is_at_most_the_bound_long(self) -> None:
        room = MAX_READABLE_KEY - len("b:")
        assert _key("x" * room) == "b:" + "x" * room
        assert HASHED_KEY.fullmatch(_key("x" * (room + 1)) or "")
        assert HASHED_KEY.fullmatch(_key(10**300) or "")


class TestHashedKeys:
    @pytest.mark.parametrize(
        "value",
        [
            pytest.param("a:b", id="colon"),
            pytest.param("k=v", id="equals"),
            pytest.param("#abc", id="starts-with-marker"),
            pytest.param("a\x00lock", id="nul"),
            pytest.param("a\nb", id="newline"),
            pytest.param("a\x7f", id="del"),
            pytest.param("\ud800", id="lone-surrogate"),
            pytest.param(True, id="bool"),
            pytest.param(1.5, id="float"),
            pytest.param(None, id="none"),
            pytest.param(["a"], id="list"),
            pytest.param(Colour.RED, id="enum"),
            pytest.param(Label.SHOE, id="str-subclass"),
            pytest.param(uuid.UUID(int=1), id="uuid"),
        ],
    )
    def test_other_arguments_are_hashed_with_the_marker(self, value: object) -> None:
        assert HASHED_KEY.fullmatch(_key(value) or ""), _key(value)
        assert HASHED_KEY.fullmatch(_key(k=value) or ""), _key(k=value)

    def test_a_keyword_name_that_is_not_an_identifier_is_hashed(self) -> None:
        assert HASHED_KEY.fullmatch(_key(**{"a:b": "c"}) or "")
        assert HASHED_KEY.fullmatch(_key(**{"": "c"}) or "")

    def test_hashed_calls_bind_their_arguments(self) -> None:
        keys = KeyBuilder(one)
        assert keys.redis("b", ([1],), {}) == keys.redis("b", (), {"slug": [1]})

    def test_unkeyable_arguments_have_no_key(self) -> None:
        assert _key(object()) is None

    def test_the_lookalikes_of_a_readable_key_are_all_hashed_apart(self) -> None:
        keys = {
            _key("a", "b"),
            _key("a:b"),
            _key("k=v"),
            _key(k="v"),
            _key(True),
            _key("True"),
            _key(1.0),
            _key("1.0"),
            _key(None),
            _key("None"),
            _key(Label.SHOE),
            _key("shoe"),
        }
        assert len(keys) == 12
        assert None not in keys


readable_text = st.text(st.characters(codec="utf-8"), max_size=6) | st.sampled_from(
    ["", "a", "1", "-1", "a:b", "k=v", "#", "#a", "a\x00lock", "True", "None"]
)
values = st.one_of(
    readable_text,
    st.integers(min_value=-(10**6), max_value=10**6),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False),
    st.lists(st.integers(), max_size=2),
)
names = st.sampled_from(["a", "b", "k", "slug", "a:b", ""])
calls = st.tuples(st.lists(values, max_size=3), st.dictionaries(names, values, max_size=2))


def _same_call(
    first: tuple[list[Any], dict[str, Any]], second: tuple[list[Any], dict[str, Any]]
) -> bool:
    """Equal arguments, types included, but for an ``int`` against its decimal text."""

    def norm(value: Any) -> Any:
        return str(value) if type(value) is int else (type(value), value)

    return [norm(v) for v in first[0]] == [norm(v) for v in second[0]] and {
        k: norm(v) for k, v in first[1].items()
    } == {k: norm(v) for k, v in second[1].items()}


class TestNoCollisions:
    @SETTINGS
    @given(first=calls, second=calls)
    def test_different_calls_never_share_a_key(
        self, first: tuple[list[Any], dict[str, Any]], second: tuple[list[Any], dict[str, Any]]
    ) -> None:
        one_key = _key(*first[0], **first[1])
        other_key = _key(*second[0], **second[1])
        if one_key == other_key:
            assert _same_call(first, second), (one_key, first, second)

    @SETTINGS
    @given(call=calls)
    def test_a_readable_key_decodes_back_to_its_call(
        self, call: tuple[list[Any], dict[str, Any]]
    ) -> None:
        """A decoder exists, so the readable form is injective (ints read back as text)."""
        key = _key(*call[0], **call[1])
        assert key is not None
        if HASHED_KEY.fullmatch(key):
            return
        segments = key.split(":")[1:]
        positional = [s for s in segments if "=" not in s]
        named = dict(s.split("=", 1) for s in segments if "=" in s)
        assert positional == [str(v) for v in call[0]]
        assert named == {k: str(v) for k, v in call[1].items()}
        assert segments[len(positional) :] == [f"{k}={named[k]}" for k in sorted(named)]
        assert not any(segment.startswith(HASHED) for segment in positional)
        assert "\x00" not in key


class TestBucketClash:
    def test_a_second_function_on_a_bucket_or_a_nested_one_is_reported(self) -> None:
        bucket = f"clash-{uuid.uuid4().hex}"
        assert claim_bucket(bucket, "svc.first") is None
        assert claim_bucket(bucket, "svc.first") is None  # the same function again
        assert claim_bucket(bucket, "svc.second") == "svc.first"
        assert claim_bucket(f"{bucket}:nested", "svc.third") == "svc.first"
        assert claim_bucket(f"{bucket}x", "svc.fourth") is None  # not a ':' prefix
        assert claim_bucket(bucket, "tests.test_x.<locals>.f") is None  # local: ignored

    def test_decorating_a_second_function_on_a_bucket_warns(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        bucket = f"clash-{uuid.uuid4().hex}"
        with caplog.at_level(logging.WARNING, logger="serpens.cache"):
            redis_cached(bucket, ttl=60)(_price)
            assert caplog.records == []
            redis_cached(bucket, ttl=60)(_stock)
        (record,) = caplog.records
        assert "_stock" in record.getMessage()
        assert "_price" in record.getMessage()


async def _price(sku: str) -> int:
    return len(sku)


async def _stock(sku: str) -> int:
    return 2 * len(sku)


@pytest.mark.redis
class TestOnRedis:
    async def test_redis_delete_of_the_2_9_key_invalidates_the_entry(
        self, redis_url: str, prefix: str
    ) -> None:
        await redis_init(redis_url, prefix=prefix)
        calls: list[str] = []

        @redis_cached("products", ttl=60)
        async def get_product(slug: str, *, lang: str = "en") -> dict[str, str]:
            calls.append(slug)
            return {"slug": slug, "lang": lang, "n": str(len(calls))}

        first = await get_product("a")
        assert await get_product("a") == first
        assert await redis_get("products:a") == first
        assert await redis_delete("products:a") is True  # as a 2.9 service invalidates
        assert await get_product("a") == {"slug": "a", "lang": "en", "n": "2"}

        await get_product("a", lang="pt")
        assert await redis_delete("products:a:lang=pt") is True
        assert redis_cached_key(get_product, "a", lang="pt") == "products:a:lang=pt"
        assert calls == ["a", "a", "a"]

    async def test_readable_and_hashed_entries_of_lookalike_calls_stay_apart(
        self, redis_url: str, prefix: str
    ) -> None:
        await redis_init(redis_url, prefix=prefix)

        @redis_cached("echo", ttl=60)
        async def echo(*args: object, **kwargs: object) -> list[object]:
            return [repr(args), repr(sorted(kwargs.items()))]

        lookalikes: list[tuple[tuple[object, ...], dict[str, object]]] = [
            (("a", "b"), {}),
            (("a:b",), {}),
            (("k=v",), {}),
            ((), {"k": "v"}),
            ((True,), {}),
            (("True",), {}),
            ((None,), {}),
            (("None",), {}),
        ]
        for args, kwargs in lookalikes:  # fill every entry first ...
            await echo(*args, **kwargs)
        for args, kwargs in lookalikes:  # ... then each call still gets its own answer
            assert await echo(*args, **kwargs) == [repr(args), repr(sorted(kwargs.items()))]
        keys = {redis_cached_key(echo, *args, **kwargs) for args, kwargs in lookalikes}
        assert len(keys) == len(lookalikes)
