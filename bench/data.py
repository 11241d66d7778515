"""Set-up: the tools the run needs, the machine's facts, the generated
wheels, and the devpi API calls that fill either server alike."""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
import shutil
import subprocess
import time
from pathlib import Path

from tests.factories import make_wheel
from tests.live import REPO

from . import load
from .api import DevpiApi
from .common import PAGE_PROJECT, PASSWORD, USER, Sizes, say
from .servers import ROOT_PASSWORD, StartError, nginx_binary


def ensure_tools(log) -> None:
    """wrk and nginx from Debian's packages, installed only when missing."""
    missing = [
        pkg
        for pkg, present in (("wrk", load.wrk_binary()), ("nginx", nginx_binary()))
        if not present
    ]
    if not missing:
        return
    say(f"installing {' '.join(missing)} (apt-get)")
    prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = prefix + ["apt-get", "install", "-y", "--no-install-recommends", *missing]
    if subprocess.run(install, env=env, stdout=log, stderr=log).returncode != 0:
        subprocess.run(prefix + ["apt-get", "update"], env=env, stdout=log, stderr=log)
        if subprocess.run(install, env=env, stdout=log, stderr=log).returncode != 0:
            raise StartError(f"apt-get install {' '.join(missing)} failed, see {log.name}")
    if load.wrk_binary() is None or nginx_binary() is None:
        raise StartError("wrk or nginx still missing after apt-get install")


def machine_facts() -> dict:
    cpu = ""
    try:
        cpu = next(
            (
                ln.split(":", 1)[1].strip()
                for ln in open("/proc/cpuinfo")
                if ln.startswith("model name")
            ),
            "",
        )
    except OSError:
        pass
    free = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout
    mem = next((ln.split()[1] for ln in free.splitlines() if ln.startswith("Mem:")), "?")
    version = re.search(
        r'__version__ = "([^"]+)"', (REPO / "devpi_django" / "__init__.py").read_text()
    )
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()  # read-only
    return {
        "date": dt.date.today().isoformat(),
        "nproc": os.cpu_count(),
        "memory": mem,
        "commit": commit or "?",
        "loadavg_at_start": round(os.getloadavg()[0], 2),
        "cpu": cpu,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "devpi_django": version.group(1) if version else "?",
    }


def make_data(root: Path, sizes: Sizes) -> dict:
    """The generated wheels: (path, name, version) per group."""
    data: dict[str, list] = {}

    def wheels(group, names_versions):
        data[group] = [
            (make_wheel(root / group / f"{n}-{v}", n, v), n, v) for n, v in names_versions
        ]

    wheels("stable", [(PAGE_PROJECT, f"0.{i}") for i in range(sizes.page_stable_files)])
    wheels("dev", [(PAGE_PROJECT, f"1.{i}") for i in range(sizes.page_dev_files)])
    wheels("many", [(f"many-{i:04d}", "1.0") for i in range(sizes.list_projects)])
    wheels("dl", [(f"dl-{i:02d}", "1.0") for i in range(sizes.pip_packages)])
    wheels("twine", [(f"up-{i:03d}", "1.0") for i in range(sizes.twine_wheels)])
    floor = root / "floor"
    floor.mkdir()
    for path, _n, _v in data["dl"]:
        shutil.copy(path, floor / path.name)
    return data


def fill(
    api: DevpiApi,
    data: dict,
    root_mirror: str | None,
    *,
    mirror_config: dict | None = None,
    only_client_flows: bool = False,
) -> float:
    """The same API calls on either server; returns seconds taken.
    ``root_mirror``: create root/pypi as a mirror of it (devpi-server, which
    was initialised without root/pypi), with ``mirror_config`` added to its
    configuration; devpi-django's devpi_init made it. ``only_client_flows``:
    only what pip and uv ask for (not the 2,000-project index)."""
    started = time.monotonic()
    if root_mirror:
        api.login("root", ROOT_PASSWORD)
        api.create_index(
            "root/pypi", type="mirror", mirror_url=root_mirror, **(mirror_config or {})
        )
    api.create_user(USER, PASSWORD)
    api.login(USER, PASSWORD)
    api.create_index(f"{USER}/stable", bases=[])
    api.create_index(f"{USER}/dev", bases=[f"{USER}/stable", "root/pypi"])
    api.create_index(f"{USER}/many", bases=[])
    api.create_index(f"{USER}/upload", bases=[])
    api.upload_many(f"{USER}/stable", data["stable"] + data["dl"])
    api.upload_many(f"{USER}/dev", data["dev"])
    if not only_client_flows:
        api.upload_many(f"{USER}/many", data["many"])
    return time.monotonic() - started
