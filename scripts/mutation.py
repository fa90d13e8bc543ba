"""Mutation testing of the fakes and the shared per-port rules, driven by the contract suites.

mutmut (``pip install -e '.[mutation]'``) mutates ``serpens/fakes`` and ``serpens/_rules``
(``[tool.mutmut]`` in pyproject.toml) and runs, for each mutant, the in-process cells of
the contract suites that cover the mutated function: no server starts. Generated files go
to ``mutants/`` (ignored by git; delete it for a run from scratch).

    python scripts/mutation.py run                 # every mutant not yet checked
    python scripts/mutation.py run --package rules # (re)check one package: rules or fakes
    python scripts/mutation.py run --survivors     # re-check the survivors only
    python scripts/mutation.py run 'serpens.fakes._http*'  # (re)check mutants by name glob
    python scripts/mutation.py report              # counts per package and the score
    python scripts/mutation.py report --survivors  # ... and the name of each survivor
    python scripts/mutation.py survivors docs/mutation-survivors.md --keep-unchecked

Survivors sorted by hand (equivalent mutants, with the reason) are in
``scripts/mutation_verdicts.toml``; ``survivors`` files each one under its verdict.

The run is niced and uses one worker unless ``--workers N`` says otherwise. Mutants that
``mypy --strict`` rejects are caught by the type checker (CI runs it) and never run.

``--adapter redis`` (or ``httpx``, scripts/mutation_adapters.toml) on each command mutates
a production adapter against its contract cells on the real servers the tests start. mutmut
names a module by its path, so that run is in a staging project, ``mutants-adapters/
mutmut-<adapter>/`` (ignored by git; see ``_stage``), with its own ``mutants/``.
"""

from __future__ import annotations

import argparse
import ast
import collections
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"fakes": "serpens.fakes", "rules": "serpens._rules"}
# per adapter: its package, the modules mutated and the tests driving them (see the file)
ADAPTERS: dict[str, dict[str, Any]] = tomllib.loads(
    (ROOT / "scripts" / "mutation_adapters.toml").read_text(encoding="utf-8")
)
# mutmut's exit codes per mutant (mutmut.stats.status_by_exit_code), in report columns
STATUS: dict[int | None, str] = {
    1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 34: "skipped",
    36: "timeout", 37: "type check", -24: "timeout", 24: "timeout", 152: "timeout",
    255: "other",  # the runner itself raised: no verdict, never counted as caught
    None: "not checked",
}  # fmt: skip
# what --survivors re-checks: survivors, mutants no test reached, those reset by a change,
# and timeouts (a loaded machine can time out a mutant that a quiet one would judge)
RECHECK = {"survived", "no tests", "not checked", "other", "timeout"}
COLUMNS = ["total", "killed", "timeout", "type check", "survived", "no tests", "not checked",
           "other"]  # fmt: skip


def _say(line: str = "") -> None:
    sys.stdout.write(line + "\n")


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    # the mutated code comes from mutants/ (mutmut puts it first on sys.path); the rest
    # (serpens or the adapters, the contract suites) is the work tree's own, unmutated
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "adapters"), str(ROOT / "contract_tests")])
    # mypy (mutmut's type check) from the environment running this script
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["SERPENS_CONTRACT_PROFILE"] = "ci"  # derandomised: a mutant is caught always or never
    env["SERPENS_CONTRACT_SHRINK"] = "0"  # a failure is enough, no need to explain it
    return env


def _project(adapter: str | None) -> Path:
    """Where mutmut runs: the work tree, or the adapter's staging project."""
    return ROOT / "mutants-adapters" / f"mutmut-{adapter}" if adapter else ROOT


def _mutated(adapter: str | None = None) -> Path:
    """The mutated package in mutmut's ``mutants/``."""
    return _project(adapter) / "mutants" / (ADAPTERS[adapter]["package"] if adapter else "serpens")


def _stage(adapter: str) -> Path:
    """Build (or refresh) *adapter*'s staging project, where mutmut sees it at the top.

    Its package copied (``serpens_redis/...``, imported as the tests import it), ``tests``
    linked to the work tree's, and pyproject.toml with this one's pytest and mypy settings
    and a ``[tool.mutmut]`` from this one's runner settings and the adapter's selection.
    """
    spec, project = ADAPTERS[adapter], _project(adapter)
    package = spec["package"]
    shutil.copytree(
        ROOT / "adapters" / package,
        project / package,
        dirs_exist_ok=True,  # copy2 keeps mtimes: mutmut redoes only the changed modules
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    if not (project / "tests").exists():
        (project / "tests").symlink_to(ROOT / "tests")  # mutmut copies it into mutants/
    base = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mutmut"]
    settings = {
        "source_paths": [f"{package}/"],
        "only_mutate": [f"{package}/{module}.py" for module in spec["modules"]],
        **{key: base[key] for key in ("process_isolation", "forkserver_warmup")},
        "pytest_add_cli_args": base["pytest_add_cli_args"],
        "pytest_add_cli_args_test_selection": [*spec["tests"], "-k", spec["select"]],
        "type_check_command": [*base["type_check_command"][:1], package,
                               *base["type_check_command"][2:]],
        "use_git_change_detection": False,
    }  # fmt: skip
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    # the work tree's pytest and mypy settings; its [tool.mutmut] replaced by the adapter's
    text = re.sub(r"(?ms)^\[tool\.mutmut\]$.*?(?=^\[)", "", text)
    text = text.replace('mypy_path = ["adapters", ', "mypy_path = [")  # no second copy
    mutmut = "\n".join(f"{key} = {json.dumps(value)}" for key, value in settings.items())
    (project / "pyproject.toml").write_text(f"{text}\n[tool.mutmut]\n{mutmut}\n", "utf-8")
    return project


def _results(adapter: str | None = None) -> dict[str, int | None]:
    """Exit code per mutant name, from mutmut's files under mutants/."""
    codes: dict[str, int | None] = {}
    for meta in sorted(_mutated(adapter).rglob("*.py.meta")):
        codes.update(json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"])
    return codes


def _package(name: str) -> str:
    if name.startswith("serpens_"):  # an adapter's: its module
        return name.split(".")[1]
    return next((short for short, dotted in PACKAGES.items() if name.startswith(dotted)), "?")


_MESSAGE_CALL = re.compile(r"raise |Error\(|_invalid|_bad\(|FieldError\(")
_CODEC = re.compile(r"\b(?:utf-8|ascii|latin-1)\b", re.IGNORECASE)


def _diffs(adapter: str | None = None) -> dict[str, tuple[list[str], list[str]]]:
    """Removed and added lines of every survivor and unreached mutant, from mutants/."""
    out: dict[str, tuple[list[str], list[str]]] = {}
    for meta in sorted(_mutated(adapter).rglob("*.py.meta")):
        codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        names = [n for n, c in codes.items() if STATUS.get(c) in {"survived", "no tests"}]
        if not names:
            continue
        source = meta.with_suffix("").read_text(encoding="utf-8")
        functions = {
            node.name: ast.get_source_segment(source, node) or ""
            for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        for name in names:
            mutant = name.rpartition(".")[2]
            original = re.sub(r"__mutmut_\d+$", "__mutmut_orig", mutant)
            before = functions.get(original, "").replace(original, "f").splitlines()
            after = functions.get(mutant, "").replace(mutant, "f").splitlines()
            lines = list(difflib.unified_diff(before, after, lineterm="", n=0))[2:]
            removed = [line[1:].strip() for line in lines if line.startswith("-")]
            added = [line[1:].strip() for line in lines if line.startswith("+")]
            out[name] = (removed, added)
    return out


VERDICTS = ROOT / "scripts" / "mutation_verdicts.toml"
_LINE = re.compile(r"^- `(?P<name>[^`]+)`(?P<change>.*)$")


def _verdicts() -> list[dict[str, Any]]:
    """The survivors sorted by hand (scripts/mutation_verdicts.toml), in file order."""
    return list(tomllib.loads(VERDICTS.read_text(encoding="utf-8"))["verdict"])


def _function(name: str) -> str:
    return name.rsplit("__mutmut_", 1)[0]


def _judged(name: str, change: str, verdicts: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The first verdict naming *name*'s function whose change text (if any) is in *change*."""
    function = _function(name)
    for verdict in verdicts:
        if function in verdict["functions"] and (
            not verdict.get("changes") or any(c in change for c in verdict["changes"])
        ):
            return verdict
    return None


def _category(status: str, removed: list[str], added: list[str]) -> str:
    """A first sorting of one survivor; the docs justify each category."""
    if status == "no tests":
        return "no tests"
    both = " ".join(removed + added)
    pairs = list(zip(removed, added, strict=False))
    if removed and all(_CODEC.sub("", a) == _CODEC.sub("", r) for r, a in pairs):
        return "equivalent: codec name spelled in another case"
    changed_text = (
        "XX" in both
        or "(None)" in both
        or "type(None)" in both
        or any(a != r and a.upper() == r.upper() for r, a in zip(removed, added, strict=False))
    )
    if changed_text and _MESSAGE_CALL.search(both):
        return "message wording"
    return "open"


def _earlier(path: Path, codes: dict[str, int | None]) -> tuple[str, dict[str, tuple[str, str]]]:
    """The intro of *path*, and its line and category per mutant of an unchecked function.

    A fresh checkout keeps no mutmut results: a run of some functions rewrites their
    mutants' lines and keeps the others' from the file, as an earlier run sorted them
    (mutmut numbers a function's mutants afresh when it changes: its old lines all go).
    """
    if not path.exists():
        return "", {}
    checked = {_function(name) for name, code in codes.items() if code is not None}
    text = path.read_text(encoding="utf-8")
    intro, _, body = text.partition("\n## ")
    kept: dict[str, tuple[str, str]] = {}
    category = ""
    for line in ("## " + body).splitlines():
        if line.startswith("## "):
            category = re.sub(r" \(\d+\)$", "", line[3:])
        elif (found := _LINE.match(line)) and _function(found["name"]) not in checked:
            kept[found["name"]] = (category, line)
    return intro.rstrip() + "\n", kept


def survivors_markdown(
    path: Path, *, keep_unchecked: bool = False, adapter: str | None = None
) -> int:
    """Write every survivor and unreached mutant, sorted into categories, to *path*.

    With *keep_unchecked*, mutants of functions this run did not check keep their lines
    from *path*, and so does its intro; the verdicts apply to every line.
    """
    codes = _results(adapter)
    diffs = _diffs(adapter)
    verdicts = _verdicts()
    intro, kept = _earlier(path, codes) if keep_unchecked else ("", {})
    groups: dict[str, list[str]] = collections.defaultdict(list)
    for name, (category, line) in sorted(kept.items()):
        verdict = _judged(name, line, verdicts)
        groups[verdict["category"] if verdict else category].append(line)
    for name, (removed, added) in sorted(diffs.items()):
        pairs = zip(removed, added, strict=False)
        change = " / ".join(f"`{r}` -> `{a}`" for r, a in pairs) or "(no diff)"
        verdict = _judged(name, change, verdicts)
        category = (
            verdict["category"] if verdict else _category(STATUS[codes[name]], removed, added)
        )
        groups[category].append(f"- `{name}`: {change[:300]}")
    whys: dict[str, str] = {}
    for verdict in verdicts:  # a category's reason is given once, by its first verdict
        if "why" in verdict:
            whys.setdefault(verdict["category"], verdict["why"])
    lines = (
        [intro]
        if intro
        else [
            "# Mutation survivors",
            "",
            "Generated by `python scripts/mutation.py survivors docs/mutation-survivors.md` from",
            "the last mutation run (see contract-tests.md, *Mutation testing*, for what each",
            "category means and why it is left). One line per mutant: what it changes.",
            "",
        ]
    )
    for category in sorted(groups):
        why = [" ".join(whys[category].split()), ""] if category in whys else []
        lines += [
            f"## {category} ({len(groups[category])})",
            "",
            *why,
            *sorted(groups[category]),
            "",
        ]
    path.write_text("\n".join(lines), encoding="utf-8")
    _say(f"{sum(map(len, groups.values()))} mutants written to {path}")
    return 0


def run(
    package: str | None,
    *,
    survivors: bool,
    globs: list[str],
    workers: int,
    adapter: str | None = None,
) -> int:
    """Run mutmut over *globs*, *package* (all when ``None``), or the survivors only."""
    names: list[str] = list(globs)
    project = _stage(adapter) if adapter else ROOT
    if survivors:
        names += [
            name
            for name, code in _results(adapter).items()
            if STATUS.get(code) in RECHECK and (package is None or _package(name) == package)
        ]
        if not names:
            _say("no survivors to re-check")
            return 0
    elif package is not None:
        names.append(
            f"{ADAPTERS[adapter]['package']}.{package}*" if adapter else f"{PACKAGES[package]}*"
        )
    command = [
        "nice",
        "-n",
        "19",
        sys.executable,
        "-m",
        "mutmut",
        "run",
        "--max-children",
        str(workers),
    ]
    return subprocess.call([*command, *names], cwd=project, env=_environment())  # noqa: S603


def report(*, list_survivors: bool, adapter: str | None = None) -> int:
    """Print the counts per package (an adapter's: per module), the score, the survivors."""
    codes = _results(adapter)
    if not codes:
        _say("no results under mutants/: run `python scripts/mutation.py run` first")
        return 1
    counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for name, code in codes.items():
        status = STATUS.get(code, "other")
        for key in (_package(name), "all"):
            counts[key][status] += 1
            counts[key]["total"] += 1
    _say("| package | " + " | ".join(COLUMNS) + " | score |")
    _say("|---" * (len(COLUMNS) + 2) + "|")
    for key in [*(ADAPTERS[adapter]["modules"] if adapter else PACKAGES), "all"]:
        row = counts[key]
        checked = row["total"] - row["not checked"]
        caught = row["killed"] + row["timeout"] + row["type check"]
        score = caught / checked if checked else 0.0
        cells = " | ".join(str(row[column]) for column in COLUMNS)
        _say(f"| {key} | {cells} | {score:.1%} |")
    if list_survivors:
        _say()
        for name, code in sorted(codes.items()):
            if STATUS.get(code) in {"survived", "no tests"}:
                _say(f"{STATUS[code]}: {name}")
    return 0


def main() -> int:
    """Parse the command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="run mutmut (niced)")
    run_parser.add_argument("--workers", type=int, default=1, help="mutants run at once")
    run_parser.add_argument("--package", help="rules or fakes; with --adapter, a module")
    run_parser.add_argument(
        "--survivors", action="store_true", help="re-check survivors and unreached mutants only"
    )
    run_parser.add_argument("globs", nargs="*", help="mutant names or globs to (re)check")
    report_parser = commands.add_parser("report", help="counts per package and the score")
    report_parser.add_argument("--survivors", action="store_true", help="name every survivor")
    survivors_parser = commands.add_parser("survivors", help="write the survivors, sorted")
    survivors_parser.add_argument("path", type=Path, help="the Markdown file to write")
    survivors_parser.add_argument(
        "--keep-unchecked",
        action="store_true",
        help="keep the file's lines of functions this run did not check",
    )
    for sub in (run_parser, report_parser, survivors_parser):
        sub.add_argument("--adapter", choices=sorted(ADAPTERS), help="mutate this adapter")
    args = parser.parse_args()
    if args.command == "survivors":
        return survivors_markdown(
            args.path, keep_unchecked=args.keep_unchecked, adapter=args.adapter
        )
    if args.command == "run":
        known = ADAPTERS[args.adapter]["modules"] if args.adapter else PACKAGES
        if args.package is not None and args.package not in known:
            parser.error(f"--package: one of {', '.join(sorted(known))}")
        return run(
            args.package,
            survivors=args.survivors,
            globs=args.globs,
            workers=args.workers,
            adapter=args.adapter,
        )
    return report(list_survivors=args.survivors, adapter=args.adapter)


if __name__ == "__main__":
    sys.exit(main())
