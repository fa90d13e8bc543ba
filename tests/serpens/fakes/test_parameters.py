"""InMemoryParameterStore's own ``put`` (not part of the read-only port): types and checks."""

from __future__ import annotations

from typing import Any

import pytest

from serpens.errors import ValidationError
from serpens.fakes import InMemoryParameterStore


class TestInMemoryParameterStorePut:
    """``put`` stores a ``String`` unless told ``secure=True``, as SSM's PutParameter does."""

    def test_put_stores_a_plain_string_by_default(self) -> None:
        """Without ``secure`` a parameter reads back as its value even with ``decrypt=False``."""
        store = InMemoryParameterStore({"/app/seeded": "from-init"})
        store.put("/app/put", "from-put")
        expected = {"/app/seeded": "from-init", "/app/put": "from-put"}
        assert store.get_parameters(list(expected), decrypt=False) == expected
        assert store.get_parameters_by_path("/app", decrypt=False) == expected

    def test_overwriting_a_secure_string_with_a_plain_one_makes_it_plain(self) -> None:
        """The last ``put`` decides the type: ``SecureString`` to ``String`` and back."""
        store = InMemoryParameterStore()
        store.put("/app/token", "first", secure=True)
        assert store.get_parameters(["/app/token"], decrypt=False) != {"/app/token": "first"}
        store.put("/app/token", "second")
        assert store.get_parameters(["/app/token"], decrypt=False) == {"/app/token": "second"}
        store.put("/app/token", "third", secure=True)
        hidden = store.get_parameters(["/app/token"], decrypt=False)["/app/token"]
        assert "third" not in hidden
        assert store.get_parameters(["/app/token"]) == {"/app/token": "third"}

    @pytest.mark.parametrize(
        ("name", "value"),
        [
            pytest.param("", "value", id="empty-name"),
            pytest.param("/app/empty", "", id="empty-value"),
            pytest.param("/app/number", 5, id="int-value"),
            pytest.param("/app/bytes", b"raw", id="bytes-value"),
            pytest.param("/app/none", None, id="none-value"),
        ],
    )
    def test_an_empty_name_or_a_non_string_value_is_refused(self, name: str, value: Any) -> None:
        """SSM needs a name and a non-empty string value; nothing is stored on refusal."""
        store = InMemoryParameterStore()
        with pytest.raises(ValidationError):
            store.put(name, value)
        if name:  # an empty name cannot be read either: a ValidationError
            assert store.get_parameters([name]) == {}
        assert store.get_parameters_by_path("/") == {}
