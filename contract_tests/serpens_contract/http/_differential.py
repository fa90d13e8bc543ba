"""The HTTP client's differential test: generated requests answer as through the fake.

Holds the request strategies, what of an answer must agree, and the test
(:class:`_HttpDifferentialCases`): the one part of the suite that needs Hypothesis.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

try:
    from hypothesis import given
    from hypothesis import strategies as st
except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
    from serpens.errors import MissingExtraError

    raise MissingExtraError("hypothesis", "contract") from exc

from serpens.fakes import InMemoryHttpClient
from serpens_contract._http_app import scenario_app
from serpens_contract.differential import again_when_stalled
from serpens_contract.http._target import HttpTarget
from serpens_contract.settings import hypothesis_settings

_SEGMENT = st.text(st.sampled_from("abcXYZ019-_.~ çé"), min_size=1, max_size=8)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)

_PARAM = st.none() | st.booleans() | st.integers(-999, 999) | st.text(max_size=8)
_VALUE = st.text(st.sampled_from("abcXYZ0189-_=/+"), min_size=1, max_size=12)
"""A header value: ``str`` or, mapped, ``bytes`` (both sent as the same ASCII text)."""


@st.composite
def _requests(draw: st.DrawFn) -> dict[str, Any]:
    method = draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]))
    request: dict[str, Any] = {
        "method": method,
        "path": "/echo/" + "/".join(draw(st.lists(_SEGMENT, max_size=3))),
        "params": draw(
            st.none()
            | st.dictionaries(
                st.text(st.sampled_from("abcdef_"), min_size=1, max_size=4),
                _PARAM | st.lists(_PARAM, max_size=3) | st.tuples(_PARAM, _PARAM),
                max_size=4,
            )
        ),
        "headers": draw(
            st.dictionaries(
                st.text(st.sampled_from("abcdefgh"), min_size=1, max_size=6).map("x-".__add__),
                _VALUE | _VALUE.map(str.encode),
                max_size=3,
            )
        ),
    }
    if method in {"POST", "PUT", "PATCH"}:
        body = draw(st.sampled_from(["none", "json", "content"]))
        if body == "json":
            request["json"] = draw(_JSON.filter(lambda value: value is not None))
        elif body == "content":
            request["content"] = draw(
                st.binary(max_size=64)
                | st.binary(max_size=64).map(bytearray)
                | st.text(max_size=16)
            )
    return request


def _observable(response: Any) -> dict[str, Any]:
    """What must agree: status and the echo minus transport-specific headers."""
    if response.status_code != 200:
        return {"status": response.status_code, "content": response.content}
    echo = response.json()
    sent = {k: v for k, v in echo["headers"].items() if k.startswith(("x-", "content-"))}
    return {"status": response.status_code, **echo, "headers": sent}


class _HttpDifferentialCases:
    """The differential test against :class:`~serpens.fakes.InMemoryHttpClient`."""

    def test_generated_requests_are_echoed_as_through_the_fake(
        self, http_target: HttpTarget
    ) -> None:
        """Differential: random methods, paths, params, headers and bodies agree with the fake."""
        fake = InMemoryHttpClient(app=scenario_app, base_url=http_target.base_url)
        client = http_target.make_client()
        base = http_target.base_url.rstrip("/")

        async def both(request: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
            options = {k: v for k, v in request.items() if k not in {"method", "path"}}
            expected = await fake.request(request["method"], base + request["path"], **options)
            actual = await client.request(request["method"], base + request["path"], **options)
            return _observable(actual), _observable(expected)

        budget: Callable[[Callable[..., None]], Callable[..., None]] = hypothesis_settings()
        with asyncio.Runner() as runner:

            @budget
            @given(request=_requests())
            def check(request: dict[str, Any]) -> None:
                actual, expected = runner.run(both(request))
                assert actual == expected

            try:
                again_when_stalled(check)
            finally:
                runner.run(client.aclose())
