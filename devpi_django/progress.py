"""Progress bars of long commands (import, export, prefetch, bench data): a
tqdm bar on stderr, drawn only when stderr is a terminal, so logs and pipes
get the plain lines only; a summary line at the end in both cases."""

from __future__ import annotations

import os
import sys
import time
from typing import Protocol

from tqdm import tqdm


class Stream(Protocol):
    """What the bar and the lines are written to: a text file, or the
    OutputWrapper of a management command."""

    def write(self, s: str, /) -> object: ...

    def flush(self) -> object: ...


class Progress:
    """Counts work items; ``line`` prints a message without tearing the bar."""

    def __init__(
        self,
        desc: str,
        *,
        unit: str = "file",
        out: Stream | None = None,
        err: Stream | None = None,
        force: bool | None = None,
    ):
        self.desc = desc
        self.unit = unit
        self.out: Stream = out or sys.stdout
        # the raw stream under Django's OutputWrapper, which would end every
        # write of the bar with a newline and colour it
        self.err = getattr(err, "_out", err) or sys.stderr
        self.enabled = force if force is not None else _isatty(self.err)
        self.done = 0
        self.total: int | None = None
        self.started = time.monotonic()
        self.bar: tqdm | None = None

    def start(self, total: int | None) -> None:
        self.total = total
        self.started = time.monotonic()
        if self.enabled and self.bar is None:
            columns, lines = _size(self.err)
            self.bar = tqdm(
                total=total,
                desc=self.desc,
                unit=self.unit,
                file=self.err,
                ncols=columns,
                nrows=lines,
                leave=False,
            )

    def advance(self, n: int = 1) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)

    def line(self, text: str = "") -> None:
        if self.bar is not None:
            self.bar.clear()
        self.out.write(text + "\n")
        self.out.flush()
        if self.bar is not None:
            self.bar.refresh()

    def summary(self) -> str:
        elapsed = time.monotonic() - self.started
        of = f"/{self.total}" if self.total is not None else ""
        rate = self.done / elapsed if elapsed > 0 else 0.0
        return f"{self.desc}: {self.done}{of} {self.unit}s in {elapsed:.1f} s ({rate:,.1f}/s)"

    def close(self) -> None:
        """Take the bar off the terminal (the lines printed stay)."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def finish(self) -> str:
        """Close the bar and print the summary line (also returned)."""
        self.close()
        text = self.summary()
        self.line(text)
        return text


def _size(stream) -> tuple[int, int]:
    """The terminal's columns and lines; 80x24 where it reports none (a fresh
    pty says 0x0, and tqdm hides its bar on a terminal of 0 lines)."""
    try:
        size = os.get_terminal_size(stream.fileno())
        columns, lines = size.columns, size.lines
    except (AttributeError, OSError, ValueError):
        columns = lines = 0
    return columns or 80, lines or 24


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
