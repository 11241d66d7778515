"""devpi-export's directory format: reader, writer and mapping on small
hand-made export trees, and import/export against the database."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from argon2 import exceptions as argon2_exceptions
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.core.management import CommandError, call_command

from importexport import attachments, layout, mapping
from importexport.errors import ImportExportError
from importexport.exporter import devpi_export
from importexport.importer import devpi_import
from importexport.reader import NotAnExport, member_path, read_export
from importexport.writer import ExportWriter
from indexes.models import Index, Project, Release, ReleaseFile, RemovedFile, ServerState
from indexes.storage import blob_key, blob_storage
from tests.factories import make_sdist, make_wheel

FAST_ARGON2 = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "indexes.hashers.DevpiArgon2PasswordHasher",
    "indexes.hashers.DevpiSaltedSHA256PasswordHasher",
]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Tree:
    """A hand-made devpi-export directory."""

    def __init__(self, path: Path, dumpversion: str = "2"):
        self.path = path
        self.data: dict[str, Any] = {
            "dumpversion": dumpversion,
            "pythonversion": [3, 11, 7, "final", 0],
            "devpi_server": "6.20.3",
            "users": {},
            "indexes": {},
        }

    def user(self, name: str, password: str | None = None, **config) -> dict:
        entry = {"username": name, "created": "2020-01-02T03:04:05Z", **config}
        if password is not None:
            entry["pwhash"] = FAST_ARGON2.hash(password)
        self.data["users"][name] = entry
        return entry

    def index(self, name: str, **config) -> dict:
        config.setdefault("type", "stage")
        entry: dict[str, Any] = {"indexconfig": config}
        if config["type"] == "stage":
            entry.update(projects={}, files=[])
        self.data["indexes"][name] = entry
        return entry

    def release(self, index: str, name: str, version: str, **metadata) -> None:
        projects = self.data["indexes"][index]["projects"]
        projects.setdefault(name, {})[version] = {
            "name": name,
            "version": version,
            "summary": "s",
            **metadata,
        }

    def file(
        self,
        index: str,
        source: Path | bytes,
        *,
        project: str,
        version: str,
        type: str = "releasefile",
        filename: str | None = None,
        relpath: str | None = None,
        hashes: dict | None = None,
        **extra,
    ) -> dict:
        data = source if isinstance(source, bytes) else Path(source).read_bytes()
        filename = filename or (Path(source).name if not isinstance(source, bytes) else "f")
        if relpath is None:
            relpath = {
                "releasefile": f"{index}/{project}/{version}/{filename}",
                "doczip": f"{index}/{project}-{version}.doc.zip",
            }.get(type) or f"{index}/{project}/sha256={extra.get('for_sha', '0')}/{filename}"
        extra.pop("for_sha", None)
        target = self.path / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        digest = sha256(data)
        entry = {
            "type": type,
            "projectname": project,
            "relpath": relpath,
            "version": version,
            "entrymapping": {
                "last_modified": "Tue, 24 Nov 2026 10:49:16 GMT",
                "hash_spec": f"sha256={digest}",
                "hashes": hashes if hashes is not None else {"sha256": digest},
                "project": project,
                "version": version,
            },
            "log": [
                {"what": "upload", "who": "alice", "when": [2026, 11, 24, 10, 49, 16], "dst": index}
            ],
            **extra,
        }
        if hashes is not None:
            entry["entrymapping"].pop("hash_spec")
        self.data["indexes"][index]["files"].append(entry)
        return entry

    def write(self) -> Path:
        self.path.mkdir(parents=True, exist_ok=True)
        (self.path / "dataindex.json").write_text(json.dumps(self.data, indent=1))
        return self.path


@pytest.fixture
def dists(tmp_path):
    return {
        "wheel": make_wheel(tmp_path / "dist", "Hello.World", "1.0", requires_python=">=3.8"),
        "sdist": make_sdist(tmp_path / "dist", "Hello.World", "1.0"),
        "wheel2": make_wheel(tmp_path / "dist2", "Hello.World", "2.0"),
    }


@pytest.fixture
def tree(tmp_path, dists) -> Tree:
    """The seed's layout: root/pypi, packages/{stable,staging,develop}, a
    release with two files on stable, one on develop."""
    t = Tree(tmp_path / "export")
    t.user("root", "rootpw")
    t.user("packages", "pkgpw", email="packaging@company.com", title="Packages")
    t.user("alice", "alice-pw", email="alice@example.com")
    t.index("root/pypi", type="mirror", volatile=False, mirror_url="http://127.0.0.1:9/simple/")
    # children before their bases, as a JSON object may list them
    t.index(
        "packages/develop",
        bases=["packages/stable"],
        volatile=True,
        acl_upload=["packages", "alice"],
    )
    t.index("packages/staging", bases=["packages/stable"], volatile=True)
    t.index(
        "packages/stable",
        bases=["root/pypi"],
        volatile=False,
        title="Stable",
        acl_upload=["packages"],
        mirror_whitelist=[],
        acl_toxresult_upload=[":ANONYMOUS:"],
        mirror_whitelist_inheritance="intersection",
    )
    t.release("packages/stable", "Hello.World", "1.0", requires_python=">=3.8")
    t.file("packages/stable", dists["wheel"], project="hello-world", version="1.0")
    t.file("packages/stable", dists["sdist"], project="hello-world", version="1.0")
    t.release("packages/develop", "Hello.World", "2.0")
    t.file("packages/develop", dists["wheel2"], project="hello-world", version="2.0")
    t.write()
    return t


@pytest.fixture
def hashers(settings):
    settings.PASSWORD_HASHERS = HASHERS


def lines_of(report) -> str:
    return "\n".join(report.lines())


# -- reader ------------------------------------------------------------------------------


def test_reader_refuses_what_is_not_an_export(tmp_path):
    with pytest.raises(NotAnExport, match="is not a directory"):
        read_export(tmp_path / "missing")
    with pytest.raises(NotAnExport, match="is not a devpi export: it has no dataindex.json"):
        read_export(tmp_path)
    (tmp_path / "dataindex.json").write_text("{not json")
    with pytest.raises(NotAnExport, match="is not readable JSON"):
        read_export(tmp_path)
    (tmp_path / "dataindex.json").write_text('{"users": {}, "indexes": {}}')
    with pytest.raises(NotAnExport, match="has no dumpversion"):
        read_export(tmp_path)
    (tmp_path / "dataindex.json").write_text('{"dumpversion": "3", "users": {}, "indexes": {}}')
    with pytest.raises(NotAnExport, match="unsupported dumpversion '3'"):
        read_export(tmp_path)
    (tmp_path / "dataindex.json").write_text('{"dumpversion": "2", "users": []}')
    with pytest.raises(NotAnExport, match="needs 'users' and 'indexes' objects"):
        read_export(tmp_path)
    (tmp_path / "dataindex.json").write_text(
        '{"dumpversion": "2", "users": {}, "indexes": {"a/b": {}}}'
    )
    with pytest.raises(NotAnExport, match="index 'a/b' has no indexconfig"):
        read_export(tmp_path)


def test_reader_parses_users_indexes_projects_and_files(tree):
    parsed = read_export(tree.path)
    assert parsed.dumpversion == "2" and parsed.devpi_server == "6.20.3"
    assert set(parsed.users) == {"root", "packages", "alice"}
    stable = parsed.indexes["packages/stable"]
    assert stable.user == "packages" and stable.index == "stable" and stable.type == "stage"
    assert stable.bases == ["root/pypi"] and stable.has_data
    assert list(stable.projects) == ["hello-world"]  # keyed by normalised name
    assert stable.projects["hello-world"]["1.0"]["name"] == "Hello.World"
    wheel = stable.files[0]
    assert wheel.type == "releasefile" and wheel.version == "1.0"
    assert wheel.basename == "hello_world-1.0-py3-none-any.whl"
    assert set(wheel.hashes) == {"sha256"} and wheel.log[0]["who"] == "alice"
    assert wheel.last_modified == "Tue, 24 Nov 2026 10:49:16 GMT"
    assert not parsed.indexes["root/pypi"].has_data


def test_reader_merges_spellings_and_reads_dumpversion_1(tmp_path, dists):
    t = Tree(tmp_path / "old", dumpversion="1")
    t.index("u/i")
    t.release("u/i", "Hello.World", "1.0")
    t.release("u/i", "hello_world", "1.1")
    entry = t.file("u/i", dists["sdist"], project="Hello.World", version="1.0")
    del entry["version"]  # dumpversion 1 had none: the filename tells
    t.write()
    index = read_export(t.path).indexes["u/i"]
    assert list(index.projects) == ["hello-world"]
    assert set(index.projects["hello-world"]) == {"1.0", "1.1"}
    assert index.files[0].version == "1.0"


def test_member_path_stays_inside_the_export(tree):
    parsed = read_export(tree.path)
    assert member_path(parsed, "packages/stable/x").name == "x"
    for bad in ("../outside", "/etc/passwd", "a/../../outside"):
        with pytest.raises(ImportExportError, match="points outside the export"):
            member_path(parsed, bad)


# -- layout: hashes and paths ------------------------------------------------------------


def test_recorded_hashes_and_file_check():
    data = b"content"
    assert layout.recorded_hashes({"hash_spec": f"sha256={sha256(data)}"}) == {
        "sha256": sha256(data)
    }
    md5 = hashlib.md5(data).hexdigest()
    assert layout.recorded_hashes({"md5": md5.upper()}) == {"md5": md5}  # devpi-server 2.x
    # hash_spec wins over a disagreeing hashes mapping, as in devpi
    assert layout.recorded_hashes(
        {"hash_spec": "sha256=aa", "hashes": {"sha256": "bb", "md5": md5}}
    ) == {"sha256": "aa"}
    assert layout.recorded_hashes({"hash_spec": "rot13=x", "hashes": {"crc": "1"}}) == {}
    ok = layout.check_file(io.BytesIO(data), {"md5": md5})
    assert ok.error is None and ok.sha256 == sha256(data) and ok.size == 7
    bad = layout.check_file(io.BytesIO(b"other"), {"sha256": sha256(data)})
    assert bad.error.startswith("sha256 mismatch, got ") and sha256(data) in bad.error


def test_layout_paths():
    h = "352af46a8de37bf76f5fa940d6be29fa84dfcc8e03177f29d15a915a67a04cb0"
    assert layout.entrypath("u/i", h, "p-1.whl") == "u/i/+f/352/af46a8de37bf7/p-1.whl"
    assert layout.releasefile_relpath("u/i", "p", "1.0", "p-1.0.tar.gz") == (
        "u/i/p/1.0/p-1.0.tar.gz"
    )
    assert layout.toxresult_relpath("u/i", "p", h, "p-1.whl.toxresult-1-0") == (
        f"u/i/p/sha256={h}/p-1.whl.toxresult-1-0"
    )
    assert layout.doczip_relpath("u/i", "p", "1.0") == "u/i/p-1.0.doc.zip"
    desc = layout.FileDesc(
        type="toxresult",
        project="p",
        relpath="u/i/p/x/r",
        version="1",
        for_entrypath=f"u/i/+f/352/af46a8de37bf7/p-1.whl#sha256={h}",
    )
    assert desc.for_basename == "p-1.whl"


# -- mapping -----------------------------------------------------------------------------


def test_password_mapping_from_devpi():
    argon = FAST_ARGON2.hash("pw")
    assert mapping.password_from_devpi({"pwhash": argon}).encoded == "argon2" + argon
    salt, digest = "c2FsdA==", sha256(b"c2FsdA==" + b"pw")
    legacy = mapping.password_from_devpi({"pwsalt": salt, "pwhash": digest})
    assert legacy.encoded == f"devpi_sha256${salt}${digest}" and legacy.problem is None
    assert mapping.password_from_devpi({"pwhash": f"{salt}:{digest}"}).encoded == legacy.encoded
    none = mapping.password_from_devpi({})
    assert none.encoded is None and "no password hash" in none.problem
    unknown = mapping.password_from_devpi({"pwhash": "$2b$12$abcdefghijkl"})
    assert unknown.encoded is None and "'2b' cannot be verified" in unknown.problem
    assert mapping.password_from_devpi({"pwsalt": "s", "pwhash": "short"}).encoded is None


def test_password_mapping_to_devpi():
    argon = FAST_ARGON2.hash("pw")
    assert mapping.password_to_devpi("argon2" + argon) == ({"pwhash": argon}, None)
    keys, problem = mapping.password_to_devpi("pbkdf2_sha256$1000000$salt$hash")
    assert "'pbkdf2_sha256' cannot be verified by devpi-server" in problem
    # never without a hash (devpi-import would make the password empty): a random one
    assert keys["pwhash"].startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    with pytest.raises(argon2_exceptions.VerifyMismatchError):
        PasswordHasher().verify(keys["pwhash"], "")
    unusable, problem = mapping.password_to_devpi("!unusable")
    assert problem == "has no usable password" and unusable["pwhash"].startswith("$argon2id$")
    assert unusable["pwhash"] != keys["pwhash"]


def test_index_config_mapping():
    requested, skipped = mapping.index_config_from_devpi(
        {
            "type": "stage",
            "bases": ["root/pypi"],
            "pypi_whitelist": ["foo"],
            "uploadtrigger_jenkins": None,
            "push_requires_role": "x",
            "volatile": False,
        }
    )
    assert requested == {
        "type": "stage",
        "bases": ["root/pypi"],
        "mirror_whitelist": ["foo"],
        "volatile": False,
    }
    assert [(s.key, s.value) for s in skipped] == [("push_requires_role", "x")]
    requested, skipped = mapping.index_config_from_devpi(
        {"type": "mirror", "bases": ["a/b"], "mirror_url": "https://x/simple/"}
    )
    assert requested == {"type": "mirror", "mirror_url": "https://x/simple/"}
    assert skipped[0].key == "bases" and "no bases" in skipped[0].reason


def test_release_mapping_and_dates():
    data = mapping.release_from_devpi(
        {
            "name": "Hello.World",
            "version": "1.0",
            "summary": "s",
            "yanked": "broken",
            "+doczip": "x",
            ":action": "submit",
        },
        project="hello-world",
        version="1.0",
    )
    assert data.metadata == {"name": "Hello.World", "version": "1.0", "summary": "s"}
    assert (data.yanked, data.yanked_reason) == (True, "broken")
    back = mapping.release_to_devpi(
        display_name="Hello.World",
        version="1.0",
        metadata=data.metadata,
        yanked=True,
        yanked_reason="broken",
    )
    assert back == {"name": "Hello.World", "version": "1.0", "summary": "s", "yanked": "broken"}
    when = mapping.parse_http_date("Tue, 24 Nov 2026 10:49:16 GMT")
    assert mapping.http_date(when) == "Tue, 24 Nov 2026 10:49:16 GMT"
    assert mapping.iso(mapping.parse_iso("2020-01-02T03:04:05Z")) == "2020-01-02T03:04:05Z"
    log = [
        {"what": "push", "who": "x", "when": [2001, 1, 1, 0, 0, 0]},
        {"what": "upload", "who": "alice", "when": [2026, 11, 24, 10, 49, 16]},
    ]
    assert mapping.log_time(log) == when and mapping.log_who(log) == "alice"
    assert mapping.parse_http_date("garbage") is None and mapping.parse_iso("2020") is None


# -- the legacy password hasher ------------------------------------------------------------


def test_devpi_salted_sha256_hasher_verifies_and_is_replaced(hashers, db):
    salt = "c2FsdHNhbHRzYWx0c2FsdA=="
    encoded = f"devpi_sha256${salt}${sha256(salt.encode() + 'pässword'.encode())}"
    assert check_password("pässword", encoded)
    assert not check_password("password", encoded)
    user = get_user_model().objects.create(username="old", password=encoded)
    assert user.check_password("pässword")
    user.refresh_from_db()
    assert user.password.startswith("md5$")  # re-hashed with the preferred hasher


# -- import --------------------------------------------------------------------------------


def test_import_into_a_fresh_server(tree, blob_dir, hashers, db, dists):
    User = get_user_model()
    User.objects.create(username="root", is_superuser=True).set_password("new-root")
    lines = []
    report = devpi_import(tree.path, progress=lines.append)
    assert report.changed and not report.skipped, lines_of(report)
    assert report.created["users"] == 2 and report.updated["users"] == 1  # root, fresh
    assert report.created["indexes"] == 4 and report.created["release files"] == 3
    assert any("packages/stable: hello_world-1.0.tar.gz: imported" in line for line in lines)
    for name, password in (("root", "rootpw"), ("packages", "pkgpw"), ("alice", "alice-pw")):
        assert User.objects.get(username=name).check_password(password), name
    packages = User.objects.get(username="packages")
    assert packages.email == "packaging@company.com"
    assert packages.devpi_profile.title == "Packages"
    assert packages.devpi_profile.created.year == 2020
    stable = Index.objects.get(owner=packages, name="stable")
    assert stable.config["bases"] == ["root/pypi"] and stable.config["volatile"] is False
    assert stable.config["title"] == "Stable"
    develop = Index.objects.get(owner=packages, name="develop")
    assert develop.config["bases"] == ["packages/stable"]
    assert develop.config["acl_upload"] == ["packages", "alice"]
    pypi = Index.objects.get(owner__username="root", name="pypi")
    assert pypi.type == "mirror" and pypi.config["mirror_url"] == "http://127.0.0.1:9/simple/"
    project = Project.objects.get(index=stable)
    assert (project.name, project.display_name) == ("hello-world", "Hello.World")
    release = Release.objects.get(project=project)
    assert release.metadata["summary"] == "s" and release.metadata["requires_python"] == ">=3.8"
    wheel = ReleaseFile.objects.get(index=stable, filename=dists["wheel"].name)
    data = dists["wheel"].read_bytes()
    assert wheel.sha256 == sha256(data) and wheel.size == len(data)
    assert wheel.packagetype == "bdist_wheel" and wheel.requires_python == ">=3.8"
    assert wheel.core_metadata and b"Name: Hello.World" in bytes(wheel.core_metadata)
    assert wheel.uploader == "alice" and wheel.log[0]["dst"] == "packages/stable"
    assert (wheel.uploaded_at.year, wheel.uploaded_at.hour) == (2026, 10)
    assert blob_storage().open(blob_key(wheel.sha256)).read() == data
    sdist = ReleaseFile.objects.get(index=stable, filename=dists["sdist"].name)
    assert sdist.packagetype == "sdist" and sdist.core_metadata is None


def test_second_import_changes_nothing(tree, blob_dir, hashers, db):
    first = devpi_import(tree.path)
    assert first.changed
    serial = ServerState.objects.get(pk=1).serial
    counts = [m.objects.count() for m in (Index, Project, Release, ReleaseFile)]
    second = devpi_import(tree.path)
    assert not second.changed
    assert "nothing changed: everything in the export was already here" in lines_of(second)
    assert second.unchanged["release files"] == 3 and second.unchanged["users"] == 3
    assert not second.kept and not second.skipped
    assert ServerState.objects.get(pk=1).serial == serial
    assert [m.objects.count() for m in (Index, Project, Release, ReleaseFile)] == counts


def test_import_keeps_what_differs_on_a_used_server(tree, blob_dir, hashers, db):
    User = get_user_model()
    root = User.objects.create(username="root", is_superuser=True)
    root.set_password("here")
    root.save()
    carol = User.objects.create(username="carol")  # not fresh any more
    Index.objects.create(owner=carol, name="dev", config={})
    alice = User.objects.create(username="alice", email="alice@here.example")
    alice.set_password("alice-here")
    alice.save()
    report = devpi_import(tree.path)
    assert User.objects.get(username="root").check_password("here")
    assert User.objects.get(username="alice").check_password("alice-here")
    kept = {k.what: k.reason for k in report.kept}
    assert kept["user root"] == "differs in password"
    assert kept["user alice"] == "differs in email, password"
    assert Index.objects.get(owner__username="root", name="pypi").config["mirror_url"] == (
        "http://127.0.0.1:9/simple/"
    )


def test_import_reports_and_skips_bad_files(tmp_path, blob_dir, hashers, db, dists):
    t = Tree(tmp_path / "export")
    t.user("alice", "pw")
    t.index("alice/dev")
    t.release("alice/dev", "Hello.World", "1.0")
    t.file(
        "alice/dev",
        dists["wheel"],
        project="hello-world",
        version="1.0",
        hashes={"sha256": "0" * 64},
    )  # recorded hash does not match
    entry = t.file("alice/dev", dists["sdist"], project="hello-world", version="1.0")
    (t.path / entry["relpath"]).unlink()  # missing from the export
    t.file(
        "alice/dev",
        b"no hash recorded",
        project="hello-world",
        version="1.0",
        filename="hello_world-1.0.zip",
        hashes={},
    )
    t.file(
        "alice/dev", dists["wheel2"], project="hello-world", version="2.0", relpath="../outside.whl"
    )
    t.write()
    report = devpi_import(t.path)
    skipped = {s.what: s.reason for s in report.skipped}
    assert skipped[f"alice/dev/hello-world/1.0/{dists['wheel'].name}"].startswith(
        "hash mismatch: sha256 mismatch, got "
    )
    assert skipped[f"alice/dev/hello-world/1.0/{dists['sdist'].name}"] == (
        "the file is missing from the export"
    )
    assert "points outside the export" in skipped["../outside.whl"]
    assert [f.filename for f in ReleaseFile.objects.all()] == ["hello_world-1.0.zip"]
    assert any("records no hash; stored unverified" in n for n in report.notes)


def test_import_skips_plugin_keys_missing_bases_unknown_types_and_bad_names(
    tmp_path, blob_dir, hashers, db
):
    t = Tree(tmp_path / "export")
    t.user("root", "pw")
    t.user("alice", "pw", some_plugin_key=1)
    t.user("bad name", "pw")
    t.index(
        "alice/dev",
        bases=["alice/gone", "alice/base"],
        pypi_whitelist=["x"],
        push_requires_role="admin",
        volatile="perhaps",
    )
    t.index("alice/base", mirror_whitelist_inheritance="sideways")
    t.index("alice/ext", type="indexerpypi")
    t.index("nobody/dev")
    t.index("root/pypi", type="mirror", mirror_url="https://pypi.example/simple/")
    t.data["indexes"]["root/pypi"]["files"] = [
        {"type": "releasefile", "projectname": "x", "relpath": "root/pypi/x/1/x-1.whl"}
    ]
    t.write()
    report = devpi_import(t.path)
    skipped = {s.what: s.reason for s in report.skipped}
    assert "not a devpi-server user key" in skipped["user alice: key 'some_plugin_key'"]
    assert "not allowed" in skipped["user 'bad name'"]
    assert "a plugin's?" in skipped["index alice/dev: option push_requires_role='admin'"]
    assert skipped["index alice/dev: base alice/gone"] == "neither in the export nor here"
    assert "Unknown boolean value" in skipped["index alice/dev: option volatile='perhaps'"]
    assert (
        "Unknown value"
        in skipped["index alice/base: option mirror_whitelist_inheritance='sideways'"]
    )
    assert "'indexerpypi' is not supported" in skipped["index alice/ext"]
    assert "owner 'nobody'" in skipped["index nobody/dev"]
    assert "mirror caches are not imported" in skipped["index root/pypi: 1 mirrored files"]
    dev = Index.objects.get(owner__username="alice", name="dev")
    assert dev.config["bases"] == ["alice/base"] and dev.config["mirror_whitelist"] == ["x"]
    assert Index.objects.get(owner__username="root", name="pypi").type == "mirror"
    assert not get_user_model().objects.filter(username="bad name").exists()


def test_import_breaks_a_cycle_of_bases(tmp_path, blob_dir, hashers, db):
    t = Tree(tmp_path / "export")
    t.user("alice", "pw")
    t.index("alice/x", bases=["alice/y"])
    t.index("alice/y", bases=["alice/x"])
    t.write()
    report = devpi_import(t.path)
    assert [(s.what, s.reason) for s in report.skipped] == [
        ("index alice/x: base alice/y", "the bases form a cycle (devpi-import refuses it too)")
    ]
    configs = {ix.name: ix.config["bases"] for ix in Index.objects.all()}
    assert configs == {"x": [], "y": ["alice/x"]}


def test_import_of_passwords_that_cannot_be_verified(tmp_path, blob_dir, hashers, db):
    t = Tree(tmp_path / "export")
    t.user("nopw")
    t.user("bcrypt", pwhash="$2b$12$abcdefghijklmnopqrstuv")
    salt = "c2FsdA=="
    t.user("old", pwsalt=salt, pwhash=sha256(salt.encode() + b"old-pw"))
    t.write()
    report = devpi_import(t.path)
    resets = {s.what: s.reason for s in report.password_resets}
    assert set(resets) == {"user nopw", "user bcrypt"}
    User = get_user_model()
    assert not User.objects.get(username="bcrypt").has_usable_password()
    assert User.objects.get(username="old").check_password("old-pw")
    assert "users who need a new password" in lines_of(report)


def test_import_leaves_removed_and_conflicting_files_alone(tree, blob_dir, hashers, db, dists):
    devpi_import(tree.path)
    stable = Index.objects.get(owner__username="packages", name="stable")
    sdist = ReleaseFile.objects.get(index=stable, filename=dists["sdist"].name)
    RemovedFile.objects.create(index=stable, filename=sdist.filename, sha256=sdist.sha256)
    sdist.delete()
    wheel = ReleaseFile.objects.get(index=stable, filename=dists["wheel"].name)
    wheel.sha256 = "f" * 64
    wheel.save()
    report = devpi_import(tree.path)
    assert not report.changed
    assert {s.what: s.reason for s in report.skipped}[
        f"packages/stable: {dists['sdist'].name}"
    ] == ("it was removed here after an earlier import")
    assert {k.what: k.reason for k in report.kept}[f"packages/stable: {dists['wheel'].name}"] == (
        "a file with other content has this name here"
    )


class FakeAttachments:
    def __init__(self):
        self.stored: list[attachments.AttachmentIn] = []
        self.contents: list[bytes] = []

    def import_file(self, item):
        if any(s.filename == item.filename for s in self.stored):
            return False
        self.stored.append(item)
        self.contents.append(item.content.read())
        return True

    def export_files(self, index):
        return []


@pytest.fixture
def attachment_handlers(monkeypatch):
    handlers = {}
    monkeypatch.setattr(attachments, "_HANDLERS", handlers)
    return handlers


def test_tox_results_and_docs_go_to_their_handlers(
    tree, blob_dir, hashers, db, dists, attachment_handlers
):
    wheel_sha = sha256(dists["wheel"].read_bytes())
    report = {"reportversion": "1", "testenvs": {}}
    tox_name = f"{dists['wheel'].name}.toxresult-20261124104916-0"
    tree.file(
        "packages/stable",
        json.dumps(report).encode(),
        type="toxresult",
        project="hello-world",
        version="1.0",
        filename=tox_name,
        for_sha=wheel_sha,
        for_entrypath=f"packages/stable/+f/{wheel_sha[:3]}/{wheel_sha[3:16]}/{dists['wheel'].name}",
    )
    tree.file("packages/stable", b"PK docs", type="doczip", project="hello-world", version="1.0")
    tree.write()
    # without handlers: reported as skipped
    first = devpi_import(tree.path)
    reasons = {s.reason for s in first.skipped}
    assert reasons == {
        "this server does not store tox results (yet)",
        "this server does not store doc zips (yet)",
    }
    tox, docs = FakeAttachments(), FakeAttachments()
    attachments.register_attachment("toxresult", tox)
    attachments.register_attachment("doczip", docs)
    second = devpi_import(tree.path)
    assert second.created["tox results"] == 1 and second.created["doc zips"] == 1
    (item,) = tox.stored
    assert item.filename == tox_name and item.release_file.filename == dists["wheel"].name
    assert item.release.version == "1.0" and item.log[0]["who"] == "alice"
    assert json.loads(tox.contents[0]) == report
    assert docs.stored[0].release_file is None and docs.contents == [b"PK docs"]
    third = devpi_import(tree.path)
    assert not third.changed and third.unchanged["tox results"] == 1


# -- export --------------------------------------------------------------------------------


def test_export_writes_devpi_format(tree, blob_dir, hashers, db, dists, tmp_path):
    devpi_import(tree.path)
    User = get_user_model()
    carol = User.objects.create(username="carol")
    carol.set_password("md5-hashed")  # the test hasher: not verifiable by devpi-server
    carol.save()
    out = tmp_path / "out"
    lines = []
    report = devpi_export(out, progress=lines.append)
    assert report.exported["users"] == 4 and report.exported["release files"] == 3
    assert [s.what for s in report.password_resets] == ["user carol"]
    data = json.loads((out / "dataindex.json").read_text())
    assert data["dumpversion"] == "2" and data["devpi_server"]
    users = data["users"]
    assert users["alice"]["pwhash"] == tree.data["users"]["alice"]["pwhash"]
    assert users["packages"]["email"] == "packaging@company.com"
    assert users["packages"]["created"] == "2020-01-02T03:04:05Z"
    # carol's hash cannot go to devpi-server: a random argon2 one (never none: devpi-import
    # would give her an empty password), and the report names her
    assert users["carol"]["pwhash"].startswith("$argon2id$") and "indexes" not in users["carol"]
    with pytest.raises(argon2_exceptions.VerifyMismatchError):
        PasswordHasher().verify(users["carol"]["pwhash"], "")
    assert any("user carol" in line for line in report.lines())
    assert data["indexes"]["root/pypi"] == {
        "indexconfig": {
            "type": "mirror",
            "volatile": False,
            "mirror_url": "http://127.0.0.1:9/simple/",
            "mirror_cache_expiry": 1800,
        }
    }
    stable = data["indexes"]["packages/stable"]
    assert stable["indexconfig"]["bases"] == ["root/pypi"]
    assert stable["indexconfig"]["type"] == "stage"
    assert stable["projects"]["hello-world"]["1.0"]["name"] == "Hello.World"
    wheel = dists["wheel"]
    (desc,) = [f for f in stable["files"] if f["relpath"].endswith(".whl")]
    digest = sha256(wheel.read_bytes())
    assert desc["relpath"] == f"packages/stable/hello-world/1.0/{wheel.name}"
    assert desc["type"] == "releasefile" and desc["version"] == "1.0"
    assert desc["projectname"] == "hello-world"
    assert desc["entrymapping"]["hash_spec"] == f"sha256={digest}"
    assert desc["entrymapping"]["last_modified"] == "Tue, 24 Nov 2026 10:49:16 GMT"
    assert desc["log"][0]["who"] == "alice"
    assert (out / desc["relpath"]).read_bytes() == wheel.read_bytes()
    assert any(line.startswith("wrote ") for line in lines)
    # the reader takes it as it takes devpi's
    assert read_export(out).indexes["packages/stable"].files[0].hashes == {"sha256": digest}


def test_export_then_import_into_the_same_server_changes_nothing(
    tree, blob_dir, hashers, db, tmp_path
):
    devpi_import(tree.path)
    devpi_export(tmp_path / "out")
    report = devpi_import(tmp_path / "out")
    assert not report.changed and not report.skipped and not report.kept, lines_of(report)


def test_export_refuses_a_used_directory_and_reports_missing_blobs(
    tree, blob_dir, hashers, db, tmp_path, dists
):
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "x").write_text("x")
    with pytest.raises(ImportExportError, match="must not exist or be empty"):
        devpi_export(tmp_path / "used")
    devpi_import(tree.path)
    wheel = ReleaseFile.objects.get(filename=dists["wheel"].name)
    blob_storage().delete(blob_key(wheel.sha256))
    report = devpi_export(tmp_path / "out")
    (skipped,) = report.skipped
    assert skipped.what == f"packages/stable: {dists['wheel'].name}"
    assert "cannot read its stored bytes" in skipped.reason
    assert not (tmp_path / "out" / "packages/stable/hello-world/1.0" / dists["wheel"].name).exists()
    assert report.exported["release files"] == 2


def test_writer_checks_hashes_and_paths(tmp_path):
    writer = ExportWriter(tmp_path / "w", devpi_server_version="6.20.3")
    writer.index("u/i", {"type": "stage"}, with_data=True)
    with pytest.raises(ImportExportError, match="sha256 mismatch"):
        writer.file(
            "u/i",
            type="releasefile",
            project="p",
            version="1",
            relpath="u/i/p/1/p-1.zip",
            content=io.BytesIO(b"abc"),
            sha256="0" * 64,
            last_modified="x",
            log=None,
        )
    assert not (tmp_path / "w/u/i/p/1/p-1.zip").exists()
    with pytest.raises(ImportExportError, match="outside the export"):
        writer.file(
            "u/i",
            type="releasefile",
            project="p",
            version="1",
            relpath="../x",
            content=io.BytesIO(b"abc"),
            sha256=sha256(b"abc"),
            last_modified="x",
            log=None,
        )
    assert writer.data["indexes"]["u/i"]["files"] == []
    writer.finish()
    assert read_export(tmp_path / "w").indexes["u/i"].files == []


# -- the commands ----------------------------------------------------------------------------


def test_commands(tree, blob_dir, hashers, db, tmp_path, capsys):
    from django.contrib.auth import get_user_model

    get_user_model().objects.create(username="root", is_superuser=True)
    with pytest.raises(CommandError, match="is not a devpi export: it has no dataindex.json"):
        call_command("devpi", "import", str(tmp_path))
    call_command("devpi", "import", str(tree.path))
    out = capsys.readouterr().out
    assert "release files: 3 created" in out and "user alice: created" in out
    call_command("devpi", "import", str(tree.path))
    assert "nothing changed" in capsys.readouterr().out
    call_command("devpi", "export", str(tmp_path / "out"))
    assert "release files: 3" in capsys.readouterr().out
    with pytest.raises(CommandError, match="must not exist or be empty"):
        call_command("devpi", "export", str(tmp_path / "out"))


def doc_zip(text: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("index.html", f"<html><body>{text}</body></html>")
        zf.writestr("_static/style.css", "body {}")
    return buf.getvalue()


def test_doc_zips_are_imported_unpacked_and_exported(tree, blob_dir, hashers, db, tmp_path):
    from indexes.models import DocZip
    from indexes.storage import doc_key

    data = doc_zip("hello docs")
    tree.file("packages/stable", data, type="doczip", project="hello-world", version="1.0")
    tree.release("packages/develop", "Hello.World", "2.0")
    tree.file("packages/develop", b"not a zip", type="doczip", project="hello-world", version="2.0")
    tree.write()
    report = devpi_import(tree.path)
    assert report.created["doc zips"] == 1
    (skipped,) = report.skipped
    assert skipped.what == "packages/develop/hello-world-2.0.doc.zip"
    doczip = DocZip.objects.get()
    assert doczip.filename == "hello-world-1.0.doc.zip" and doczip.sha256 == sha256(data)
    assert doczip.release.version == "1.0" and doczip.uploader == "alice"
    assert blob_storage().open(doc_key(doczip.sha256, "index.html")).read() == (
        b"<html><body>hello docs</body></html>"
    )
    assert not devpi_import(tree.path).changed
    out = tmp_path / "out"
    assert devpi_export(out).exported["doc zips"] == 1
    stable = json.loads((out / "dataindex.json").read_text())["indexes"]["packages/stable"]
    (desc,) = [f for f in stable["files"] if f["type"] == "doczip"]
    assert desc["relpath"] == "packages/stable/hello-world-1.0.doc.zip"
    assert desc["version"] == "1.0" and desc["entrymapping"]["hashes"] == {"sha256": sha256(data)}
    assert (out / desc["relpath"]).read_bytes() == data


def test_devpi_command_verbs(tree, blob_dir, hashers, db, tmp_path, capsys):
    get_user_model().objects.create(username="root", is_superuser=True)  # as devpi_init does
    call_command("devpi", "import", str(tree.path))
    assert "release files: 3 created" in capsys.readouterr().out
    with pytest.raises(CommandError, match="root only"):
        call_command("devpi", "--as", "alice", "export", str(tmp_path / "out"))
    call_command("devpi", "export", str(tmp_path / "out"))
    assert "release files: 3" in capsys.readouterr().out
    assert (tmp_path / "out" / "dataindex.json").is_file()
    with pytest.raises(CommandError, match="is not a devpi export"):
        call_command("devpi", "import", str(tmp_path))
