"""The processes and scratch directories of the servers the harness starts itself.

``serpens.testing._process``: a private scratch directory in RAM where there is one, a
server that exits at start reported with its output and log (or as the binary the loader
refused), a server that ignores SIGTERM killed after 5 s, and the unprivileged account a
root test run starts servers as. Every process here is a real one.
"""

from __future__ import annotations

import os
import pwd
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from serpens.testing._binaries import BinaryCannotStartError
from serpens.testing._process import (
    log_tail,
    make_scratch_dir,
    remove_tree,
    run_as,
    stop_process,
    unprivileged_user,
    wait_for_process,
)


def _python(code: str, **options: object) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", code], **options)  # type: ignore[call-overload, no-any-return]


def test_a_scratch_directory_is_private_and_in_ram_where_it_can_be() -> None:
    shm = Path("/dev/shm")
    expected = shm if shm.is_dir() and os.access(shm, os.W_OK) else Path(tempfile.gettempdir())
    path = make_scratch_dir("serpens-scratch-test-")
    try:
        assert path.parent == expected
        assert path.name.startswith("serpens-scratch-test-")
        assert path.stat().st_mode & 0o777 == 0o700
        assert path.stat().st_uid == os.geteuid()
    finally:
        remove_tree(path)
    assert not path.exists()
    remove_tree(path)  # already gone: nothing to do


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a directory away")
def test_a_scratch_directory_can_belong_to_another_user() -> None:
    nobody = pwd.getpwnam("nobody")
    path = make_scratch_dir("serpens-scratch-test-", nobody)
    try:
        assert (path.stat().st_uid, path.stat().st_gid) == (nobody.pw_uid, nobody.pw_gid)
    finally:
        remove_tree(path)


def test_the_account_servers_run_as_under_root() -> None:
    user = unprivileged_user()
    if os.geteuid() != 0:
        assert user is None
        return
    try:
        expected = pwd.getpwnam("postgres")  # the machine's PostgreSQL account comes first
    except KeyError:
        expected = pwd.getpwnam("nobody")
    assert user == expected


def test_a_command_runs_with_the_options_given(tmp_path: Path) -> None:
    result = run_as(None, [sys.executable, "-c", "import os; print(os.getcwd())"], cwd=tmp_path)
    assert (result.returncode, result.stdout.strip()) == (0, str(tmp_path))


def test_a_log_tail_is_its_last_1500_characters_whatever_the_bytes(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    log.write_bytes(b"start\xff\xfe\n" + b"x" * 2000 + b"\nFATAL: no\xe9 way\n")
    tail = log_tail(log)
    assert len(tail) == 1500
    assert tail.endswith("\nFATAL: no\ufffd way\n")


def test_a_server_that_exits_at_start_is_reported_with_its_output_and_log(
    tmp_path: Path,
) -> None:
    output, log = tmp_path / "output", tmp_path / "server.log"
    log.write_text("FATAL: lock file exists\n")
    with output.open("wb") as sink:
        process = _python("print('starting'); raise SystemExit(3)", stdout=sink)
        with pytest.raises(RuntimeError) as raised:
            wait_for_process(
                process, lambda: False, "the server", program="thing", timeout=10, log=log,
                output=output,
            )  # fmt: skip
    assert str(raised.value) == "thing exited at start: starting\nFATAL: lock file exists"
    log.unlink()  # neither the output nor the log: the message says only that
    process = _python("raise SystemExit(3)")
    with pytest.raises(RuntimeError) as raised:
        wait_for_process(process, lambda: False, "x", program="thing", timeout=10, log=log)
    assert str(raised.value) == "thing exited at start: "


def test_a_binary_the_loader_refused_names_its_tier_and_library(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    refusal = "error while loading shared libraries: libssl.so.3: cannot open shared object"
    code = f"import sys; sys.stderr.write('thing: {refusal} file\\n'); raise SystemExit(127)"
    with log.open("wb") as sink:
        process = _python(code, stderr=sink)
        with pytest.raises(BinaryCannotStartError) as raised:
            wait_for_process(
                process, lambda: False, "x", program="thing", timeout=10, log=log,
                binary=tmp_path / "thing",
            )  # fmt: skip
    assert str(raised.value).startswith(
        f"the ? tier's thing ({tmp_path / 'thing'}) cannot start: missing shared library "
        "libssl.so.3 (cannot open shared object file; looked in "
    )


def test_a_ready_server_is_seen_at_once(tmp_path: Path) -> None:
    process = _python("import time; time.sleep(30)")
    try:
        ready_at = time.monotonic() + 0.05
        started = time.monotonic()
        wait_for_process(
            process, lambda: time.monotonic() >= ready_at, "x", program="thing", timeout=10,
            log=tmp_path / "log",
        )  # fmt: skip
        assert time.monotonic() - started < 0.5  # polled every 10 ms
    finally:
        stop_process(process)
    assert process.returncode == -signal.SIGTERM


def test_a_server_that_ignores_sigterm_is_killed_after_5_s(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    code = (
        "import pathlib, signal, sys, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "pathlib.Path(sys.argv[1]).touch()\n"
        "time.sleep(60)\n"
    )
    process = subprocess.Popen([sys.executable, "-c", code, str(ready)])
    try:
        deadline = time.monotonic() + 10
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        started = time.monotonic()
        stop_process(process)
        assert 4.5 <= time.monotonic() - started < 15
        assert process.returncode == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
