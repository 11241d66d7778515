"""Issue 12 with the real clients against a running server (gunicorn):

- pip and uv read a private index (acl_read) and a public child of a private
  base only with credentials (URL credentials and netrc, which they send
  after the 401 challenge), and are refused without them or as a non-reader;
- pip cannot install a project quarantined (PEP 792) on the mirror through
  a stage index over it; the markers are read by pypi-simple.
"""

from __future__ import annotations

import sys

import pytest
import requests
from pypi_simple import ACCEPT_JSON_ONLY, ProjectStatus, PyPISimple

from .clients import pip_download, run, twine, uv_install
from .factories import make_wheel

pytestmark = pytest.mark.live
PY = sys.executable


def with_credentials(url: str, user: str, password: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{user}:{password}@{rest}"


@pytest.fixture
def private(live_server_proc, unique, tmp_path, clients_env):
    """``owner/private`` (acl_read=owner) with a wheel; ``other/child``, a public
    index over it with its own wheel; ``reader`` in the ACL."""
    s = live_server_proc
    owner, other, reader = f"own{unique}", f"oth{unique}", f"rd{unique}"
    for user in (owner, other, reader):
        s.create_user(user)
    s.create_index(owner, "private", acl_read=f"{owner},{reader}")
    s.create_index(other, "child", bases=f"{owner}/private", acl_upload=other)
    names = {"secret": f"secret-{unique}", "childpkg": f"childpkg-{unique}"}
    for index, user, name in (
        (f"{owner}/private", owner, names["secret"]),
        (f"{other}/child", other, names["childpkg"]),
    ):
        wheel = make_wheel(tmp_path / name, name, "1.0")
        twine(clients_env, f"{s.url}/{index}/", [wheel], user, "secret")
    return owner, other, reader, names


def test_pip_and_uv_read_private_indexes_only_with_credentials(
    live_server_proc, private, tmp_path, clients_env
):
    s = live_server_proc
    owner, other, reader, names = private
    python = tmp_path / "venv" / "bin" / "python"
    run([PY, "-m", "venv", "--without-pip", tmp_path / "venv"], clients_env)
    cases = [
        (f"{s.url}/{owner}/private/+simple/", names["secret"]),
        (f"{s.url}/{owner}/private", names["secret"]),  # the plain index URL
        (f"{s.url}/{other}/child/+simple/", names["childpkg"]),  # public child, private base
        (f"{s.url}/{other}/child", names["secret"]),
    ]
    for n, (index_url, name) in enumerate(cases):
        # anonymous: refused with a challenge, nothing downloaded
        r = requests.get(index_url, headers={"User-Agent": "pip/26.0"}, timeout=30)
        assert r.status_code == 401 and r.headers["WWW-Authenticate"] == 'Basic realm="devpi"'
        got = pip_download(clients_env, index_url, name, dest=tmp_path / f"anon{n}", check=False)
        assert got.returncode != 0 and "No matching distribution" in got.stderr, got.stderr
        assert not (tmp_path / f"anon{n}").exists() or not any((tmp_path / f"anon{n}").iterdir())
        assert uv_install(clients_env, python, index_url, name, check=False).returncode != 0
        # the child's owner may not read the private base: 403
        denied = pip_download(
            clients_env,
            with_credentials(index_url, other, "secret"),
            name,
            dest=tmp_path / f"other{n}",
            check=False,
        )
        assert denied.returncode != 0, denied.stdout
        r = requests.get(
            index_url, auth=(other, "secret"), headers={"User-Agent": "pip/26.0"}, timeout=30
        )
        assert r.status_code == 403
        # a reader: URL credentials for pip, the same for uv
        pip_download(
            clients_env,
            with_credentials(index_url, reader, "secret"),
            name,
            dest=tmp_path / f"reader{n}",
        )
        files = [p.name for p in (tmp_path / f"reader{n}").iterdir()]
        assert files == [f"{name.replace('-', '_')}-1.0-py3-none-any.whl"]
        uv_install(clients_env, python, with_credentials(index_url, owner, "secret"), name)
    # netrc: pip and uv answer the 401 challenge with it
    netrc = tmp_path / "home" / ".netrc"
    netrc.write_text(f"machine 127.0.0.1\nlogin {reader}\npassword secret\n")
    netrc.chmod(0o600)
    env = dict(clients_env, NETRC=str(netrc))
    pip_download(env, f"{s.url}/{owner}/private/+simple/", names["secret"], dest=tmp_path / "netrc")
    assert len(list((tmp_path / "netrc").iterdir())) == 1
    uv_install(env, python, f"{s.url}/{other}/child", names["childpkg"])


def test_quarantine_on_the_mirror_blocks_pip_through_a_stage(
    live_server_proc, upstream, unique, tmp_path, clients_env
):
    s = live_server_proc
    user = f"q{unique}"
    s.create_mirror_user(user, upstream.url)
    name = f"evil-{unique}"
    upstream.add(name, "1.0")
    stage_url = f"{s.url}/{user}/dev/+simple/"
    pip_download(clients_env, stage_url, name, dest=tmp_path / "before")  # installable, cached
    json_accept = {"Accept": "application/vnd.pypi.simple.v1+json"}
    (link,) = requests.get(f"{stage_url}{name}/", headers=json_accept, timeout=30).json()["files"]
    file_url = requests.compat.urljoin(f"{stage_url}{name}/", link["url"])
    assert requests.get(file_url, timeout=30).status_code == 200
    root = ("root", "root-secret")
    r = s.api("PATCH", f"/{user}/upstream/{name}", {"status": "quarantined"}, auth=(user, "secret"))
    assert r.status_code == 403, r.text  # a mirror: root only
    r = s.api(
        "PATCH",
        f"/{user}/upstream/{name}",
        {"status": "quarantined", "reason": "malware found"},
        auth=root,
    )
    assert r.status_code == 200, r.text
    hits = upstream.hits(name)
    got = pip_download(clients_env, stage_url, name, dest=tmp_path / "after", check=False)
    assert got.returncode != 0
    assert "No matching distribution" in got.stderr, got.stderr
    assert not (tmp_path / "after").exists() or not any((tmp_path / "after").iterdir())
    python = tmp_path / "venv" / "bin" / "python"
    run([PY, "-m", "venv", "--without-pip", tmp_path / "venv"], clients_env)
    assert uv_install(clients_env, python, f"{s.url}/{user}/dev", name, check=False).returncode != 0
    # the file URL pip had used is refused; the mirror's own page lists nothing
    refused = requests.get(file_url, timeout=30)
    assert refused.status_code == 403 and "quarantined" in refused.reason
    page = requests.get(f"{s.url}/{user}/upstream/+simple/{name}/", headers=json_accept, timeout=30)
    assert page.json()["files"] == []
    assert page.json()["project-status"] == {"status": "quarantined", "reason": "malware found"}
    listing = PyPISimple(f"{s.url}/{user}/dev/+simple/")
    with listing:
        for accept in (None, ACCEPT_JSON_ONLY):
            kwargs = {"accept": accept} if accept else {}
            project = listing.get_project_page(name, **kwargs)
            assert project.status is ProjectStatus.QUARANTINED
            assert project.status_reason == "malware found"
            assert project.packages == []
    assert upstream.hits(name) == hits  # the quarantine asked the upstream nothing
    # the stage's owner deprecates a project of its own: pypi-simple reads that too
    wheel = make_wheel(tmp_path / "own", f"own-{unique}", "1.0")
    twine(clients_env, f"{s.url}/{user}/dev/", [wheel], user, "secret")
    r = s.api(
        "PATCH",
        f"/{user}/dev/own-{unique}",
        {"status": "archived", "reason": "done"},
        auth=(user, "secret"),
    )
    assert r.status_code == 200, r.text
    with PyPISimple(f"{s.url}/{user}/dev/+simple/") as client:
        project = client.get_project_page(f"own-{unique}")
    assert project.status is ProjectStatus.ARCHIVED and project.status_reason == "done"
    assert [p.filename for p in project.packages] == [wheel.name]
    refused = twine(
        clients_env,
        f"{s.url}/{user}/dev/",
        [make_wheel(tmp_path / "own2", f"own-{unique}", "2.0")],
        user,
        "secret",
        check=False,
    )
    assert refused.returncode != 0 and "archived" in refused.stdout + refused.stderr
