"""Cold start: importing serpens.api pulls in neither asyncio nor any SDK."""

from __future__ import annotations

import subprocess
import sys


def test_importing_serpens_api_loads_no_asyncio_and_no_sdk() -> None:
    code = (
        "import sys, serpens.api\n"
        "heavy = {'asyncio', 'elasticapm', 'boto3', 'pydantic', 'httpx', 'redis'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
