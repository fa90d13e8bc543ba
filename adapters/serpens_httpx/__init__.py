"""serpens adapter package for httpx; importing it without `serpens[http]` names the extra."""

from serpens._extras import require

require("httpx", "http")

from serpens_httpx._http import HttpxHttpClient, HttpxResponse  # noqa: E402

__all__ = ["HttpxHttpClient", "HttpxResponse"]
