"""Cases of a sync cache shared between threads, as a web server's workers share one."""

from __future__ import annotations

from serpens.ports import Cache
from serpens_contract._threads import on_threads


class _CacheThreadCases:
    """The sync port's promise that one cache may serve many threads at once."""

    def test_threads_sharing_a_cache_see_no_error_and_every_fill(self, cache: Cache) -> None:
        """Threads filling, reading and deleting a few keys at once: nothing raises.

        ``get_or_set`` returns a value every time (its own fill or another thread's),
        even when another thread deletes the key right after the fill.
        """
        lost: list[str] = []

        def fill() -> None:
            for i in range(300):
                key = f"k{i % 3}"
                if cache.get_or_set(key, lambda: "v", ttl=60) != "v":
                    lost.append(key)
                cache.get(key)

        def delete() -> None:
            for i in range(300):
                cache.delete(f"k{i % 3}")
                cache.set(f"k{(i + 1) % 3}", "v", ttl=60)

        assert (on_threads([fill, delete] * 3), lost) == ([], [])
