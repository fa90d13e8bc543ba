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
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from serpens.testing._binaries import cannot_start
from serpens.testing._common import TierUnavailableError, wait_until

__all__ = [
    "log_tail",
    "make_scratch_dir",
    "process_exited",
    "remove_tree",
    "run_as",
    "stop_process",
    "unprivileged_user",
    "wait_for_process",
]

_LOG_TAIL_CHARS = 1500

# Run by a fresh interpreter: drop to uid/gid with no supplementary groups, then exec. An
# OSError (exec refused, privileges not dropped) goes back to the caller on stderr, marked.
_EXEC_FAILED = "serpens: exec failed: "
_EXEC_FAILED_STATUS = 127
_AS_USER = f"""
import os, sys
uid, gid, argv = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
try:
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    os.execv(argv[0], argv)
except OSError as exc:
    sys.stderr.write(f"{_EXEC_FAILED}{{exc.errno}} {{exc.strerror}}")
    sys.exit({_EXEC_FAILED_STATUS})
"""


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


def run_as(
    user: pwd.struct_passwd | None, command: list[str], **options: Any
) -> subprocess.CompletedProcess[str]:
    """Run *command* to its end as *user* (this user when None); output captured as text.

    Raises the ``OSError`` (``PermissionError``, ``FileNotFoundError``...) of an exec the OS
    refused, as ``subprocess.run`` does. *options* go to ``subprocess.run``.

    Why not ``subprocess.run(user=...)``: to change user, CPython forks instead of vforking,
    and a fork runs every ``pthread_atfork`` handler of this process. gRPC (loaded by the
    Pub/Sub adapter) has such handlers, and its poller can crash the child before it execs:
    a SIGSEGV in a few of every thousand starts while a Pub/Sub client is busy. So a fresh
    interpreter, spawned with vfork (no fork handlers), drops the privileges and execs.
    """
    argv = command
    if user is not None:
        argv = [sys.executable, "-I", "-S", "-c", _AS_USER, str(user.pw_uid), str(user.pw_gid)]
        argv += command
    result = subprocess.run(  # noqa: S603 - the caller's command, or our interpreter running it
        argv, capture_output=True, text=True, check=False, **options
    )
    failed = result.returncode == _EXEC_FAILED_STATUS and result.stderr.startswith(_EXEC_FAILED)
    if user is not None and failed:
        number, _, message = result.stderr.removeprefix(_EXEC_FAILED).partition(" ")
        raise OSError(int(number), message, command[0])  # the errno's own subclass
    return result


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
