"""Processes and scratch directories of the servers the harness starts itself.

Nothing here imports an SDK.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from serpens.testing._binaries import cannot_start
from serpens.testing._common import TierUnavailableError, wait_until

__all__ = [
    "log_tail",
    "make_scratch_dir",
    "process_exited",
    "remove_tree",
    "stop_process",
    "unprivileged_user",
    "wait_for_process",
]

_LOG_TAIL_CHARS = 1500


def process_exited(process: subprocess.Popen[bytes] | None) -> bool:
    """Whether *process* is gone (never started, or exited)."""
    return process is None or process.poll() is not None


def log_tail(path: Path) -> str:
    """The last lines of the log at *path*, for an error message."""
    return path.read_text(errors="replace")[-_LOG_TAIL_CHARS:]


def wait_for_process(
    process: subprocess.Popen[bytes],
    ready: Callable[[], bool],
    what: str,
    *,
    program: str,
    timeout: float,
    log: Path,
    interval: float = 0.01,
    tier: str = "",
    binary: Path | None = None,
    output: Path | None = None,
) -> None:
    """Wait until *ready* or *process* (*program*) exits; when it exited, raise with *log*'s tail.

    *output* is where the process's own stdout/stderr went (default *log*): when the dynamic
    loader refused *binary*, the error names the *tier*, the program and the missing library.

    Raises:
        BinaryCannotStartError: the loader could not start *binary* (a missing shared library).
        RuntimeError: the process exited, or neither happened within *timeout* seconds.
    """
    wait_until(lambda: ready() or process_exited(process), timeout, what, interval)
    if process_exited(process):
        printed = log_tail(output) if output is not None and output.exists() else ""
        logged = log_tail(log) if log.exists() else ""
        if binary is not None:
            error = cannot_start(tier or "?", program, binary, f"{printed}\n{logged}")
            if error is not None:
                raise error
        raise RuntimeError(f"{program} exited at start: {(printed + logged).strip()}")


def stop_process(process: subprocess.Popen[bytes] | None, *, group: bool = False) -> None:
    """Stop *process* (its whole process group with *group*): SIGTERM, then SIGKILL after 5 s."""
    if process_exited(process):
        return
    assert process is not None  # noqa: S101 - process_exited covers None

    def send(signum: int) -> None:
        if group:
            os.killpg(process.pid, signum)
        else:
            process.send_signal(signum)

    send(signal.SIGTERM)
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        send(signal.SIGKILL)
        process.wait()


def unprivileged_user() -> pwd.struct_passwd | None:
    """Return the account servers that refuse root run as, or None when not running as root.

    Prefers ``postgres`` (owns the machine's PostgreSQL files), then ``nobody``.
    """
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise TierUnavailableError("running as root and neither user 'postgres' nor 'nobody' exists")


def make_scratch_dir(prefix: str, owner: pwd.struct_passwd | None = None) -> Path:
    """Create a private directory, on ``/dev/shm`` when available (RAM: fast, no fsync cost)."""
    shm = Path("/dev/shm")  # noqa: S108 - a private mkdtemp under tmpfs, not a fixed name
    base = shm if shm.is_dir() and os.access(shm, os.W_OK) else None
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=base))
    if owner is not None:
        os.chown(path, owner.pw_uid, owner.pw_gid)
    return path


def remove_tree(path: Path) -> None:
    """Remove *path* and everything under it, ignoring a missing path."""
    shutil.rmtree(path, ignore_errors=True)
