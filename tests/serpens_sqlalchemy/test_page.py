"""``Page`` is 2.9's ``(rows, total)`` tuple with attributes: every old use keeps working."""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle

import pytest

from serpens.ports import Page


def test_it_is_the_rows_total_pair() -> None:
    page = Page(items=["a", "b"], total=5, page=1, size=2)
    rows, total = page
    assert (rows, total) == (["a", "b"], 5)
    assert isinstance(page, tuple)
    assert len(page) == 2
    assert page[0] == ["a", "b"]
    assert page[1] == 5
    assert page == (["a", "b"], 5)
    assert json.dumps(page) == '[["a", "b"], 5]'  # as 2.9's tuple encoded


def test_it_has_the_attributes() -> None:
    page = Page(items=["a"], total=5, page=3, size=2)
    assert (page.items, page.total, page.page, page.size, page.pages) == (["a"], 5, 3, 2, 3)
    assert Page(items=[], total=0, page=1, size=50).pages == 0
    assert repr(page) == "Page(items=['a'], total=5, page=3, size=2, pages=3)"


def test_pages_compare_every_field() -> None:
    page = Page(items=["a"], total=5, page=3, size=2)
    assert page == Page(["a"], 5, 3, 2)
    assert page != Page(["a"], 5, 2, 2)
    assert page != Page(["a"], 5, 3, 3)
    assert page != Page(["b"], 5, 3, 2)
    assert hash(Page(("a",), 1, 1, 1)) == hash(Page(("a",), 1, 1, 1))


def test_it_is_read_only() -> None:
    page = Page(items=["a"], total=1, page=1, size=1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        page.page = 2  # type: ignore[misc]
    with pytest.raises(AttributeError):
        page.items = []  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del page.size


def test_it_pickles_and_copies_with_every_field() -> None:
    page = Page(items=["a", "b"], total=7, page=2, size=2)
    for clone in (pickle.loads(pickle.dumps(page)), copy.copy(page), copy.deepcopy(page)):
        assert clone == page
        assert (clone.page, clone.size, clone.pages) == (2, 2, 4)
