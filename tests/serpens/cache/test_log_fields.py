"""``serpens.cache`` records carry ``request_id``, ``message_id`` and ``trace_id`` from the start.

docs/observability.md promises the three attributes on every record of serpens' own
loggers. The filter adding them was attached only when ``serpens_redis`` was imported,
so a warning ``@redis_cached`` logs while being decorated (before any ``redis_init()``)
had none, and a format string naming them failed.
"""

from __future__ import annotations

import subprocess
import sys


def test_a_record_logged_before_the_redis_adapter_is_imported_has_the_fields() -> None:
    script = """
import logging, sys
handler = logging.StreamHandler(sys.stdout)
handler.setFormatter(logging.Formatter("%(trace_id)s|%(request_id)s|%(message_id)s|%(message)s"))
logging.getLogger("serpens.cache").addHandler(handler)
from serpens import cache_async

@cache_async.redis_cached("shared")
async def one(x: str) -> str: return x

@cache_async.redis_cached("shared")
async def two(x: str) -> str: return x

print("adapter imported:", "serpens_redis" in sys.modules)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert "Formatting field not found" not in done.stderr
    assert "adapter imported: False" in done.stdout
    lines = [line for line in done.stdout.splitlines() if line.startswith("None|None|None|")]
    assert lines, done.stdout + done.stderr
