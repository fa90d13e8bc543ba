"""Mutant idempotency stores: the IdempotencyStore suite must fail when behaviour drifts.

Each mutant is the in-memory fake, or the Redis adapter with one of its Lua scripts
changed, with one deliberate bug (several are the bugs idempotency libraries shipped:
a timed-out call left "in progress" for ever, a replay that skips the payload check, a
result shared with the store). The suite runs against each in a pytester sandbox, and
the tests pinning the broken behaviour must fail (the differential test against the
genuine fake included, where the bug shows in its calls) while the genuine classes pass.

Two Redis changes are left out as equivalent there: complete and release skipping the
lease check (the hash expires with the lease, at the same millisecond), and a token
taken from the clock alone after an expiry (the server's clock has moved past it).
"""

from __future__ import annotations

import pytest

FAKE_SUITE = """
import pytest
from serpens.errors import InProgressError
from serpens.fakes import InMemoryIdempotencyStore
from serpens.ports import Replay
from serpens_contract.idempotency import IdempotencyCapabilities, IdempotencyContract
import serpens._rules.idempotency as rules


class Genuine(InMemoryIdempotencyStore):
    pass


class InProgressReplaysNull(InMemoryIdempotencyStore):
    # a claim of a key in progress answers a replay of nothing instead of waiting
    async def claim(self, key, *, lease, fingerprint=""):
        try:
            return await super().claim(key, lease=lease, fingerprint=fingerprint)
        except InProgressError:
            return Replay(key, None)


class FingerprintIgnored(InMemoryIdempotencyStore):
    # the payload check skipped: a reused key replays another request's result
    async def claim(self, key, *, lease, fingerprint=""):
        return await super().claim(key, lease=lease)


class LeaseEndsLate(InMemoryIdempotencyStore):
    # a record still live at exactly its end ("now > until" for "now >= until")
    async def claim(self, key, *, lease, fingerprint=""):
        record = self._records.get(key)
        if record is not None and record.until == self._now():
            record.until += 1
        return await super().claim(key, lease=lease, fingerprint=fingerprint)


class LapsedLeaseCompletes(InMemoryIdempotencyStore):
    # complete checks the token only: a call past its lease stores a result anyway
    async def complete(self, claim, result, *, ttl):
        record = self._records.get(claim.key)
        if record is not None and not record.done and record.token == claim.token:
            record.until = self._now() + 1
        await super().complete(claim, result, ttl=ttl)


class ReleaseForgetsTheToken(InMemoryIdempotencyStore):
    # release drops the record: the next claim's token may equal the released one's
    async def release(self, claim):
        released = await super().release(claim)
        if released:
            del self._records[claim.key]
        return released


class RetryAfterIsTheWholeLease(InMemoryIdempotencyStore):
    async def claim(self, key, *, lease, fingerprint=""):
        try:
            return await super().claim(key, lease=lease, fingerprint=fingerprint)
        except InProgressError as exc:
            raise InProgressError(str(exc), retry_after=lease) from None


class TtlFromTheClaim(InMemoryIdempotencyStore):
    # the result's TTL counted from the claim, not from the completion
    async def complete(self, claim, result, *, ttl):
        start = self._records[claim.key].until - round(claim.lease * 1_000_000)
        await super().complete(claim, result, ttl=ttl)
        record = self._records[claim.key]
        record.until = start + rules.check_seconds(ttl, "ttl") * 1000


class ResultKeptAsGiven(InMemoryIdempotencyStore):
    # the result object itself kept and replayed: a caller's change reaches the store
    async def complete(self, claim, result, *, ttl):
        await super().complete(claim, result, ttl=ttl)
        self._kept = getattr(self, "_kept", {})
        self._kept[claim.key] = result

    async def claim(self, key, *, lease, fingerprint=""):
        answer = await super().claim(key, lease=lease, fingerprint=fingerprint)
        kept = getattr(self, "_kept", {})
        return Replay(key, kept[key]) if isinstance(answer, Replay) and key in kept else answer


class RefusedResultEndsTheClaim(InMemoryIdempotencyStore):
    # a result the rules refuse still completes the claim (with nothing to replay)
    async def complete(self, claim, result, *, ttl):
        try:
            await super().complete(claim, result, ttl=ttl)
        except Exception:
            self._records[claim.key].done = True
            raise


def _cell(mutant):
    class Cell(IdempotencyContract):
        capabilities = IdempotencyCapabilities(clock="injected")

        @pytest.fixture
        def open_idempotency_store(self, clock):
            stores = {}
            return lambda namespace: stores.setdefault(namespace, mutant(clock=clock))

    return Cell


for _mutant in [
    Genuine,
    InProgressReplaysNull,
    FingerprintIgnored,
    LeaseEndsLate,
    LapsedLeaseCompletes,
    ReleaseForgetsTheToken,
    RetryAfterIsTheWholeLease,
    TtlFromTheClaim,
    ResultKeptAsGiven,
    RefusedResultEndsTheClaim,
]:
    globals()[f"Test{_mutant.__name__}"] = _cell(_mutant)
"""

FAKE_MUST_FAIL = {
    "TestInProgressReplaysNull": {
        "test_a_claim_in_progress_refuses_another_until_its_lease_ends",
        "test_differential_against_fake",
    },
    "TestFingerprintIgnored": {
        "test_another_fingerprint_is_a_reused_key",
        "test_differential_against_fake",
    },
    "TestLeaseEndsLate": {"test_leases_and_ttls_end_exactly_at_their_time"},
    "TestLapsedLeaseCompletes": {
        "test_a_lapsed_lease_is_lost_and_the_key_taken_over",
        "test_differential_against_fake",
    },
    "TestReleaseForgetsTheToken": {
        "test_release_frees_the_key_and_ends_the_claim",
        "test_tokens_grow_with_every_claim_of_a_key",
        "test_differential_against_fake",
    },
    "TestRetryAfterIsTheWholeLease": {"test_leases_and_ttls_end_exactly_at_their_time"},
    "TestTtlFromTheClaim": {"test_leases_and_ttls_end_exactly_at_their_time"},
    "TestResultKeptAsGiven": {"test_a_completed_call_replays_its_result_as_json"},
    "TestRefusedResultEndsTheClaim": {
        "test_a_refused_result_stores_nothing_and_the_claim_holds",
        "test_differential_against_fake",
    },
}

REDIS_SUITE = """
import os
import uuid

import pytest
from serpens_contract.idempotency import IdempotencyContract
from serpens_redis import RedisIdempotencyStore
import serpens_redis._idempotency as scripts

URL = os.environ["MUTANT_REDIS_URL"]


def _mutant(**changes):
    # the genuine store with its Lua scripts edited: each change must apply exactly once
    class Mutant(RedisIdempotencyStore):
        def __init__(self, client, **kwargs):
            super().__init__(client, **kwargs)
            for name, (old, new) in changes.items():
                source = getattr(scripts, name)
                assert source.count(old) == 1, (name, old)
                setattr(self, name.lower(), client.register_script(source.replace(old, new)))

    return Mutant


def _cell(mutant):
    class Cell(IdempotencyContract):
        @pytest.fixture
        async def open_idempotency_store(self):
            stores = []

            def open_store(namespace):
                stores.append(mutant.from_url(URL, prefix=f"mutant:{namespace}"))
                return stores[-1]

            yield open_store
            for store in stores:
                await store.aclose()

    return Cell


TestGenuine = _cell(RedisIdempotencyStore)
# tostring() keeps 14 digits of a double: the token comes back as "1.7650000000000e+15"
TestTokenByTostring = _cell(
    _mutant(_CLAIM=("return {'claimed', string.format('%.0f', token)}",
                    "return {'claimed', tostring(token)}"))
)
# complete does not check that the claim is still in progress: it completes twice
TestCompletesTwice = _cell(_mutant(_COMPLETE=(" and rec[2] == '0'", "")))
# the completed record keeps the claim's expiry: the result vanishes when the lease ends
TestResultExpiresWithTheLease = _cell(
    _mutant(_COMPLETE=("redis.call('PEXPIRE', KEYS[1], ttl)", ""))
)
# a reused key replays (or waits for) another request's call
TestFingerprintUnchecked = _cell(
    _mutant(_CLAIM=("if rec[1] ~= ARGV[1] then return {'reused'} end", ""))
)
"""

REDIS_MUST_FAIL = {
    "TestTokenByTostring": {"test_a_completed_call_replays_its_result_as_json"},
    "TestCompletesTwice": {"test_a_claim_completes_once"},
    "TestResultExpiresWithTheLease": {"test_a_result_is_replayed_until_its_ttl_ends"},
    "TestFingerprintUnchecked": {"test_another_fingerprint_is_a_reused_key"},
}


def _failures(pytester: pytest.Pytester, suite: str, wanted: set[str]) -> dict[str, set[str]]:
    """Run *suite* in a sandbox, only the *wanted* tests; the failed tests of each class."""
    pytester.makeini(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    )
    pytester.makepyfile(test_mutants=suite)
    result = pytester.runpytest("-p", "no:cacheprovider", "-q", "-k", " or ".join(sorted(wanted)))
    failed: dict[str, set[str]] = {}
    ran: set[str] = set()
    for report in result.reprec.getreports("pytest_runtest_logreport"):  # type: ignore[attr-defined]
        _, cls, test = report.nodeid.split("::")
        if report.failed:
            failed.setdefault(cls, set()).add(test.split("[")[0])
        elif report.when == "call" and report.passed:
            ran.add(cls)
    assert "TestGenuine" in ran, "the genuine store ran nothing"
    assert "TestGenuine" not in failed, failed.get("TestGenuine")  # the suite is sound
    return failed


def _wanted(must_fail: dict[str, set[str]]) -> set[str]:
    return {test for tests in must_fail.values() for test in tests}


@pytest.mark.usefixtures("mutant_settings")
def test_the_suite_catches_every_fake_mutant(pytester: pytest.Pytester) -> None:
    failed = _failures(pytester, FAKE_SUITE, _wanted(FAKE_MUST_FAIL))
    for mutant, tests in FAKE_MUST_FAIL.items():
        missed = tests - failed.get(mutant, set())
        assert not missed, f"{mutant} slipped through {sorted(missed)}"


@pytest.mark.redis
@pytest.mark.usefixtures("mutant_settings")
def test_the_suite_catches_every_redis_mutant(
    pytester: pytest.Pytester, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MUTANT_REDIS_URL", redis_url)
    failed = _failures(pytester, REDIS_SUITE, _wanted(REDIS_MUST_FAIL))
    for mutant, tests in REDIS_MUST_FAIL.items():
        missed = tests - failed.get(mutant, set())
        assert not missed, f"{mutant} slipped through {sorted(missed)}"
