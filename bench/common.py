"""What every part of the benchmark shares: the sizes of a run, the user
the fill creates, the client failure, the progress line."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

from . import load

USER, PASSWORD = "user", "secret"
PAGE_PROJECT = "bench-page"
JSON = load.JSON_ACCEPT


class ClientError(RuntimeError):
    """pip, twine or another client failed."""


# the columns of the results: devpi-django, devpi-server with its defaults,
# and devpi-server with its PEP 658 metadata on (the client flows only)
COLUMN_LABELS = {
    "ours": "devpi-django",
    "devpi": "devpi-server",
    "devpi_meta": "devpi-server, metadata on",
}


@dataclass(frozen=True)
class Sizes:
    page_dev_files: int = 50  # bench-page on user/dev
    page_stable_files: int = 10  # bench-page on user/stable, the base of user/dev
    list_projects: int = 2000
    twine_wheels: int = 200
    pip_packages: int = 30
    mirror_packages: int = 30
    connections: int = 16
    load_seconds: float = 4  # per round
    load_rounds: int = 3  # targets take turns, round after round; medians are reported
    warmup_seconds: float = 2
    pip_repeats: int = 3
    uv_packages: int = 30  # uv through the mirror (its own upstream projects)
    concurrent_clients: int = 8
    concurrent_packages: int = 30  # each client installs all of them
    big_projects: int = 100_000
    big_files: int = 1_000_000
    small_projects: int = 100
    small_files: int = 1000
    cold_pages: int = 20
    list_repeats: int = 12


FULL = Sizes()
SMOKE = Sizes(
    page_dev_files=3,
    page_stable_files=2,
    list_projects=20,
    twine_wheels=4,
    pip_packages=2,
    mirror_packages=2,
    uv_packages=2,
    concurrent_clients=2,
    concurrent_packages=2,
    load_seconds=1,
    load_rounds=1,
    warmup_seconds=0,
    pip_repeats=1,
    big_projects=200,
    big_files=2000,
    small_projects=20,
    small_files=200,
    cold_pages=3,
    list_repeats=3,
)


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
