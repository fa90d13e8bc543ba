"""The base every HTTP case mixin derives from: ``_echo``, which reads the app's echo.

Most cases send a request to the scenario app's ``/echo`` route and inspect what the
server saw; :meth:`_HttpCases._echo` checks the answer is a 200 and decodes it.
"""

from __future__ import annotations

from typing import Any


class _HttpCases:
    """Helpers shared by the case mixins of :class:`~serpens_contract.http.HttpClientContract`."""

    async def _echo(self, response: Any) -> dict[str, Any]:
        assert response.status_code == 200
        document: dict[str, Any] = response.json()
        return document
