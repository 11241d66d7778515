"""What a verb of ``manage.py devpi`` talks to: the parsed options, the
acting user (``--as``, default root), output lines and devpi-client's
confirmation dialogue. And ``Verb``, the shape every verb module registers."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

from indexes import selectors

PROG = "manage.py devpi"


class Console:
    """The command's streams and options, as one object the verbs write to."""

    def __init__(self, options: dict[str, Any], *, stdout: Any, stderr: Any) -> None:
        self.options = options
        self.stdout = stdout  # Django's OutputWrapper
        self.stderr = stderr

    def actor(self) -> Any:
        """The acting user (``--as``, default root)."""
        return selectors.user_get(self.options.get("acting_user") or "root")

    def line(self, text: str = "") -> None:
        self.stdout.write(text)
        self.stdout.flush()

    def warn(self, text: str) -> None:
        self.stderr.write(text)

    def confirm(self, question: str) -> bool:
        prompt = f"{question} (yes/no)? "
        if self.options.get("yes"):
            self.line(prompt + "yes (autoset from -y option)")
            return True
        stdin: TextIO = self.options.get("stdin") or sys.stdin
        while True:
            self.stdout.write(prompt, ending="")
            self.stdout.flush()
            answer = stdin.readline()
            if not answer:  # end of input: nobody said yes
                self.line()
                return False
            if answer.strip() in ("yes", "no"):
                return answer.strip() == "yes"
            self.warn(f"not a valid choice {answer.strip()!r}")

    def confirmed_delete(self, url: str, done: str, delete: Callable[[], object]) -> None:
        """devpi-client's removal dialogue: name it, ask (or -y), act."""
        self.line(f"About to remove: {url}")
        if self.confirm("Are you sure"):
            delete()
            self.line(done)
        else:
            self.warn("not deleting anything")


@dataclass(frozen=True)
class Verb:
    """One verb: its name, the one-line summary of ``manage.py devpi --help``,
    the description of ``manage.py devpi VERB --help``, what adds its
    arguments and what runs it."""

    name: str
    summary: str
    description: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[Console, dict[str, Any]], None]
