"""The seeds' quickstart and user-manual flows through ``python manage.py
devpi ...`` subprocesses against a real server (gunicorn), step by step:
the same data dir and database as the server, pip and tox over HTTP.

The server's ``root/pypi`` mirrors a local upstream on 127.0.0.1 that serves
a small library and setuptools (virtualenv's bundled wheel), so pip inside
tox can build the sdist under test without leaving the machine.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from .factories import make_project_tree
from .live import REPO, client_env, start_server
from .upstream import start_upstream

pytestmark = pytest.mark.live

TOX_INI = """[tox]
envlist = py
[testenv]
commands = python -m unittest discover -s {toxinidir}/tests -v
"""
PASSING = "import unittest\n\nclass T(unittest.TestCase):\n    def test_ok(self):\n        pass\n"


def bundled_wheels() -> list[Path]:
    """setuptools as virtualenv bundles it (tox's virtualenv is installed with tox)."""
    try:
        from virtualenv.seed.wheels.embed import BUNDLE_FOLDER, BUNDLE_SUPPORT
    except ImportError:
        return []
    support = BUNDLE_SUPPORT.get(f"{sys.version_info[0]}.{sys.version_info[1]}", {})
    return [Path(BUNDLE_FOLDER) / support["setuptools"]] if "setuptools" in support else []


@pytest.fixture(scope="module")
def upstream(tmp_path_factory):
    up = start_upstream(tmp_path_factory.mktemp("upstream"))
    up.add("helperlib", "1.0")
    for wheel in bundled_wheels():
        up.projects.setdefault(canonicalize_name(wheel.name.split("-")[0]), []).append(wheel)
    try:
        yield up
    finally:
        up.stop()


@pytest.fixture(scope="module")
def server(upstream):
    s, cleanup = start_server(extra_env={"DEVPI_MIRROR_URL": upstream.url})
    try:
        yield s
    finally:
        cleanup()


class Manage:
    """``python manage.py devpi ...`` with the server's environment."""

    def __init__(self, server, home: Path, cwd: Path):
        env = client_env(home, VIRTUALENV_NO_PERIODIC_UPDATE="1")
        env.update(
            {
                k: v
                for k, v in server.env.items()
                if k.startswith("DEVPI_") or k in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
            }
        )
        self.env, self.cwd = env, cwd

    def __call__(
        self, *args, as_: str | None = None, check: bool = True, cwd=None, stdin: str | None = None
    ) -> subprocess.CompletedProcess:
        cmd = [sys.executable, str(REPO / "manage.py"), "devpi"]
        if as_:
            cmd += ["--as", as_]
        cmd += [str(a) for a in args]
        proc = subprocess.run(
            cmd,
            env=self.env,
            cwd=cwd or self.cwd,
            capture_output=True,
            text=True,
            timeout=900,
            input=stdin,
        )
        assert "Traceback" not in proc.stderr, proc.stderr
        if check and proc.returncode != 0:
            raise AssertionError(
                f"devpi {' '.join(map(str, args))} failed "
                f"({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
            )
        return proc

    def fails(self, *args, **kwargs) -> str:
        """Run a step that must fail: non-zero exit, one line on stderr."""
        proc = self(*args, check=False, **kwargs)
        assert proc.returncode != 0, proc.stdout
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1, proc.stderr
        return lines[0]


@pytest.fixture
def devpi(server, tmp_path):
    return Manage(server, tmp_path / "home", tmp_path)


def urls(proc: subprocess.CompletedProcess) -> list[str]:
    return [line for line in proc.stdout.splitlines() if line.startswith("http")]


def lines_under(proc: subprocess.CompletedProcess, url: str) -> str:
    """The lines printed under a file's URL (its tox results), up to the next URL."""
    lines = proc.stdout.splitlines()
    result = []
    for line in lines[lines.index(url) + 1 :]:
        if line.startswith("http"):
            break
        result.append(line)
    return "\n".join(result)


def passed_line(proc: subprocess.CompletedProcess, url: str) -> bool:
    """Whether a tox result line of the ``py`` environment says "tests passed"
    under ``url`` (devpi-client's "HOST PLATFORM ENV PYVERSION tests passed")."""
    return any(
        line.split()[2:3] == ["py"] and line.endswith(" tests passed")
        for line in lines_under(proc, url).splitlines()
    )


def project(tmp_path: Path, name: str, version: str) -> Path:
    tree = make_project_tree(tmp_path / f"{name}-{version}", name, version, test_body=PASSING)
    (tree / "tox.ini").write_text(TOX_INI)
    (tree / "MANIFEST.in").write_text("include tox.ini\nrecursive-include tests *.py\n")
    return tree


def build_sdist(tree: Path, outdir: Path, env: dict) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--no-isolation",
            "--sdist",
            "--outdir",
            str(outdir),
            str(tree),
        ],
        env=env,
        check=True,
        capture_output=True,
    )


def site_packages(venv: Path) -> Path:
    (found,) = (venv / "lib").glob("python*/site-packages")
    return found


def test_quickstart_flow(server, devpi, tmp_path, unique):
    s, user = server, f"testuser{unique}"
    dev, staging = f"{user}/dev", f"{user}/staging"
    example = f"example{unique}"

    out = devpi("quickstart", "--user", user, "--password=").stdout
    assert f"user created: {user}" in out
    assert f"{s.url}/{dev}:" in out and "  bases=root/pypi" in out
    assert f"current devpi index: {s.url}/{dev} " in out
    assert f"current devpi index: {s.url}/{dev} " in devpi("use").stdout

    # a package of the mirrored upstream, installed through dev's root/pypi base
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    out = devpi("install", "--venv", venv, "helperlib", as_=user).stdout
    assert f"{s.url.replace('://', f'://{user}:****@')}/{dev}/+simple/" in out  # token hidden
    assert (site_packages(venv) / "helperlib").is_dir()

    # upload builds an sdist and a wheel of the project in the current directory
    tree = project(tmp_path, example, "1.0")
    out = devpi("upload", as_=user, cwd=tree).stdout
    assert out.count("file_upload of") == 2, out
    listed = urls(devpi("list", example))
    assert len(listed) == 2 and all(u.startswith(f"{s.url}/{dev}/+f/") for u in listed)
    sdist_url = next(u for u in listed if u.endswith(".tar.gz"))
    devpi("install", "--venv", venv, example, as_=user)
    assert (site_packages(venv) / example).is_dir()

    # test: tox runs the sdist against the index, the report lands on the file
    out = devpi("test", example, as_=user).stdout
    assert f"received {sdist_url}" in out
    assert "successfully posted tox result data" in out, out[-3000:]
    assert passed_line(devpi("list", "-t", example), sdist_url)

    # a non-volatile staging index, and a push of the release to it
    assert "volatile=False" in devpi("index", "-c", "staging", "volatile=False", as_=user).stdout
    out = devpi("push", f"{example}==1.0", staging, as_=user).stdout
    assert f"200 register {example} 1.0 -> {staging}" in out
    assert out.count("store_releasefile") == 2
    devpi("use", staging)
    listing = devpi("list", "-t", example)
    staged = urls(listing)
    assert len(staged) == 2 and all(u.startswith(f"{s.url}/{staging}/+f/") for u in staged)
    staged_sdist = next(u for u in staged if u.endswith(".tar.gz"))
    assert passed_line(listing, staged_sdist)  # still there after the push

    # push to an external repository named in a .pypirc (another index here)
    assert devpi.fails("push", f"{example}==1.0", "pypi:testrun", as_=user).endswith(
        f"no pypirc file found at: {tmp_path / 'home' / '.pypirc'}"
    )
    devpi("index", "-c", "external", as_=user)
    pypirc = tmp_path / "pypirc"
    pypirc.write_text(
        f"[testrun]\nrepository = {s.url}/{user}/external/\nusername = {user}\npassword =\n"
    )
    out = devpi("push", f"{example}==1.0", "pypi:testrun", "--pypirc", pypirc, as_=user).stdout
    assert f"using pypirc {pypirc}" in out
    external = urls(devpi("list", "--index", f"{user}/external", example))
    assert len(external) == 2 and all(f"/{user}/external/+f/" in u for u in external)

    # dev inherits from staging: both copies are listed, dev's first
    out = devpi("index", dev, f"bases={staging}", as_=user).stdout
    assert f"/{dev} bases={staging}" in out and f"  bases={staging}" in out
    devpi("use", dev)
    assert urls(devpi("list", example)) == listed + staged

    # removing the release on dev leaves staging's visible through inheritance
    out = devpi("remove", "-y", example, as_=user).stdout
    assert "Are you sure (yes/no)? yes (autoset from -y option)" in out
    assert f"deleting release 1.0 of {canonicalize_name(example)}" in out
    assert urls(devpi("list", example)) == staged

    # staging is non-volatile: removal refused, and nothing removed
    error = devpi.fails("remove", "-y", "--index", staging, f"{example}==1.0", as_=user)
    assert "non-volatile" in error
    assert urls(devpi("list", example)) == staged


def test_user_manual_flow(server, devpi, tmp_path, unique):
    s = server
    emilie, sophie = f"emilie{unique}", f"sophie{unique}"
    pysober = f"pysober{unique}"
    assert (
        f"user created: {emilie}"
        in devpi("user", "-c", emilie, "password=1234", f"email={emilie}@example.com").stdout
    )
    devpi("user", "-c", sophie, "password=1234")
    users = devpi("user", "-l").stdout.split()
    assert emilie in users and sophie in users

    devpi("index", "-c", "prod", "volatile=False", as_=emilie)
    devpi("index", "-c", "dev", f"bases={emilie}/prod", as_=emilie)
    devpi("use", f"{emilie}/dev")

    # two versions uploaded from the project directory (sdists, as the manual)
    tree = project(tmp_path, pysober, "0.1.0")
    devpi("upload", "--sdist", as_=emilie, cwd=tree)
    (first,) = urls(devpi("list", pysober))
    assert first.startswith(f"{s.url}/{emilie}/dev/+f/") and first.endswith("-0.1.0.tar.gz")
    tree2 = project(tmp_path, pysober, "0.2.0")
    devpi("upload", "--sdist", as_=emilie, cwd=tree2)
    newer, older = urls(devpi("list", pysober))
    assert newer.endswith("-0.2.0.tar.gz") and older == first

    # remove one version, then the whole project
    out = devpi("remove", "-y", f"{pysober}==0.2.0", as_=emilie).stdout
    assert f"version: 0.2.0\n  - {newer}" in out
    assert f"deleting release 0.2.0 of {pysober}" in out
    assert urls(devpi("list", pysober)) == [first]
    devpi("remove", "-y", pysober, as_=emilie)
    assert "does not exist" in devpi.fails("list", pysober)

    # upload --from-dir: with --only-latest only 0.2.0 of the two sdists
    dist = tmp_path / "dist"
    build_sdist(tree, dist, devpi.env)
    build_sdist(tree2, dist, devpi.env)
    out = devpi("upload", "--from-dir", "--only-latest", dist, as_=emilie).stdout
    assert out.count("file_upload of") == 1 and "-0.2.0.tar.gz" in out
    (restored,) = urls(devpi("list", pysober))
    assert restored.endswith("-0.2.0.tar.gz")

    # push to emilie/prod; the project shows on dev and prod
    out = devpi("push", f"{pysober}==0.2.0", f"{emilie}/prod", as_=emilie).stdout
    assert f"200 register {pysober} 0.2.0 -> {emilie}/prod" in out
    assert pysober in devpi("list").stdout.split()
    assert pysober in devpi("list", "--index", f"{emilie}/prod").stdout.split()

    # sophie: her own indexes, at first without emilie's release
    devpi("index", "-c", "prod", as_=sophie)
    devpi("index", "-c", "dev", as_=sophie)
    devpi("use", f"/{sophie}/dev")
    assert "does not exist" in devpi.fails("list", pysober)
    out = devpi(
        "index", f"/{sophie}/dev", f"bases=/{emilie}/prod,/{sophie}/prod", as_=sophie
    ).stdout
    assert f"  bases={emilie}/prod,{sophie}/prod" in out
    (prod_file,) = urls(devpi("list", pysober))
    assert prod_file.startswith(f"{s.url}/{emilie}/prod/+f/")

    # she can't remove what lives on emilie's index
    error = devpi.fails("remove", "-y", f"{pysober}==0.2.0", as_=sophie)
    assert "No releases or distributions found matching" in error
    assert urls(devpi("list", pysober)) == [prod_file]

    # her own 0.2.1 next to the inherited 0.2.0
    tree3 = project(tmp_path, pysober, "0.2.1")
    devpi("upload", "--sdist", as_=sophie, cwd=tree3)
    mine, inherited = urls(devpi("list", pysober))
    assert mine.startswith(f"{s.url}/{sophie}/dev/+f/") and mine.endswith("-0.2.1.tar.gz")
    assert inherited == prod_file

    # pushing to emilie's prod needs upload rights there
    error = devpi.fails("push", f"{pysober}==0.2.1", f"{emilie}/prod", as_=sophie)
    assert emilie in error and "prod" in error
    assert urls(devpi("list", "--index", f"{emilie}/prod", pysober)) == [prod_file]

    # from emilie's prod she can push 0.2.0 to her own dev
    devpi("use", f"/{emilie}/prod")
    out = devpi("push", f"{pysober}==0.2.0", f"{sophie}/dev", as_=sophie).stdout
    assert f"200 register {pysober} 0.2.0 -> {sophie}/dev" in out
    devpi("use", f"/{sophie}/dev")
    mine, own_copy, inherited = urls(devpi("list", pysober))
    assert own_copy.startswith(f"{s.url}/{sophie}/dev/+f/") and own_copy.endswith("-0.2.0.tar.gz")
    assert inherited == prod_file

    # now the removal of 0.2.0 works, on her index only
    out = devpi("remove", "-y", f"{pysober}==0.2.0", as_=sophie).stdout
    assert f"  - {own_copy}" in out and f"deleting release 0.2.0 of {pysober}" in out
    assert urls(devpi("list", pysober)) == [mine, prod_file]

    # getjson shows the index as devpi's JSON API does
    out = devpi("getjson", f"/{sophie}/dev").stdout
    assert '"type": "indexconfig"' in out and f'"{emilie}/prod"' in out
