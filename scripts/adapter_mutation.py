"""Mutation testing of one adapter module against the contract cells that run it.

mutmut (``pip install -e '.[mutation]'``) runs in-process and so covers only the fakes
and the shared rules (``scripts/mutation.py``); an adapter's tests need its server. This
script borrows mutmut's mutation operators, applies one mutant at a time to a copy of
the adapter package put first on ``PYTHONPATH``, and runs, on the real servers the
harness starts, only the tests that execute the mutated line (taken from one run under
``coverage`` with a context per test). A line that also runs outside any test function
(in a fixture's setup, on another thread such as ``asyncio.to_thread`` or an SDK's
workers: coverage names no test there) counts for every selected test, and a default
value (evaluated at import) for the tests of its function. String literals (messages)
are not mutated.

    python scripts/adapter_mutation.py serpens_redis/_async_cache.py
        tests/contract/test_cache_contract.py -k "TestAsyncRedisCache"   # (one line)
    python scripts/adapter_mutation.py ... --only 7,9     # re-check some mutants
    python scripts/adapter_mutation.py ... --report       # the survivors, from the last run

Results go to ``mutants-adapters/<module>.json`` (ignored by git): each mutant's line,
change and verdict (``killed``, ``survived``, ``timeout`` or ``no tests`` when no
selected test runs its line). A survivor is a change the selected tests do not notice:
a missing contract case, or an equivalent mutant. Mutants are numbered in source
order: delete the module's JSON after changing the module. Niced; ``--workers``
(default 2).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ADAPTERS = ROOT / "adapters"
OUT = ROOT / "mutants-adapters"
TIMEOUT = 300  # seconds a mutant's tests may take before it counts as a timeout


@dataclass(frozen=True)
class Mutant:
    """One change to the module: where, what, and the tests that run that line."""

    number: int
    function: str
    line: int
    original: str
    mutated: str
    tests: tuple[str, ...]


def _say(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _contexts(module: Path, pytest_args: Sequence[str], scratch: Path) -> dict[int, set[str]]:
    """The tests (coverage contexts) that run each line of *module*, from one run."""
    rcfile = scratch / "coveragerc"
    data = scratch / "coverage"
    rcfile.write_text(
        f"[run]\ndynamic_context = test_function\ninclude = {module}\ndata_file = {data}\n",
        encoding="utf-8",
    )
    python = sys.executable
    subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [python, "-m", "coverage", "run", f"--rcfile={rcfile}", "-m", "pytest", "-q",
         "-p", "no:cacheprovider", *pytest_args],
        cwd=ROOT, capture_output=True, check=False,
    )  # fmt: skip
    report = scratch / "contexts.json"
    subprocess.run(  # noqa: S603
        [python, "-m", "coverage", "json", f"--rcfile={rcfile}", "--show-contexts",
         "-o", str(report)],
        cwd=ROOT, capture_output=True, check=True,
    )  # fmt: skip
    lines: dict[int, set[str]] = {}
    for info in json.loads(report.read_text(encoding="utf-8"))["files"].values():
        for line, contexts in info.get("contexts", {}).items():
            # "" is code run outside any test's thread (asyncio.to_thread, an SDK's worker)
            lines.setdefault(int(line), set()).update(contexts)
    return lines


def _test_names(contexts: set[str]) -> tuple[str, ...]:
    """Test function names of coverage contexts (``pkg.module.Class.test_x`` -> ``test_x``)."""
    return tuple(sorted({context.rpartition(".")[2] for context in contexts}))


def _mutants(source: str, name: str, contexts: dict[int, set[str]]) -> Iterator[tuple[Mutant, str]]:
    """Every mutant of *source* that compiles, with the whole mutated module's code."""
    import libcst as cst  # noqa: PLC0415 - installed with mutmut, only here
    from libcst.metadata import MetadataWrapper, PositionProvider  # noqa: PLC0415
    from mutmut.mutation.file_mutation import create_mutations, deep_replace  # noqa: PLC0415

    module, mutations, _, _ = create_mutations(name, source)
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    strings = (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString)
    number = 0
    for mutation in mutations:
        if isinstance(mutation.original_node, strings):
            continue  # messages: no contract reads their wording
        code = deep_replace(module, mutation.original_node, mutation.mutated_node).code  # type: ignore[union-attr]
        try:
            compile(code, name, "exec")
        except SyntaxError:
            continue
        where = positions[mutation.original_node]
        defining = mutation.contained_by_top_level_function
        function = getattr(getattr(defining, "name", None), "value", "")
        first, last = where.start.line, where.end.line
        if isinstance(defining, cst.FunctionDef) and last < positions[defining.body].start.line:
            # a default value: evaluated once at import, it counts for every call
            first, last = positions[defining].start.line, positions[defining].end.line
        covering: set[str] = set()
        for line in range(first, last + 1):
            covering |= contexts.get(line, set())
        # module level, or run outside a test function (a fixture building the adapter,
        # another thread): coverage cannot say which tests need it, so every selected test
        anywhere = not function or "" in covering
        tests = ("*",) if anywhere else _test_names(covering)
        yield (
            Mutant(
                number,
                function or "<module>",
                where.start.line,
                module.code_for_node(mutation.original_node)[:160],
                module.code_for_node(mutation.mutated_node)[:160],
                tests,
            ),
            code,
        )
        number += 1


def _verdict(
    mutant: Mutant, code: str, relative: str, pytest_args: Sequence[str], scratch: Path
) -> str:
    """Run the tests that cover *mutant* with the mutated package first on the path."""
    if not mutant.tests:
        return "no tests"
    package = relative.split("/", maxsplit=1)[0]
    tree = scratch / f"m{mutant.number}"
    shutil.copytree(
        ADAPTERS / package, tree / package, ignore=shutil.ignore_patterns("__pycache__")
    )
    (tree / relative).write_text(code, encoding="utf-8")
    args = list(pytest_args)
    if mutant.tests != ("*",):
        names = " or ".join(mutant.tests)
        if "-k" in args:
            at = args.index("-k") + 1
            args[at] = f"({args[at]}) and ({names})"
        else:
            args += ["-k", names]
    # the mutant's copy first; a PYTHONPATH already set (a checkout tried apart) after it
    path = os.pathsep.join(p for p in (str(tree), os.environ.get("PYTHONPATH", "")) if p)
    env = dict(os.environ, PYTHONPATH=path, PYTHONDONTWRITEBYTECODE="1")
    try:
        done = subprocess.run(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "-m", "pytest", "-x", "-q",
             "-p", "no:cacheprovider", *args],
            cwd=ROOT, env=env, capture_output=True, timeout=TIMEOUT, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return "timeout"
    finally:
        shutil.rmtree(tree, ignore_errors=True)
    # 2: collection failed (the mutant broke an import); 4: a conftest failed to import (the
    # mutant broke a module the test harness imports; unmutated, the same run passes);
    # 5: -k selected nothing
    verdicts = {0: "survived", 1: "killed", 2: "killed", 4: "killed", 5: "no tests"}
    return verdicts.get(done.returncode, f"exit {done.returncode}")


def _report(results: dict[str, Any]) -> None:
    counts: dict[str, int] = {}
    for entry in results.values():
        counts[entry["verdict"]] = counts.get(entry["verdict"], 0) + 1
    _say(", ".join(f"{verdict} {n}" for verdict, n in sorted(counts.items())))
    for entry in results.values():
        if entry["verdict"] in {"survived", "no tests"}:
            _say(
                f"{entry['number']:4} {entry['verdict']:9} {entry['function']}:{entry['line']}  "
                f"{entry['original']!r} -> {entry['mutated']!r}"
            )


def main(argv: Sequence[str] | None = None) -> int:
    """Check the mutants of one adapter module (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("module", help="the adapter module, e.g. serpens_redis/_async_cache.py")
    parser.add_argument("--only", default="", help="comma-separated mutant numbers to (re)check")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--report", action="store_true", help="print the last run's survivors")
    args, pytest_args = parser.parse_known_args(argv)
    results_file = OUT / (args.module.replace("/", ".") + ".json")
    results: dict[str, Any] = (
        json.loads(results_file.read_text(encoding="utf-8")) if results_file.exists() else {}
    )
    if args.report:
        _report(results)
        return 0
    if not pytest_args:
        parser.error("give the pytest arguments selecting the adapter's contract cells")
    only = {int(n) for n in args.only.split(",") if n}
    module = ADAPTERS / args.module
    OUT.mkdir(exist_ok=True)
    os.nice(19)  # the mutants' test runs inherit it
    with tempfile.TemporaryDirectory(prefix="serpens-mutants-") as scratch_dir:
        scratch = Path(scratch_dir)
        contexts = _contexts(module, pytest_args, scratch)
        source = module.read_text(encoding="utf-8")
        todo = [
            (mutant, code)
            for mutant, code in _mutants(source, args.module, contexts)
            if (not only and str(mutant.number) not in results) or mutant.number in only
        ]
        _say(f"{len(todo)} mutants to check")

        def check(item: tuple[Mutant, str]) -> tuple[Mutant, str]:
            mutant, code = item
            return mutant, _verdict(mutant, code, args.module, pytest_args, scratch)

        with ThreadPoolExecutor(args.workers) as pool:
            for mutant, verdict in pool.map(check, todo):
                results[str(mutant.number)] = {**asdict(mutant), "verdict": verdict}
                results_file.write_text(json.dumps(results, indent=1), encoding="utf-8")
                _say(f"{mutant.number:4} {verdict:9} {mutant.function}:{mutant.line}")
    _report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
