"""prometheus-client's multiprocess mode, chosen before prometheus_client is
imported (it reads ``PROMETHEUS_MULTIPROC_DIR`` once, at import). Used by
``gunicorn_conf.py`` in the master and by the Celery app; their children
inherit the setting."""

from __future__ import annotations

import os
from pathlib import Path

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def enable_multiprocess(directory: Path, *, clean: bool = False) -> None:
    """Count in files under ``directory`` (this process and its children).
    With ``clean``, drop the files of processes that no longer run: the
    counters of a previous start."""
    directory.mkdir(parents=True, exist_ok=True)
    if clean:
        for path in directory.glob("*.db"):
            pid = path.stem.rpartition("_")[2]
            if pid.isdigit() and not _alive(int(pid)):
                path.unlink(missing_ok=True)
    os.environ[MULTIPROC_ENV] = str(directory)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def mark_process_dead(pid: int) -> None:
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)
