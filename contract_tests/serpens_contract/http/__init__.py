"""Contract suite of the HttpClient port (``serpens.ports.HttpClient``).

The implementation under test talks to :func:`scenario_app`, served wherever the
implementation needs it: in-process for a fake, behind a real server on 127.0.0.1 for
an adapter. Override ``http_target`` to return an :class:`HttpTarget`.
"""

# The suite, split by theme into private modules of at most 400 lines: _target
# (HttpTarget, HttpClientCapabilities), _base (the echo reader every case mixin uses),
# the case mixins _requests, _inputs, _responses, _redirects, _wire, _failures and
# _differential (with its request strategies), joined in _contract (HttpClientContract).
# Everything the single module exported is importable from here.

from serpens_contract._http_app import scenario_app
from serpens_contract.http._contract import HttpClientContract
from serpens_contract.http._target import HttpClientCapabilities, HttpTarget

__all__ = ["HttpClientCapabilities", "HttpClientContract", "HttpTarget", "scenario_app"]
