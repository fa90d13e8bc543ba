"""Run every benchmark, print one table and write it to ``bench/RESULTS.md``.

Each module runs in its own Python process (``--worker``): singletons (the cache client,
``http_client``), environment variables (``PUBSUB_EMULATOR_HOST``), imported SDKs and the
heap of one benchmark never colour the next. A worker calls the module's ``main()`` and
hands its ``Result`` rows back as JSON, so nothing is parsed from printed text. Modules
run one after the other, never in parallel: they would compete for the same cores.

Usage::

    python -m bench.run_all                   # every module, writes bench/RESULTS.md
    python -m bench.run_all --only cache      # one module (repeatable), prints only
    python -m bench.run_all --quick           # tiny iteration counts: a smoke test

Backends come from ``serpens.testing``'s ``start_*`` helpers: embedded or machine
servers by default, ``TEST_POSTGRES_URL`` / ``TEST_REDIS_URL`` / ``PUBSUB_EMULATOR_HOST``
and ``SERPENS_TEST_*_TIER`` honoured. Exit status 1 when a module crashed; a figure
that misses its target is reported as FAIL in the table, not by the exit status.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import importlib
import importlib.metadata
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench._common import QUICK_ENV, TABLE_HEADER, Result, format_row, servers

MODULES = (
    "repository",
    "repository_sync",
    "fake_repository",
    "cache",
    "pubsub",
    "messaging",
    "http",
    "rate_limit",
    "idempotency",
    "outbox",
    "outage",
    "lambda",
    "schema",
    "otel",
)
PACKAGES = (
    "serpens",
    "SQLAlchemy",
    "asyncpg",
    "psycopg2-binary",
    "redis",
    "httpx",
    "uvicorn",
    "google-cloud-pubsub",
    "grpcio",
    "boto3",
    "pydantic",
    "msgspec",
    "aws-lambda-powertools",
    "aiolimiter",
    "opentelemetry-api",
    "opentelemetry-sdk",
)
RESULTS = Path(__file__).with_name("RESULTS.md")


@dataclasses.dataclass
class ModuleRun:
    """What one worker process reported."""

    name: str
    rows: list[Result]
    servers: dict[str, str]
    seconds: float
    error: str | None = None


def _worker(name: str, out: Path) -> None:
    module = importlib.import_module(f"bench.{name}")
    rows = module.main()
    payload = {"rows": [dataclasses.asdict(r) for r in rows], "servers": servers()}
    out.write_text(json.dumps(payload), encoding="utf-8")


def _run_module(name: str, *, quick: bool) -> ModuleRun:
    env = dict(os.environ)
    if quick:
        env[QUICK_ENV] = "1"
    with tempfile.TemporaryDirectory(prefix="serpens-bench-") as tmp:
        out = Path(tmp) / "rows.json"
        command = [sys.executable, "-m", "bench.run_all", "--worker", name, "--out", str(out)]
        start = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - start
        if done.returncode != 0 or not out.exists():
            tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
            return ModuleRun(name, [], {}, seconds, error=tail or f"exit {done.returncode}")
        payload = json.loads(out.read_text(encoding="utf-8"))
    rows = [Result(**row) for row in payload["rows"]]
    return ModuleRun(name, rows, payload["servers"], seconds)


def _read(path: str, key: str) -> str | None:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    for line in lines:
        name, _, value = line.partition(":" if ":" in line else "=")
        if name.strip() == key:
            return value.strip().strip('"')
    return None


def _load() -> str:
    """The load average: on a shared machine, how much else was running."""
    if not hasattr(os, "getloadavg"):
        return "unknown"
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine() -> list[tuple[str, str]]:
    """The machine description written above the table."""
    mem_kb = _read("/proc/meminfo", "MemTotal")
    ram = f"{int(mem_kb.split()[0]) / 1024**2:.1f} GiB" if mem_kb else "unknown"
    return [
        ("Date", dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("CPU", _read("/proc/cpuinfo", "model name") or platform.processor() or "unknown"),
        ("Cores", str(os.cpu_count())),
        ("RAM", ram),
        ("OS", _read("/etc/os-release", "PRETTY_NAME") or platform.platform()),
        ("Kernel", platform.release()),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("Load average (1, 5, 15 min) at start", _load()),
        ("Packages", ", ".join(f"{p} {_version(p)}" for p in PACKAGES)),
    ]


def table(runs: list[ModuleRun]) -> str:
    """One Markdown table of every module's rows (a crashed module gets an ERROR row)."""
    lines = [TABLE_HEADER]
    for run in runs:
        if run.error is not None:
            lines.append(f"| {run.name}: (module crashed) | - | - | - | - | ERROR |")
        lines.extend(format_row(r, prefix=run.name) for r in run.rows)
    return "\n".join(lines)


# "1,000 rows", "10000 records", "100 callers": the size a scaling figure was measured at
_SIZE = re.compile(r"\b(\d{1,3}(?:,\d{3})+|\d+) (rows|records|entries|callers|items)\b")
_MIN_SIZES = 3  # a figure measured at fewer sizes shows no growth


def _size_label(size: int) -> str:
    for step, suffix in ((1_000_000, "M"), (1_000, "k")):
        if size >= step and size % step == 0:
            return f"{size // step}{suffix}"
    return str(size)


def scaling(runs: list[ModuleRun]) -> str:
    """Figures measured at several sizes, one line each, a column per size.

    A figure naming its size (``..., 10,000 rows``) is grouped with the same figure at
    other sizes and the same baseline; each cell is serpens' cost, the baseline's and
    their ratio, so growth with the size shows at a glance on both sides. Empty when no
    figure was measured at three sizes or more.
    """
    groups: dict[tuple[str, str, str, str], dict[int, Result]] = {}
    for run in runs:
        for row in run.rows:
            found = _SIZE.search(row.figure)
            if found is None:
                continue
            figure = f"{row.figure[: found.start()]}n {found[2]}{row.figure[found.end() :]}"
            key = (run.name, figure, row.baseline_name, row.unit)
            groups.setdefault(key, {})[int(found[1].replace(",", ""))] = row
    groups = {key: cells for key, cells in groups.items() if len(cells) >= _MIN_SIZES}
    if not groups:
        return ""
    sizes = sorted({size for cells in groups.values() for size in cells})
    lines = [
        "| figure (baseline) | " + " | ".join(_size_label(n) for n in sizes) + " |",
        "|---|" + "---|" * len(sizes),
    ]
    for (module, figure, baseline, unit), cells in groups.items():
        row = [f"{module}: {figure} ({baseline}, {unit})"]
        for size in sizes:
            got = cells.get(size)
            row.append(
                "-" if got is None else f"{got.serpens:.4g} / {got.baseline:.4g} ({got.ratio:.3f}x)"
            )
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def report(runs: list[ModuleRun], *, quick: bool, environment: list[tuple[str, str]]) -> str:
    """The whole ``RESULTS.md``: how it was made, the machine, the servers, the table."""
    used: dict[str, str] = {}
    for run in runs:
        used.update(run.servers)
    rows = [r for run in runs for r in run.rows]
    verdicts = [r.verdict for r in rows]
    summary = (
        f"{verdicts.count('pass')} pass, {verdicts.count('FAIL')} FAIL, "
        f"{verdicts.count('info')} informative"
    )
    modules = ", ".join(f"{run.name} {run.seconds:.0f} s" for run in runs)
    parts = [
        "# Benchmark results",
        "",
        "Generated by "
        + (
            "`python -m bench.run_all --quick` (smoke run: figures are not measurements)"
            if quick
            else "`python -m bench.run_all`"
        )
        + ". Every ratio compares serpens with a baseline measured in the same process and "
        "run; a ratio below 1 means serpens is faster (times) or has the higher throughput. "
        "See [docs/benchmarks.md](../docs/benchmarks.md) for what each figure measures.",
        "",
        "## Machine",
        "",
        *(f"- **{key}**: {value}" for key, value in environment),
        "",
        "## Servers",
        "",
        *(f"- **{key}**: {value}" for key, value in sorted(used.items())),
        *([] if used else ["- none (the modules run used no server)"]),
        "",
        f"## Results ({summary})",
        "",
        table(runs),
        "",
        f"Wall time per module: {modules}.",
        "",
    ]
    growth = scaling(runs)
    if growth:
        parts += [
            "## Scaling",
            "",
            (
                "The figures above that were measured at several sizes, per unit of work at "
                "each size: serpens' cost / the baseline's cost (their ratio)."
            ),
            "",
            growth,
            "",
        ]
    return "\n".join(parts)


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run_all", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny iteration counts")
    parser.add_argument(
        "--only", action="append", choices=MODULES, metavar="NAME", help="run only NAME"
    )
    parser.add_argument(
        "--output",
        type=Path,
        help="write the report here (default: bench/RESULTS.md on a full run, "
        "nothing with --quick or --only)",
    )
    parser.add_argument("--worker", choices=MODULES, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.worker:
        _worker(args.worker, args.out)
        return 0
    environment = machine()
    runs = []
    for name in args.only or MODULES:
        print(f"running bench.{name} ...", file=sys.stderr, flush=True)
        run = _run_module(name, quick=args.quick)
        print(f"  {run.seconds:.0f} s", file=sys.stderr, flush=True)
        if run.error is not None:
            print(f"bench.{name} crashed:\n{run.error}", file=sys.stderr)
        runs.append(run)
    environment.insert(-1, ("Load average (1, 5, 15 min) at end", _load()))
    print(table(runs))
    output = args.output
    if output is None and not (args.quick or args.only):
        output = RESULTS
    if output is not None:
        output.write_text(report(runs, quick=args.quick, environment=environment), "utf-8")
        print(f"wrote {output}", file=sys.stderr)
    return 1 if any(run.error is not None for run in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
