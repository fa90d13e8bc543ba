"""Shared plumbing for the benchmarks: timing, one result row type, one table format.

Every benchmark module exposes ``main() -> list[Result]`` and, when run as a script,
prints its table with :func:`print_table`. ``bench/run_all.py`` imports each module and
collects the rows into one table. Figures are measured in the same run as their
baseline, so a ratio is meaningful even on a noisy machine.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

__all__ = ["Result", "best_of", "best_of_async", "print_table"]


@dataclass(frozen=True, slots=True)
class Result:
    """One measured figure: serpens against a baseline measured in the same run.

    ``ratio`` is serpens / baseline when ``lower_is_better`` (times, overheads), else
    baseline / serpens (throughputs), so a ratio below 1 always means serpens wins.
    ``target`` is the highest acceptable ratio, or ``None`` when the figure is informative.
    """

    figure: str
    serpens: float
    baseline: float
    unit: str
    baseline_name: str
    target: float | None = None
    lower_is_better: bool = True

    @property
    def ratio(self) -> float:
        if self.lower_is_better:
            return self.serpens / self.baseline if self.baseline else float("inf")
        return self.baseline / self.serpens if self.serpens else float("inf")

    @property
    def passed(self) -> bool | None:
        return None if self.target is None else self.ratio <= self.target


def best_of(func: Callable[[], object], *, repeat: int = 5, number: int = 1) -> float:
    """Seconds per call of *func*: the median of *repeat* rounds of *number* calls."""
    rounds = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            func()
        rounds.append((time.perf_counter() - start) / number)
    return statistics.median(rounds)


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


def _fmt(value: float) -> str:
    return f"{value:.4g}"


def print_table(results: Iterable[Result]) -> str:
    """Print (and return) the results as a Markdown table."""
    lines = [
        "| figure | serpens | baseline | unit | ratio | target | result |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        verdict = {None: "info", True: "pass", False: "FAIL"}[r.passed]
        target = "-" if r.target is None else f"<= {r.target:g}x"
        lines.append(
            f"| {r.figure} | {_fmt(r.serpens)} | {_fmt(r.baseline)} ({r.baseline_name}) "
            f"| {r.unit} | {r.ratio:.3f}x | {target} | {verdict} |"
        )
    table = "\n".join(lines)
    print(table)
    return table
