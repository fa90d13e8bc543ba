"""Hypothesis budgets for contract tests, chosen per run and never set globally."""

from __future__ import annotations

import os
from typing import Any

from serpens._config import env_bool, env_int, env_str
from serpens.errors import ConfigurationError

__all__ = ["hypothesis_settings"]

# (max_examples, stateful_step_count) per profile.
_PROFILES = {"dev": (25, 25), "ci": (30, 20), "nightly": (500, 100)}


def _profile() -> str:
    explicit = env_str("SERPENS_CONTRACT_PROFILE")
    if explicit:
        if explicit not in _PROFILES:
            raise ConfigurationError(
                f"SERPENS_CONTRACT_PROFILE must be one of {sorted(_PROFILES)}, got {explicit!r}"
            )
        return explicit
    return "ci" if os.environ.get("CI") else "dev"


def hypothesis_settings(**overrides: Any) -> Any:
    """Return ``hypothesis.settings`` for one contract test.

    The budget comes from ``SERPENS_CONTRACT_PROFILE`` (``dev``, ``ci`` or ``nightly``;
    ``ci`` when ``CI`` is set, else ``dev``), overridable with ``SERPENS_CONTRACT_EXAMPLES``
    and ``SERPENS_CONTRACT_STEPS``, then by keyword *overrides*; ``SERPENS_CONTRACT_SHRINK=0``
    skips shrinking (mutant runs only need to know that a test fails). Deadlines are off (real
    backends have jittery latency) and the example database is off in CI.
    """
    try:
        import hypothesis  # noqa: PLC0415 - the plugin must import without hypothesis
    except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
        from serpens.errors import MissingExtraError  # noqa: PLC0415 - only when failing

        raise MissingExtraError("hypothesis", "contract") from exc

    profile = _profile()
    examples, steps = _PROFILES[profile]
    examples = env_int("SERPENS_CONTRACT_EXAMPLES", examples, minimum=1)
    steps = env_int("SERPENS_CONTRACT_STEPS", steps, minimum=1)
    options: dict[str, Any] = {
        "max_examples": examples,
        "stateful_step_count": steps,
        "deadline": None,
        "suppress_health_check": list(hypothesis.HealthCheck),
        "derandomize": profile == "ci",
    }
    if profile == "ci":
        options["database"] = None
    if not env_bool("SERPENS_CONTRACT_SHRINK", default=True):  # find failures, skip explaining
        options["phases"] = [p for p in hypothesis.Phase if p is not hypothesis.Phase.shrink]
    options.update(overrides)
    return hypothesis.settings(**options)
