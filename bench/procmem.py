"""Memory and disk figures from /proc and the file system.

A server's memory is the sum over every process of its tree (gunicorn's
master and workers; devpi-server's single process): the peak is the sum of
each process's VmHWM (its own resident high-water mark), sampled while the
benchmark runs so that processes which exit are still counted. PSS (shared
pages split between the processes that share them) is reported alongside,
because forked workers share much of their memory.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path


def _status_kib(pid: int, key: str) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return None


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        # the command name may contain spaces and parentheses: split after the last ")"
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    return children


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants that are alive now."""
    children = _children_map()
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return [p for p in tree if os.path.exists(f"/proc/{p}")]


def pss_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


class TreeMemory:
    """Samples a process tree's memory in a background thread."""

    def __init__(self, pid: int, interval: float = 0.5):
        self.pid = pid
        self.interval = interval
        self.hwm: dict[int, int] = {}  # pid -> last VmHWM seen (KiB)
        self.peak_rss_sum = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> None:
        rss_sum = 0
        for pid in process_tree(self.pid):
            hwm = _status_kib(pid, "VmHWM")
            rss = _status_kib(pid, "VmRSS")
            if hwm is not None:
                self.hwm[pid] = max(hwm, self.hwm.get(pid, 0))
            rss_sum += rss or 0
        self.peak_rss_sum = max(self.peak_rss_sum, rss_sum)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def start(self) -> TreeMemory:
        self.sample()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sample()

    def snapshot(self) -> dict:
        """Peak (sum of VmHWM, peak sum of sampled RSS) and PSS now, in MiB."""
        self.sample()
        pids = process_tree(self.pid)
        return {
            "peak_hwm_mib": sum(self.hwm.values()) / 1024,
            "peak_rss_sum_mib": self.peak_rss_sum / 1024,
            "pss_now_mib": pss_kib(pids) / 1024,
            "processes": len(pids),
        }


def disk_usage_mib(root: Path, exclude_suffixes: tuple[str, ...] = (".log",)) -> float:
    """Space the files under ``root`` take on disk (as ``du``), logs excluded."""
    total = 0
    for dirpath, _dirnames, filenames in os.walk(root):
        for name in filenames:
            if name.endswith(exclude_suffixes):
                continue
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_blocks * 512
            except FileNotFoundError:
                continue
    return total / 1024 / 1024
