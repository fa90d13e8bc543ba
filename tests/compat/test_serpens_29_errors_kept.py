"""serpens 2.9.0's behaviour on two mistakes a service's start-up code may meet, kept.

- ``redis_init()`` with no URL and no ``REDIS_URL``: 2.9.0 read ``os.environ["REDIS_URL"]``
  and raised ``KeyError``; serpens raises a ``ConfigurationError`` that is a ``KeyError`` too.
- ``envvars.load_dotenv`` of a file that is not UTF-8 text: 2.9.0 loaded nothing and
  returned; serpens does the same and logs a warning.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from serpens import envvars
from serpens.cache import redis_init
from serpens.errors import ConfigurationError


async def test_redis_init_without_a_url_is_still_a_key_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)

    with pytest.raises(KeyError) as caught:
        await redis_init()

    assert isinstance(caught.value, ConfigurationError)
    assert str(caught.value) == "REDIS_URL is not set and redis_init() got no url"


def test_load_dotenv_of_a_file_that_is_not_utf8_loads_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    env = tmp_path / ".env"
    env.write_bytes("SERPENS_COMPAT_LATIN=ação\n".encode("latin-1"))
    monkeypatch.delenv("SERPENS_COMPAT_LATIN", raising=False)

    with caplog.at_level(logging.WARNING, logger="serpens.envvars"):
        assert envvars.load_dotenv(env) is None

    assert "SERPENS_COMPAT_LATIN" not in os.environ
    assert [r.getMessage() for r in caplog.records] == [f"{env} is not UTF-8 text: nothing loaded"]
