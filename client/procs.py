"""Running a long subprocess (build, pip, tox) with its output relayed line
by line, so a command shows progress as it goes."""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Callable


def command_line(cmd: list[str], cwd: str | os.PathLike | None = None) -> str:
    where = f"{cwd}$ " if cwd else "$ "
    return "--> " + where + " ".join(shlex.quote(str(c)) for c in cmd)


def run_streaming(
    cmd: list[str],
    *,
    write: Callable[[str], None],
    cwd=None,
    extra_env: dict[str, str] | None = None,
) -> int:
    """Run ``cmd``, passing each output line (stdout and stderr merged) to
    ``write``; returns the exit code. A missing program is exit code 127."""
    env = None
    if extra_env:
        env = {**os.environ, **extra_env}
    try:
        proc = subprocess.Popen(
            [str(c) for c in cmd],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            bufsize=1,
        )
    except FileNotFoundError:
        write(f"{cmd[0]}: command not found")
        return 127
    assert proc.stdout is not None
    with proc.stdout:
        for line in proc.stdout:
            write(line.rstrip("\n"))
    return proc.wait()
