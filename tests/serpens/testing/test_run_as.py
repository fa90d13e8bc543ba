"""``run_as``: the harness runs servers that refuse root as another user, without forking.

A fork runs the process's ``pthread_atfork`` handlers, and gRPC's can crash the child before
it execs; these tests arm a handler that aborts every forked child, so a fork shows at once.
"""

from __future__ import annotations

import os
import pwd
import subprocess
import sys
import textwrap
from collections.abc import Callable

import pytest

from serpens.testing._process import make_scratch_dir, remove_tree, run_as, unprivileged_user


@pytest.fixture
def user(tier_note: Callable[[str], None]) -> pwd.struct_passwd:
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid()).pw_name
        reason = f"run_as to another user: NOT checked, the tests run as {me!r}, not root"
        tier_note(reason)
        pytest.skip(reason)
    found = unprivileged_user()
    assert found is not None
    return found


def test_the_command_runs_as_the_user_with_no_supplementary_groups(
    user: pwd.struct_passwd,
) -> None:
    result = run_as(user, ["/usr/bin/id", "-u"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(user.pw_uid)
    groups = run_as(user, ["/usr/bin/id", "-G"])
    assert groups.stdout.split() == [str(user.pw_gid)]


def test_no_fork_handler_of_the_calling_process_runs(user: pwd.struct_passwd) -> None:
    script = textwrap.dedent(
        """
        import ctypes, pwd, subprocess, sys
        from serpens.testing._process import run_as
        libc = ctypes.CDLL(None)
        abort = ctypes.cast(libc.abort, ctypes.c_void_p)
        # every forked child aborts, as a crashing gRPC poller would (glibc keeps
        # pthread_atfork in a static stub over __register_atfork; musl exports it)
        if hasattr(libc, "pthread_atfork"):
            libc.pthread_atfork(None, None, abort)
        else:
            libc.__register_atfork(None, None, abort, None)
        user = pwd.getpwnam(sys.argv[1])
        forked = subprocess.run(["/bin/true"], user=user.pw_uid, check=False)
        ours = run_as(user, ["/usr/bin/id", "-u"])
        print(forked.returncode, ours.returncode, ours.stdout.strip())
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script, user.pw_name],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    forked, ours, uid = result.stdout.split()
    assert int(forked) < 0, "the armed handler did not kill a forked child: the test proves nothing"
    assert (int(ours), uid) == (0, str(user.pw_uid))


def test_an_exec_the_os_refuses_raises_its_oserror(user: pwd.struct_passwd) -> None:
    base = make_scratch_dir("serpens-run-as-", user)  # a directory the user can enter
    try:
        with pytest.raises(FileNotFoundError, match="No such file") as missing:
            run_as(user, [str(base / "absent")])
        assert missing.value.filename == str(base / "absent")
        private = base / "private"
        private.mkdir(mode=0o700)
        private.chmod(0o700)
        script = private / "hello"
        script.write_text("#!/bin/sh\necho hello\n")
        script.chmod(0o755)
        assert run_as(None, [str(script)]).stdout == "hello\n"
        with pytest.raises(PermissionError, match="Permission denied"):
            run_as(user, [str(script)])
    finally:
        remove_tree(base)


def test_a_command_exiting_127_on_its_own_is_its_result(user: pwd.struct_passwd) -> None:
    result = run_as(user, ["/bin/sh", "-c", "echo not found >&2; exit 127"])
    assert (result.returncode, result.stderr) == (127, "not found\n")
