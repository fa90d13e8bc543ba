"""``serpens._slot.Slot``: the lazily built default, explicit replacement and ``use``."""

from __future__ import annotations

import threading

import pytest

from serpens._slot import Slot


class _Built:
    """A distinct object per factory call."""


class _Factory:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> _Built:
        self.calls += 1
        return _Built()


def test_the_default_is_built_once_on_first_use() -> None:
    factory = _Factory()
    slot = Slot(factory)
    assert factory.calls == 0
    first = slot.get()
    assert slot.get() is first
    assert factory.calls == 1


def test_a_set_value_is_returned_and_the_factory_is_not_called() -> None:
    factory = _Factory()
    slot: Slot[_Built] = Slot(factory)
    mine = _Built()
    slot.set(mine)
    assert slot.get() is mine
    assert factory.calls == 0


def test_setting_none_builds_the_default_again_on_next_use() -> None:
    factory = _Factory()
    slot = Slot(factory)
    first = slot.get()
    slot.set(None)
    second = slot.get()
    assert second is not first
    assert factory.calls == 2


def test_use_yields_the_value_and_restores_the_previous_one_even_on_error() -> None:
    factory = _Factory()
    slot = Slot(factory)
    default = slot.get()
    mine = _Built()
    with slot.use(mine) as given:
        assert given is mine
        assert slot.get() is mine
    assert slot.get() is default
    with pytest.raises(KeyError), slot.use(_Built()):
        raise KeyError("boom")
    assert slot.get() is default
    assert factory.calls == 1


def test_use_before_any_get_restores_the_unbuilt_default() -> None:
    factory = _Factory()
    slot = Slot(factory)
    with slot.use(_Built()):
        pass
    assert factory.calls == 0
    slot.get()
    assert factory.calls == 1


def test_on_change_runs_after_set_and_on_entering_and_leaving_use() -> None:
    seen: list[_Built | None] = []
    slot: Slot[_Built] = Slot(_Built, on_change=lambda: seen.append(slot.get()))
    mine = _Built()
    slot.set(mine)
    assert seen == [mine]
    inner = _Built()
    with slot.use(inner):
        assert seen == [mine, inner]
    assert seen == [mine, inner, mine]
    with pytest.raises(ValueError), slot.use(_Built()):
        raise ValueError("boom")
    assert len(seen) == 5
    assert seen[-1] is mine


def test_threads_racing_for_the_first_use_share_one_default() -> None:
    barrier = threading.Barrier(8)
    calls: list[int] = []

    def slow_factory() -> _Built:
        calls.append(1)
        threading.Event().wait(0.01)  # widen the window a missing lock would leave
        return _Built()

    slot = Slot(slow_factory)
    got: list[_Built] = []

    def worker() -> None:
        barrier.wait()
        got.append(slot.get())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1
    assert all(value is got[0] for value in got)
