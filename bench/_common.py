"""Shared plumbing for the benchmarks: timing, one result row type, one table format.

Every benchmark module exposes ``main() -> list[Result]`` and, when run as a script,
prints its table with :func:`print_table`. ``bench/run_all.py`` runs each module in its
own process and collects the rows into one table. Figures are measured in the same run
as their baseline, so a ratio is meaningful even on a noisy machine.

``SERPENS_BENCH_QUICK=1`` (set by ``run_all.py --quick``) shrinks every iteration count
through :func:`scaled`: a smoke test of the plumbing, not a measurement.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "QUICK_ENV",
    "TABLE_HEADER",
    "Result",
    "best_of",
    "best_of_async",
    "block_medians_async",
    "format_row",
    "format_table",
    "interleaved_best",
    "interleaved_medians_async",
    "note_server",
    "print_table",
    "quick",
    "scaled",
    "scaled_seconds",
    "servers",
]

QUICK_ENV = "SERPENS_BENCH_QUICK"
_SERVERS: dict[str, str] = {}


def quick() -> bool:
    """Whether this run is a quick smoke run (``SERPENS_BENCH_QUICK=1``)."""
    return os.environ.get(QUICK_ENV, "") not in {"", "0"}


def scaled(n: int, *, minimum: int = 1) -> int:
    """*n* iterations, or a twentieth of them (at least *minimum*) in a quick run."""
    return max(minimum, n // 20) if quick() else n


def scaled_seconds(seconds: float) -> float:
    """A measuring window of *seconds*, or a tenth of it in a quick run."""
    return seconds / 10 if quick() else seconds


def note_server(backend: str, description: str) -> None:
    """Record which server (version, tier) a benchmark ran against, for the report."""
    _SERVERS[backend] = description


def servers() -> dict[str, str]:
    """The servers recorded by :func:`note_server` in this process."""
    return dict(_SERVERS)


@dataclass(frozen=True, slots=True)
class Result:
    """One measured figure: serpens against a baseline measured in the same run.

    ``ratio`` is serpens / baseline when ``lower_is_better`` (times, overheads), else
    baseline / serpens (throughputs), so a ratio below 1 always means serpens wins.
    ``target`` is the highest acceptable ratio, or ``None`` when the figure is informative;
    ``target_min`` adds a lower bound for figures that must sit inside a band (an achieved
    rate against the configured one).
    """

    figure: str
    serpens: float
    baseline: float
    unit: str
    baseline_name: str
    target: float | None = None
    lower_is_better: bool = True
    target_min: float | None = None

    @property
    def ratio(self) -> float:
        if self.lower_is_better:
            return self.serpens / self.baseline if self.baseline else float("inf")
        return self.baseline / self.serpens if self.serpens else float("inf")

    @property
    def passed(self) -> bool | None:
        if self.target is None:
            return None
        low = self.target_min if self.target_min is not None else float("-inf")
        return low <= self.ratio <= self.target

    @property
    def target_text(self) -> str:
        if self.target is None:
            return "-"
        if self.target_min is not None:
            return f"{self.target_min:g}x - {self.target:g}x"
        return f"<= {self.target:g}x"

    @property
    def verdict(self) -> str:
        return {None: "info", True: "pass", False: "FAIL"}[self.passed]


def best_of(func: Callable[[], object], *, repeat: int = 5, number: int = 1) -> float:
    """Seconds per call of *func*: the median of *repeat* rounds of *number* calls."""
    rounds = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            func()
        rounds.append((time.perf_counter() - start) / number)
    return statistics.median(rounds)


def interleaved_best(
    funcs: Sequence[Callable[[], object]], *, rounds: int, number: int
) -> dict[Callable[[], object], float]:
    """Best seconds per call of each of *funcs*: *rounds* rounds of *number* calls each.

    The contenders take turns round by round, the order rotating, so a load spike or a
    background job (a server's autovacuum after the previous benchmark) falls on both
    sides alike instead of on whichever ran second; the best round is kept, since for
    CPU-bound work in one process load only ever adds time (``timeit``'s advice). For
    in-process contenders; network round trips use :func:`interleaved_medians_async`.
    """
    best = dict.fromkeys(funcs, float("inf"))
    order = list(funcs)
    for turn in range(rounds):
        shift = turn % len(order)
        for func in order[shift:] + order[:shift]:
            best[func] = min(best[func], best_of(func, repeat=1, number=number))
    return best


async def best_of_async(
    func: Callable[[], Awaitable[object]], *, repeat: int = 5, number: int = 1
) -> float:
    """Async twin of :func:`best_of`."""
    rounds = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            await func()
        rounds.append((time.perf_counter() - start) / number)
    return statistics.median(rounds)


async def interleaved_medians_async(
    funcs: Sequence[Callable[[], Awaitable[object]]], *, calls: int
) -> dict[Callable[[], Awaitable[object]], float]:
    """Median seconds per call of each of *funcs*, called in turn *calls* times each.

    Each call is timed on its own and the order rotates every turn, so the contenders
    share every load spike and none always runs first; the median then discards the
    occasional slow round trip that a mean (or a best-of-rounds) would let decide.
    For network round trips, where run-to-run noise is larger than the differences
    being measured.
    """
    return await block_medians_async(funcs, blocks=calls, block=1)


async def block_medians_async(
    funcs: Sequence[Callable[[], Awaitable[object]]], *, blocks: int, block: int
) -> dict[Callable[[], Awaitable[object]], float]:
    """Median seconds per call of each of *funcs*, each run in blocks of consecutive calls.

    Every turn runs *block* calls of each function back to back (each call timed on its
    own), the functions taking turns in a rotating order for *blocks* turns: each side is
    measured warm, as a test suite or a request handler calls it, and both still share the
    machine's load spikes. For in-process work timed against a server, where alternating
    call by call would time the fast side mostly on caches the slow side just evicted.
    """
    clock = time.perf_counter
    samples: dict[Callable[[], Awaitable[object]], list[float]] = {f: [] for f in funcs}
    order = list(funcs)
    for turn in range(blocks):
        shift = turn % len(order)
        for func in order[shift:] + order[:shift]:
            times = samples[func]
            for _ in range(block):
                start = clock()
                await func()
                times.append(clock() - start)
    return {func: statistics.median(times) for func, times in samples.items()}


def _fmt(value: float, unit: str) -> str:
    return f"{value:.4g} {unit}"


TABLE_HEADER = (
    "| figure | serpens | baseline | ratio | target | pass/fail |\n|---|---|---|---|---|---|"
)


def format_row(r: Result, *, prefix: str = "") -> str:
    """One Markdown table row; *prefix* (a module name) goes before the figure."""
    figure = f"{prefix}: {r.figure}" if prefix else r.figure
    return (
        f"| {figure} | {_fmt(r.serpens, r.unit)} | {_fmt(r.baseline, r.unit)} "
        f"({r.baseline_name}) | {r.ratio:.3f}x | {r.target_text} | {r.verdict} |"
    )


def format_table(results: Iterable[Result]) -> str:
    """The results as a Markdown table (figure, serpens, baseline, ratio, target, pass/fail)."""
    return "\n".join([TABLE_HEADER, *(format_row(r) for r in results)])


def print_table(results: Iterable[Result]) -> str:
    """Print (and return) the results as a Markdown table."""
    table = format_table(results)
    print(table)
    return table
