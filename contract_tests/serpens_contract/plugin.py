"""pytest plugin (entry point ``pytest11``): markers, capability skips and the report.

Loaded by every pytest run in an environment where serpens is installed, so it stays
light: it imports pytest and nothing else of weight (no Hypothesis, no SDK) and changes
no global settings. For contract-suite tests it

- turns ``@requires(...)`` capability marks into explicit skips naming the capability,
- turns a suite's ``known_divergences`` into strict xfails,
- prints a capability report (suite x implementation, with the backend and server
  version each ran on, how it meets an outage (strict or fail-open, which faults were
  injected): passed, failed, every skip and divergence, each test counted once whatever
  phase failed) and writes it as JSON (``--serpens-contract-report``, default
  ``.serpens/contract-report.json`` under the rootdir).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

try:
    import pytest
except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
    from serpens.errors import MissingExtraError

    raise MissingExtraError("pytest", "contract") from exc

from serpens_contract._suite import ContractSuite
from serpens_contract.capabilities import lookup_capability

__all__ = ["pytest_addoption", "pytest_configure"]


@dataclass
class _Row:
    suite: str
    contract: str
    implementation: str
    backends: list[str] = field(default_factory=list)
    passed: int = 0
    failed: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)
    divergences: list[dict[str, str]] = field(default_factory=list)
    # how the implementation meets an outage ("strict: refused, frozen, reset; ..."), or None
    outage: str | None = None
    # nodeid -> "passed" | "failed" | "skipped" | "diverged": one outcome per test
    outcomes: dict[str, str] = field(default_factory=dict)

    def settle(self) -> None:
        """Count each test once from its outcome (a failure in any phase is a failure)."""
        counted = list(self.outcomes.values())
        self.passed = counted.count("passed")
        self.failed = counted.count("failed")


def _suite_class(item: pytest.Item) -> type[ContractSuite] | None:
    cls = getattr(item, "cls", None)
    if isinstance(cls, type) and issubclass(cls, ContractSuite) and cls.contract:
        return cls
    return None


def _suite_name(cls: type[ContractSuite]) -> str:
    for klass in cls.__mro__:
        if ContractSuite in klass.__bases__:
            return klass.__name__
    return cls.__name__  # pragma: no cover - every suite derives from a named contract


def _test_name(item: pytest.Item) -> str:
    return getattr(item, "originalname", None) or item.name


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--serpens-contract-report``."""
    group = parser.getgroup("serpens-contract", "serpens contract suites")
    group.addoption(
        "--serpens-contract-report",
        default=None,
        metavar="PATH",
        help="write the contract capability report as JSON "
        "(default: .serpens/contract-report.json under the rootdir)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker and the contract reporter."""
    config.addinivalue_line(
        "markers",
        "serpens_requires(*names): contract test needing these named capabilities",
    )
    config.pluginmanager.register(_ContractReporter(config), "serpens-contract-reporter")


class _ContractReporter:
    """Per-session hooks: capability skips, divergences and outcome counting."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.rows: dict[str, _Row] = {}
        self.owners: dict[str, str] = {}  # nodeid -> row key
        self.backends: dict[str, str] = {}  # nodeid -> what it ran on

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """Validate capability names and mark known divergences as strict xfails."""
        for item in items:
            cls = _suite_class(item)
            if cls is None:
                continue
            for mark in item.iter_markers("serpens_requires"):
                for name in mark.args:
                    try:
                        lookup_capability(cls.contract, name)
                    except LookupError as exc:
                        raise pytest.UsageError(f"{item.nodeid}: {exc}") from None
            reason = cls.known_divergences.get(_test_name(item))
            if reason:
                item.add_marker(
                    pytest.mark.xfail(reason=f"known divergence: {reason}", strict=True)
                )
            implementation = f"{item.nodeid.split('::')[0]}::{cls.__qualname__}"
            outage = getattr(cls, "outage_capabilities", None)
            described = {
                "suite": _suite_name(cls),
                "contract": cls.contract,
                "implementation": implementation,
                "outage": None if outage is None else str(outage),
            }
            self._own(item.nodeid, described)
            # Carried by every report of the test, so that the process that prints the
            # report (pytest-xdist's controller, which collects nothing) can place it.
            item.user_properties.append((_ROW, json.dumps(described)))

    def _own(self, nodeid: str, described: dict[str, Any]) -> str:
        key = f"{described['suite']}|{described['implementation']}"
        self.owners[nodeid] = key
        row = self.rows.get(key)
        if row is None:
            row = _Row(described["suite"], described["contract"], described["implementation"])
            self.rows[key] = row
        if described["outage"] is not None:
            row.outage = described["outage"]
        return key

    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        """Skip, explicitly, a contract test whose required capabilities are not declared."""
        cls = _suite_class(item)
        if cls is None:
            return
        for mark in item.iter_markers("serpens_requires"):
            for name in mark.args:
                capability = lookup_capability(cls.contract, name)
                if not capability.satisfied_by(cls):
                    pytest.skip(
                        f"capability {name!r} not supported by {cls.__name__}: "
                        f"{capability.description}"
                    )

    def pytest_runtest_call(self, item: pytest.Item) -> None:
        """Note the backend the contract test runs on (its ``contract_backend`` fixture)."""
        backend = getattr(item, "funcargs", {}).get("contract_backend")
        if item.nodeid in self.owners and isinstance(backend, str):
            self.backends.setdefault(item.nodeid, backend)
            item.user_properties.append((_FIXTURE_BACKEND, backend))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Record each contract test's outcome once, in the row of its implementation."""
        key = self._place(report)
        if key is None:
            return
        row = self.rows[key]
        test = report.nodeid.split("::")[-1]
        previous = row.outcomes.get(report.nodeid)
        if hasattr(report, "wasxfail"):
            if previous is None and (report.when == "call" or report.skipped):
                row.outcomes[report.nodeid] = "diverged"
                row.divergences.append({"test": test, "reason": str(report.wasxfail)})
            return
        if report.failed:
            row.outcomes[report.nodeid] = "failed"  # a teardown error fails a passed test
        elif report.skipped and previous is None:
            row.outcomes[report.nodeid] = "skipped"
            longrepr: Any = report.longrepr
            reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
            row.skipped.append({"test": test, "reason": reason.removeprefix("Skipped: ")})
        elif report.when == "call" and report.passed and previous is None:
            row.outcomes[report.nodeid] = "passed"

    def _place(self, report: pytest.TestReport) -> str | None:
        """The row key of a contract test's report (``None`` for other tests); its backend."""
        properties = dict(report.user_properties)
        key = self.owners.get(report.nodeid)
        described = properties.get(_ROW)
        if key is None and isinstance(described, str):
            key = self._own(report.nodeid, json.loads(described))
        if key is None:
            return None
        backend = properties.get(_FIXTURE_BACKEND)
        if isinstance(backend, str):
            self.backends.setdefault(report.nodeid, backend)
        backend = properties.get("serpens_backend")  # recorded by the cell: wins
        if isinstance(backend, str):
            self.backends[report.nodeid] = backend
        return key

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Print the capability matrix and write it as JSON (once, by the controller)."""
        if hasattr(self.config, "workerinput"):  # a pytest-xdist worker: its reports go up
            return
        for nodeid, backend in self.backends.items():
            backends = self.rows[self.owners[nodeid]].backends
            if backend not in backends:
                backends.append(backend)
        for row in self.rows.values():
            row.settle()
        rows = [r for r in self.rows.values() if r.outcomes]
        if not rows:
            return
        write = terminalreporter.write_line
        terminalreporter.section("serpens contract report")
        for row in sorted(rows, key=lambda r: (r.contract, r.implementation)):
            on = f" on {', '.join(row.backends)}" if row.backends else ""
            write(
                f"{row.suite:<26} {row.implementation}{on}: {row.passed} passed, "
                f"{row.failed} failed, {len(row.skipped)} skipped, "
                f"{len(row.divergences)} known divergences"
            )
            if row.outage is not None:
                write(f"    outage: {row.outage}")
            for skip in row.skipped:
                write(f"    skipped {skip['test']}: {skip['reason']}")
            for divergence in row.divergences:
                write(f"    diverges {divergence['test']}: {divergence['reason']}")
        path = _report_path(self.config)
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {"suites": [_public(asdict(row)) for row in rows]}
        path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        write(f"contract report written to {path}")


_ROW = "serpens_contract_row"
_FIXTURE_BACKEND = "serpens_contract_backend"


def _public(row: dict[str, Any]) -> dict[str, Any]:
    row.pop("outcomes")
    return row


def _report_path(config: pytest.Config) -> Path:
    option = config.getoption("--serpens-contract-report")
    if option:
        return Path(option)
    return Path(config.rootpath) / ".serpens" / "contract-report.json"
