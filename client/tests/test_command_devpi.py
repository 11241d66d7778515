"""``manage.py devpi <verb>`` in process (``call_command``): every verb, its
output lines and its error paths. ``install`` and ``test`` talk HTTP: they
run against pytest-django's live server with stand-ins for pip and tox that
record what they were given (the real ones run in
``tests/test_command_workflow.py``)."""

from __future__ import annotations

import io
import json
import re
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from client import current, testing
from client import docs as cli_docs
from client.management.commands import devpi as devpi_command
from client.verbs import quickstart
from indexes.auth import token_user
from indexes.models import DocZip, Index, ReleaseFile
from indexes.tests.conftest import mirror_cache_project, mirror_index, mirror_link, stage
from tests.factories import make_project_tree, make_sdist, make_wheel

pytestmark = pytest.mark.django_db
OUT = "http://devpi.test"


@pytest.fixture(autouse=True)
def _cli(settings, tmp_path, blob_dir):
    settings.DATA_DIR = tmp_path / "data"
    settings.DEVPI = {**settings.DEVPI, "RESTRICT_MODIFY": None, "OUTSIDE_URL": OUT}


@pytest.fixture
def pypi(root):
    return mirror_index(root)


@pytest.fixture
def dev_over_pypi(alice, pypi):
    """``alice/dev`` over ``root/pypi`` (the shared ``dev`` has no bases)."""
    return stage(alice, "dev", bases="root/pypi")


def devpi(*args, stdin: str = "") -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("devpi", *[str(a) for a in args], stdout=out, stderr=err, stdin=io.StringIO(stdin))
    return out.getvalue(), err.getvalue()


def fails(*args, match: str, stdin: str = "", out: io.StringIO | None = None) -> str:
    """A refused command: CommandError with one line matching ``match``
    (what it printed before goes to ``out``)."""
    with pytest.raises(CommandError) as info:
        call_command(
            "devpi",
            *[str(a) for a in args],
            stdout=out or io.StringIO(),
            stderr=io.StringIO(),
            stdin=io.StringIO(stdin),
        )
    message = str(info.value)
    assert "\n" not in message and re.search(match, message), message
    return message


def upload(user: str, index: str, *paths) -> str:
    return devpi("--as", user, "upload", "--index", index, *paths)[0]


def lines(text: str) -> list[str]:
    return text.splitlines()


def urls(text: str) -> list[str]:
    return [line for line in lines(text) if line.startswith("http")]


def script(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!{sys.executable}\n{body}")
    path.chmod(0o755)
    return path


# -- the command line --------------------------------------------------------------------------


def test_help_names_every_verb(capsys):
    with pytest.raises(SystemExit) as info:
        call_command("devpi", "--help")
    assert info.value.code == 0
    text = capsys.readouterr().out
    for verb, summary in devpi_command.VERBS.items():
        assert re.search(rf"^\s+{verb}\s", text, re.M), verb
        assert summary.split()[0] in text


@pytest.mark.parametrize(
    "verb, options",
    [
        ("quickstart", ["--user", "--password", "--index"]),
        ("use", ["--list", "--user", "--delete", "INDEX"]),
        ("user", ["--create", "--delete", "--modify", "--list", "-y", "key=value"]),
        ("index", ["--create", "--delete", "--modify", "--list", "-y", "NAME", "key+=value"]),
        ("getjson", ["PATH_OR_URL"]),
        (
            "upload",
            [
                "--index",
                "--from-dir",
                "--only-latest",
                "--dry-run",
                "--with-docs",
                "--only-docs",
                "--python",
                "--sdist",
                "--wheel",
                "--no-isolation",
            ],
        ),
        ("list", ["--toxresults", "--all", "--index", "--ignore-bases", "spec"]),
        ("remove", ["-y", "--force", "--index", "SPEC_OR_URL"]),
        ("project-status", ["--index", "--reason", "name", "status"]),
        (
            "push",
            [
                "--index",
                "--no-docs",
                "--only-docs",
                "--pypirc",
                "--register-project",
                "NAME==VERSION",
                "TARGET",
            ],
        ),
        (
            "test",
            [
                "-e ENVNAME",
                "-c PATH",
                "--fallback-ini",
                "--tox-args",
                "--no-upload",
                "--index",
                "--select",
                "--list",
                "pkgspec",
            ],
        ),
        ("install", ["--index", "-l", "-e ARG", "--venv", "--requirement", "PKG"]),
    ],
)
def test_help_of_each_verb(capsys, verb, options):
    with pytest.raises(SystemExit) as info:
        call_command("devpi", verb, "--help")
    assert info.value.code == 0
    text = capsys.readouterr().out
    assert re.match(rf"usage: (manage.py )?devpi {verb} ", text)
    assert "--as USER" in text
    for option in options:
        assert option in text, (verb, option)


def test_unknown_verb_and_missing_arguments():
    fails("frobnicate", match="invalid choice: 'frobnicate'")
    fails(match="the following arguments are required: VERB")
    fails("push", "pkg==1.0", match="the following arguments are required: TARGET")


def test_unknown_acting_user(dev_over_pypi):
    fails("--as", "nobody", "list", match="user 'nobody' does not exist")
    fails("list", "--as", "nobody", match="user 'nobody' does not exist")


def test_errors_are_one_line_on_stderr_from_the_command_line(tmp_path, settings):
    """Run as a program: one line on stderr, exit code 1, no traceback."""
    import subprocess

    from tests.live import REPO

    env = {
        "DEVPI_DATA_DIR": str(tmp_path / "cli-data"),
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "devpi_django.settings",
    }
    env.update(
        DEVPI_ROOT_PASSWORD="x",
        DEVPI_MIRROR_URL="http://127.0.0.1:9/simple/",
        DEVPI_ALLOW_PRIVATE_UPSTREAMS="127.0.0.1,localhost,::1",
    )
    for step in (["migrate", "-v0"], ["devpi_init"]):
        subprocess.run(
            [sys.executable, str(REPO / "manage.py"), *step],
            env=env,
            check=True,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
        )
    proc = subprocess.run(
        [sys.executable, str(REPO / "manage.py"), "devpi", "list"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [f"CommandError: {current.NO_INDEX}"]


# -- quickstart --------------------------------------------------------------------------------


def test_quickstart_creates_user_and_dev_index_and_uses_it(root, pypi):
    out, _ = devpi("quickstart", "--user", "carol")
    assert lines(out)[:3] == ["user created: carol", f"{OUT}/carol/dev:", "  type=stage"]
    assert "  bases=root/pypi" in lines(out)
    assert f"current devpi index: {OUT}/carol/dev (acting as root)" in lines(out)
    assert "COMPLETED!  you can now work with your 'carol/dev' index" in out
    assert current.current_index_name() == "carol/dev"
    carol = get_user_model().objects.get(username="carol")
    assert carol.check_password("")  # the seed's empty password
    assert Index.objects.get(owner=carol, name="dev").bases == ["root/pypi"]


def test_quickstart_options_and_default_user(root, pypi, monkeypatch):
    devpi("quickstart", "--user", "dave", "--password", "pw", "--index", "work")
    assert get_user_model().objects.get(username="dave").check_password("pw")
    assert current.current_index_name() == "dave/work"
    monkeypatch.setattr(quickstart.getpass, "getuser", lambda: "loginname")
    assert "user created: loginname" in devpi("quickstart")[0]


def test_quickstart_refusals_leave_nothing_behind(root, alice, settings):
    fails("quickstart", "--user", "alice", match="user already exists")
    fails("quickstart", "--user", "erin", match="base index 'root/pypi' does not exist")
    assert not get_user_model().objects.filter(username="erin").exists()
    mirror_index(root)
    settings.DEVPI = {**settings.DEVPI, "RESTRICT_MODIFY": ["root"]}
    fails("--as", "alice", "quickstart", "--user", "erin", match="may not create users")
    assert current.current_index_name() is None


# -- use ---------------------------------------------------------------------------------------


def test_use_without_current_index(root):
    out, err = devpi("use")
    assert out == f"using server: {OUT}/ (acting as root)\n"
    assert "no current index" in err


def test_use_sets_and_shows_the_current_index(dev_over_pypi, bob):
    out, _ = devpi("--as", "alice", "use", "dev")
    assert lines(out) == [
        f"current devpi index: {OUT}/alice/dev (acting as alice)",
        f"        simpleindex: {OUT}/alice/dev/+simple/",
        f"         pypisubmit: {OUT}/alice/dev/",
        f"                pip: pip install -i {OUT}/alice/dev/+simple/ PKG",
    ]
    assert json.loads(current.state_path().read_text()) == {"index": "alice/dev"}
    for spec in ("/alice/dev", f"{OUT}/alice/dev/+simple/", "alice/dev"):
        devpi("--as", "bob", "use", spec)
        assert current.current_index_name() == "alice/dev"
    assert f"current devpi index: {OUT}/alice/dev (acting as bob)" in devpi("--as", "bob", "use")[0]
    out, _ = devpi("use", "root/pypi")  # a mirror: nothing to upload to
    assert "pypisubmit" not in out and "root/pypi/+simple/" in out
    devpi("use", f"{OUT}/")  # the server's root URL: no current index
    assert current.current_index_name() is None


def test_use_errors(dev_over_pypi):
    fails("use", "alice/nope", match="The stage alice/nope could not be found")
    fails("use", "a/b/c", match="not of form USER/NAME or NAME")
    fails("use", "dev", match="The stage root/dev could not be found")  # root's, by default
    devpi("use", "alice/dev")
    dev_over_pypi.delete()
    fails("use", match="The stage alice/dev could not be found")


def test_use_with_an_unusable_data_dir(dev_over_pypi, settings, tmp_path, monkeypatch):
    def full_disk(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(current.os, "replace", full_disk)
    fails("use", "alice/dev", match=r"^\[Errno 28\] No space left on device$")
    (tmp_path / "a-file").write_text("")
    settings.DATA_DIR = tmp_path / "a-file"
    fails("use", "alice/dev", match=r"cannot read .*a-file/devpi-use\.json: .*Not a directory")


def test_use_list_and_delete(dev_over_pypi, bob):
    stage(bob, "prod", volatile=False)
    out, _ = devpi("use", "-l")
    assert lines(out) == [
        "alice/dev       bases=root/pypi       volatile=True",
        "bob/prod        bases=                volatile=False",
        "root/pypi       bases=                volatile=False",
    ]
    assert lines(devpi("use", "-l", "-u", "bob")[0]) == [lines(out)[1]]
    devpi("use", "alice/dev")
    assert devpi("use", "--delete")[0] == f"REMOVED configuration at {current.state_path()}\n"
    assert current.current_index_name() is None
    fails("use", "--delete", match="NO configuration found")


# -- user --------------------------------------------------------------------------------------


def test_user_create_list_show(root):
    assert (
        devpi("user", "-c", "carol", "password=pw", "email=c@example.com", "title=Carol C")[0]
        == "user created: carol\n"
    )
    carol = get_user_model().objects.get(username="carol")
    assert carol.check_password("pw") and carol.email == "c@example.com"
    assert lines(devpi("user", "-l")[0]) == ["carol", "root"]
    out, _ = devpi("user", "carol")
    assert lines(out)[0] == f"{OUT}/carol:"
    assert "  email=c@example.com" in lines(out) and "  title=Carol C" in lines(out)
    assert lines(devpi("--as", "carol", "user")[0])[0] == f"{OUT}/carol:"


def test_user_create_errors(root, alice, settings):
    fails("user", "-c", match="need to specify a username")
    fails("user", "-c", "carol", "email=x", match="password needs to be set")
    fails("user", "-c", "carol", "password", match="must be of the form NAME=VALUE: password")
    fails("user", "-c", "carol", "password=x", "pwhash=y", match="Unknown keys in user config")
    fails("user", "-c", "alice", "password=x", match="user already exists")
    fails("user", "-c", "a:b", "password=x", match="characters that are not allowed")
    settings.DEVPI = {**settings.DEVPI, "RESTRICT_MODIFY": ["root"]}
    fails("--as", "alice", "user", "-c", "carol", "password=x", match="may not create users")


def test_user_modify(root, alice, bob):
    out, _ = devpi("--as", "alice", "user", "-m", "alice", "password=new", "email=a@x")
    assert lines(out) == [
        "/alice changing email: a@x",
        "/alice changing password: ********",
        "user modified: alice",
    ]
    alice.refresh_from_db()
    assert alice.check_password("new") and alice.email == "a@x"
    devpi("--as", "alice", "user", "alice", "title=Alice")  # key=value items imply -m
    assert "  title=Alice" in devpi("user", "alice")[0]
    devpi("--as", "alice", "user", "title=Me")  # no name: the acting user
    assert "  title=Me" in devpi("user", "alice")[0]
    fails("--as", "bob", "user", "-m", "alice", "email=evil", match="may not modify user 'alice'")
    fails("--as", "alice", "user", "-m", "alice", match="nothing to modify")
    fails("user", "-m", "nobody", "email=x", match="user 'nobody' does not exist")


def test_user_delete(root, alice, bob):
    out, err = devpi("user", "--delete", "bob", stdin="no\n")
    assert "About to remove: http://devpi.test/bob" in out and "not deleting anything" in err
    assert get_user_model().objects.filter(username="bob").exists()
    out, err = devpi("user", "--delete", "bob", stdin="maybe\nyes\n")
    assert "not a valid choice 'maybe'" in err and "user deleted: bob" in out
    assert not get_user_model().objects.filter(username="bob").exists()
    fails("--as", "alice", "user", "--delete", "root", match="may not delete user 'root'")
    fails("user", "--delete", "alice", "email=x", match="cannot delete if you specify key=values")
    fails("user", "--delete", match="need to specify a username")
    stage(alice, "prod", volatile=False)
    fails("user", "--delete", "alice", "-y", match="has non-volatile index: prod")
    assert get_user_model().objects.filter(username="alice").exists()


# -- index -------------------------------------------------------------------------------------


def test_index_create_show_list(alice, pypi):
    out, _ = devpi("--as", "alice", "index", "-c", "dev", "bases=root/pypi")
    assert lines(out)[:5] == [
        f"{OUT}/alice/dev:",
        "  type=stage",
        "  bases=root/pypi",
        "  volatile=True",
        "  acl_upload=alice",
    ]
    out, _ = devpi("--as", "alice", "index", "-c", "staging", "volatile=False")
    assert "  bases=" in lines(out) and "  volatile=False" in lines(out)  # no bases unless given
    devpi("index", "-c", "alice/extra")  # root creates for alice
    assert lines(devpi("--as", "alice", "index", "-l")[0]) == [
        "alice/dev",
        "alice/extra",
        "alice/staging",
    ]
    assert lines(devpi("index", "-l", "alice")[0])[0] == "alice/dev"
    assert lines(devpi("index", "alice/dev")[0])[0] == f"{OUT}/alice/dev:"
    devpi("use", "alice/staging")
    assert lines(devpi("index")[0])[0] == f"{OUT}/alice/staging:"  # the current index


def test_index_create_errors(alice, bob, pypi):
    fails("index", "-c", match="need to explicitly specify index")
    fails(
        "--as",
        "alice",
        "index",
        "-c",
        "dev",
        "foo=bar",
        match="indexconfig got unexpected keyword arguments: foo=bar",
    )
    fails(
        "--as",
        "alice",
        "index",
        "-c",
        "dev",
        "bases=nope/nope",
        match="base index 'nope/nope' does not exist",
    )
    fails(
        "--as",
        "alice",
        "index",
        "-c",
        "dev",
        "bases+=root/pypi",
        match="only works when modifying an index",
    )
    fails("--as", "bob", "index", "-c", "alice/dev", match="may not create index alice/dev")
    fails("index", "-c", "nobody/dev", match="user 'nobody' does not exist")
    devpi("--as", "alice", "index", "-c", "dev")
    fails("--as", "alice", "index", "-c", "dev", match="index 'alice/dev' exists")
    fails("index", match="no current index")


def test_index_modify_with_keyvalue_operations(dev_over_pypi, bob):
    stage(dev_over_pypi.owner, "prod")
    out, _ = devpi(
        "--as", "alice", "index", "alice/dev", "bases+=alice/prod", "acl_upload+=bob", "title=Dev"
    )
    assert lines(out)[:3] == [
        "/alice/dev bases+=alice/prod",
        "/alice/dev acl_upload+=bob",
        "/alice/dev title=Dev",
    ]
    assert "  bases=root/pypi,alice/prod" in lines(out) and "  acl_upload=alice,bob" in lines(out)
    devpi("use", "alice/dev")
    out, _ = devpi("--as", "alice", "index", "volatile=False", "acl_upload-=bob")  # current
    assert "  volatile=False" in lines(out) and "  acl_upload=alice" in lines(out)
    devpi("--as", "alice", "index", "-m", "alice/dev", "title-=")
    dev_over_pypi.refresh_from_db()
    assert "title" not in dev_over_pypi.config and dev_over_pypi.config["volatile"] is False
    fails("--as", "alice", "index", "-m", "alice/dev", match="nothing to modify")
    fails(
        "--as",
        "alice",
        "index",
        "alice/dev",
        "acl_upload-=carol",
        match="The 'acl_upload' setting doesn't have value 'carol'",
    )
    fails(
        "--as",
        "alice",
        "index",
        "alice/dev",
        "volatile=perhaps",
        match="Unknown boolean value 'perhaps'",
    )
    fails("--as", "bob", "index", "alice/dev", "title=x", match="may not modify index alice/dev")
    fails("--as", "alice", "index", "alice/dev", "oops", match="must be of the form NAME=VALUE")


def test_index_delete(dev_over_pypi, bob):
    fails(
        "--as",
        "bob",
        "index",
        "--delete",
        "alice/dev",
        "-y",
        match="may not delete index alice/dev",
    )
    out, err = devpi("--as", "alice", "index", "--delete", "dev")
    assert "About to remove: http://devpi.test/alice/dev" in out and "not deleting" in err
    out, _ = devpi("--as", "alice", "index", "--delete", "dev", stdin="yes\n")
    assert "index deleted: http://devpi.test/alice/dev" in out
    assert not Index.objects.filter(name="dev").exists()
    stage(dev_over_pypi.owner, "prod", volatile=False)
    fails(
        "--as",
        "alice",
        "index",
        "--delete",
        "prod",
        "-y",
        match="index alice/prod non-volatile, cannot delete",
    )
    fails(
        "--as",
        "alice",
        "index",
        "--delete",
        "prod",
        "title=x",
        match="cannot delete if you specify key=values",
    )
    fails("index", "--delete", match="need to explicitly specify index")


# -- getjson -----------------------------------------------------------------------------------


def test_getjson_shapes(dev_over_pypi, tmp_path):
    upload("alice", "alice/dev", make_wheel(tmp_path, "pkg", "1.0"))

    def getjson(path):
        return json.loads(devpi("getjson", path)[0])

    assert getjson("/")["type"] == "list:userconfig"
    assert set(getjson("/")["result"]) == {"alice", "root"}
    assert getjson("/alice")["result"]["indexes"]["dev"]["bases"] == ["root/pypi"]
    index = getjson("/alice/dev")
    assert index["type"] == "indexconfig" and index["result"]["projects"] == ["pkg"]
    assert "projects" not in getjson("/alice/dev?no_projects=")["result"]
    assert "projects" in getjson(f"{OUT}/alice/dev")["result"]
    project = getjson("/alice/dev/pkg")
    assert project["type"] == "projectconfig" and list(project["result"]) == ["1.0"]
    version = getjson("/alice/dev/pkg/1.0")
    assert version["type"] == "versiondata"
    assert version["result"]["+links"][0]["href"].startswith(f"{OUT}/alice/dev/+f/")
    devpi("use", "alice/dev")
    assert getjson("pkg/1.0") == version  # relative to the current index


def test_getjson_errors(dev_over_pypi, tmp_path):
    fails("getjson", "pkg", match="relative path without a current index")
    fails("getjson", "/nobody", match="user 'nobody' does not exist")
    fails("getjson", "/alice/nope", match="could not be found")
    stage(dev_over_pypi.owner, "other")
    fails("getjson", "/alice/other/nope", match="The project nope does not exist")
    fails("getjson", "/alice/dev/nope", match="error .* getting http://127.0.0.1:9/")
    fails("getjson", "/+api", match="getjson shows /, /USER")
    fails("getjson", "/a/b/c/d/e", match="getjson shows /, /USER")
    fails("getjson", "/alice/other/pkg/9.9", match="The project pkg does not exist")
    upload("alice", "alice/other", make_wheel(tmp_path, "pkg", "1.0"))
    fails("getjson", "/alice/other/pkg/9.9", match="The version 9.9 of project pkg does not exist")


# -- upload ------------------------------------------------------------------------------------


def test_upload_files_and_identical_again(dev_over_pypi, tmp_path):
    wheel, sdist = make_wheel(tmp_path, "pkg", "1.0"), make_sdist(tmp_path, "pkg", "1.0")
    out = upload("alice", "alice/dev", wheel, sdist)
    assert lines(out) == [
        f"file_upload of {wheel.name} to {OUT}/alice/dev/",
        f"file_upload of {sdist.name} to {OUT}/alice/dev/",
    ]
    assert sorted(ReleaseFile.objects.values_list("filename", flat=True)) == sorted(
        [wheel.name, sdist.name]
    )
    rf = ReleaseFile.objects.get(filename=wheel.name)
    assert rf.uploader == "alice" and rf.release.metadata["summary"] == "generated"
    assert "(identical file was there already)" in upload("alice", "alice/dev", wheel)


def test_upload_from_dir_only_latest_and_dry_run(dev_over_pypi, tmp_path):
    dist = tmp_path / "dist"
    for version in ("1.0", "1.2", "1.10"):
        make_sdist(dist, "pkg", version)
    out = devpi(
        "--as",
        "alice",
        "upload",
        "--index",
        "alice/dev",
        "--from-dir",
        "--only-latest",
        "--dry-run",
        dist,
    )[0]
    assert lines(out) == [f"skipped (dry run): file_upload of pkg-1.10.tar.gz to {OUT}/alice/dev/"]
    assert not ReleaseFile.objects.exists()
    devpi("use", "alice/dev")
    out = devpi("--as", "alice", "upload", "--from-dir", "--only-latest", dist)[0]
    assert out.count("file_upload of") == 1
    assert list(ReleaseFile.objects.values_list("filename", flat=True)) == ["pkg-1.10.tar.gz"]
    assert devpi("--as", "alice", "upload", "--from-dir", dist)[0].count("file_upload of") == 3


def test_upload_errors(dev_over_pypi, bob, pypi, tmp_path):
    wheel = make_wheel(tmp_path, "pkg", "1.0")
    fails("--as", "alice", "upload", wheel, match="no current index")
    fails(
        "--as",
        "bob",
        "upload",
        "--index",
        "alice/dev",
        wheel,
        match="user 'bob' may not upload to alice/dev",
    )
    fails("upload", "--index", "root/pypi", wheel, match="may not upload to root/pypi")
    fails(
        "--as",
        "alice",
        "upload",
        "--index",
        "dev",
        tmp_path,
        match="is a directory but --from-dir not specified",
    )
    fails(
        "--as",
        "alice",
        "upload",
        "--index",
        "dev",
        tmp_path / "missing.whl",
        match="path does not exist",
    )
    (tmp_path / "empty").mkdir()
    fails(
        "--as",
        "alice",
        "upload",
        "--index",
        "dev",
        "--from-dir",
        tmp_path / "empty",
        match="no release files found",
    )
    fails(
        "--as",
        "alice",
        "upload",
        "--index",
        "dev",
        "--with-docs",
        wheel,
        match="--with-docs/--only-docs build the docs of the project here",
    )
    other = make_wheel(tmp_path / "x", "pkg", "1.0", payload="X = 2\n")
    dev_over_pypi.config["volatile"] = False
    dev_over_pypi.save()
    upload("alice", "alice/dev", wheel)
    fails(
        "--as",
        "alice",
        "upload",
        "--index",
        "dev",
        other,
        match="already exists in non-volatile index",
    )


def test_upload_builds_the_project_in_the_current_directory(dev_over_pypi, tmp_path, monkeypatch):
    tree = make_project_tree(tmp_path, "built-pkg", "0.3")
    monkeypatch.chdir(tree / "src")  # found from below, as devpi-client does
    out = devpi("--as", "alice", "upload", "--index", "alice/dev")[0]
    assert "--no-isolation" in lines(out)[0] and str(tree) in lines(out)[0]
    assert "Successfully built" in out
    assert len([line for line in lines(out) if line.startswith("built: ")]) == 2
    assert sorted(ReleaseFile.objects.values_list("filename", flat=True)) == [
        "built_pkg-0.3-py3-none-any.whl",
        "built_pkg-0.3.tar.gz",
    ]
    devpi("--as", "alice", "upload", "--index", "alice/dev", "--sdist")  # identical: no-op


def test_upload_build_errors(dev_over_pypi, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    fails("--as", "alice", "upload", "--index", "dev", match="nothing to build")
    fails(
        "--as",
        "alice",
        "upload",
        "--index",
        "dev",
        "--from-dir",
        match="--from-dir needs a directory",
    )
    (tmp_path / "pyproject.toml").write_text("[build-system\nbroken")
    fails("--as", "alice", "upload", "--index", "dev", match=r"build failed \(exit code 1\)")


@pytest.fixture
def fake_sphinx(tmp_path, monkeypatch):
    """A ``sphinx-build`` stand-in writing one page into its output directory."""
    program = script(
        tmp_path / "bin" / "sphinx-build",
        "import pathlib, sys\nout = pathlib.Path(sys.argv[-1])\n"
        "out.mkdir(parents=True, exist_ok=True)\n"
        "(out / 'index.html').write_text('<h1>docs of ' + sys.argv[-2] + '</h1>')\n"
        "print('build succeeded.')\n",
    )
    monkeypatch.setattr(cli_docs, "find_sphinx_build", lambda: str(program))
    return program


def test_upload_with_docs_and_only_docs(dev_over_pypi, tmp_path, monkeypatch, fake_sphinx):
    tree = make_project_tree(tmp_path, "doc-pkg", "1.0")
    (tree / "doc").mkdir()
    (tree / "doc" / "conf.py").write_text("project = 'doc-pkg'\n")
    monkeypatch.chdir(tree)
    out = devpi("--as", "alice", "upload", "--index", "dev", "--with-docs", "--wheel")[0]
    assert "build succeeded." in out and "[sphinx docs]" in out
    assert f"doc_upload of doc-pkg-1.0.doc.zip to {OUT}/alice/dev/" in lines(out)
    assert ReleaseFile.objects.count() == 1 and DocZip.objects.get().release.version == "1.0"
    (tree / "pyproject.toml").write_text(
        (tree / "pyproject.toml").read_text().replace('version = "1.0"', 'version = "1.1"')
    )
    out = devpi("--as", "alice", "upload", "--index", "dev", "--only-docs")[0]
    assert "file_upload" not in out and "doc_upload of doc-pkg-1.1.doc.zip" in out
    assert ReleaseFile.objects.count() == 1 and DocZip.objects.count() == 2


def test_upload_docs_errors_and_doc_zip_paths(dev_over_pypi, tmp_path, monkeypatch):
    tree = make_project_tree(tmp_path, "doc-pkg", "1.0")
    monkeypatch.chdir(tree)
    fails("--as", "alice", "upload", "--index", "dev", "--only-docs", match="no Sphinx docs in")
    (tree / "docs").mkdir()
    (tree / "docs" / "conf.py").write_text("")
    monkeypatch.setattr(cli_docs, "find_sphinx_build", lambda: None)
    fails(
        "--as", "alice", "upload", "--index", "dev", "--only-docs", match="sphinx-build not found"
    )
    monkeypatch.setattr(
        cli_docs,
        "find_sphinx_build",
        lambda: str(script(tmp_path / "sb", "import sys; sys.exit(2)\n")),
    )
    fails(
        "--as",
        "alice",
        "upload",
        "--index",
        "dev",
        "--only-docs",
        match=r"sphinx-build failed \(exit code 2\)",
    )
    # a built NAME-VERSION.doc.zip given as a path
    upload("alice", "alice/dev", make_wheel(tmp_path, "doc-pkg", "1.0"))
    doczip = tmp_path / "doc_pkg-1.0.doc.zip"
    import zipfile

    with zipfile.ZipFile(doczip, "w") as zf:
        zf.writestr("index.html", "<p>docs</p>")
    assert "doc_upload of doc_pkg-1.0.doc.zip" in upload("alice", "alice/dev", doczip)
    assert DocZip.objects.get().filename == "doc-pkg-1.0.doc.zip"


# -- list --------------------------------------------------------------------------------------


def test_list_projects_and_files_per_index(dev_over_pypi, prod, tmp_path):
    dev_over_pypi.config["bases"] = ["alice/prod", "root/pypi"]
    dev_over_pypi.save()
    upload("alice", "alice/prod", make_sdist(tmp_path / "p", "pkg", "1.0"))
    upload(
        "alice",
        "alice/dev",
        make_sdist(tmp_path / "d", "pkg", "1.0", requires_python=">=3"),
        make_wheel(tmp_path / "d", "pkg", "1.0"),
        make_wheel(tmp_path, "pkg", "2.0"),
        make_wheel(tmp_path, "other", "1.0"),
    )
    devpi("use", "alice/dev")
    assert lines(devpi("list")[0]) == ["other", "pkg"]
    assert lines(devpi("list", "--index", "alice/prod")[0]) == ["pkg"]
    dev_f = {
        rf.filename: f"{OUT}/alice/dev/+f/{rf.hash_path}"
        for rf in ReleaseFile.objects.filter(index=dev_over_pypi)
    }
    prod_f = {
        rf.filename: f"{OUT}/alice/prod/+f/{rf.hash_path}"
        for rf in ReleaseFile.objects.filter(index=prod)
    }
    assert lines(devpi("list", "pkg")[0]) == [
        dev_f["pkg-2.0-py3-none-any.whl"],
        dev_f["pkg-1.0-py3-none-any.whl"],
        dev_f["pkg-1.0.tar.gz"],
        prod_f["pkg-1.0.tar.gz"],  # shadowed by dev's copy, listed after it
    ]
    assert lines(devpi("list", "pkg==1.0", "--ignore-bases")[0]) == [
        dev_f["pkg-1.0-py3-none-any.whl"],
        dev_f["pkg-1.0.tar.gz"],
    ]
    assert lines(devpi("list", "pkg>1")[0]) == [dev_f["pkg-2.0-py3-none-any.whl"]]
    assert devpi("list", "pkg>5")[0] == ""


def test_list_shows_newest_three_versions_unless_all(dev_over_pypi, tmp_path):
    for version in ("1", "2", "3", "4", "5"):
        upload("alice", "alice/dev", make_wheel(tmp_path, "pkg", version))
    out = devpi("list", "--index", "alice/dev", "pkg")[0]
    assert [u.rsplit("/", 1)[1] for u in urls(out)] == [
        "pkg-5-py3-none-any.whl",
        "pkg-4-py3-none-any.whl",
        "pkg-3-py3-none-any.whl",
    ]
    assert lines(out)[-1] == "2 older versions not shown, use --all to see"
    assert len(urls(devpi("list", "--index", "alice/dev", "--all", "pkg")[0])) == 5


def test_list_includes_mirror_files(dev_over_pypi, pypi):
    mirror_cache_project(pypi, "mirrored", [mirror_link("mirrored-1.0-py3-none-any.whl", "1.0")])
    out = devpi("list", "--index", "alice/dev", "mirrored")[0]
    assert urls(out) and urls(out)[0].startswith(f"{OUT}/root/pypi/+f/")
    assert urls(out)[0].endswith("/mirrored-1.0-py3-none-any.whl")


def test_list_with_toxresults(dev_over_pypi, tmp_path):
    upload("alice", "alice/dev", make_sdist(tmp_path, "pkg", "1.0"))
    from toxresults.services import toxresult_store

    rf = ReleaseFile.objects.get()
    report = {
        "reportversion": "1",
        "toxversion": "4",
        "platform": "linux",
        "host": "ci",
        "testenvs": {
            "py": {
                "python": {"version": "3.11.7 (main)"},
                "setup": [{"command": ["pip"], "retcode": 0}],
                "test": [{"command": ["pytest"], "retcode": 0}],
            }
        },
    }
    toxresult_store(file=rf, body=json.dumps(report).encode(), user=None)
    url = f"{OUT}/alice/dev/+f/{rf.hash_path}"
    assert lines(devpi("list", "--index", "alice/dev", "pkg")[0]) == [url]
    assert lines(devpi("list", "--index", "alice/dev", "-t", "pkg")[0]) == [
        url,
        "ci         linux   py         3.11.7 tests passed",
    ]


def test_list_errors(dev_over_pypi, pypi):
    fails("list", "pkg", match="no current index")
    fails("list", "--index", "alice/dev", "pkg[x]", match="invalid release specification")
    fails(
        "list",
        "--index",
        "alice/dev",
        "--ignore-bases",
        "nothing",
        match="The project nothing does not exist on alice/dev",
    )
    # the mirror's upstream is down and nobody else has the project
    fails("list", "--index", "alice/dev", "nothing", match="error .* getting http://127.0.0.1:9/")


# -- remove ------------------------------------------------------------------------------------


def test_remove_version_then_project(dev_over_pypi, prod, tmp_path):
    dev_over_pypi.config["bases"] = ["alice/prod"]
    dev_over_pypi.save()
    upload("alice", "alice/prod", make_wheel(tmp_path / "p", "pkg", "1.0"))
    upload(
        "alice", "alice/dev", make_wheel(tmp_path, "pkg", "1.0"), make_wheel(tmp_path, "pkg", "2.0")
    )
    devpi("use", "alice/dev")
    v2 = ReleaseFile.objects.get(index=dev_over_pypi, filename="pkg-2.0-py3-none-any.whl")
    out, _ = devpi("--as", "alice", "remove", "-y", "pkg==2.0")
    assert lines(out) == [
        "About to remove the following releases and distributions",
        "version: 2.0",
        f"  - {OUT}/alice/dev/+f/{v2.hash_path}",
        "Are you sure (yes/no)? yes (autoset from -y option)",
        "deleting release 2.0 of pkg",
    ]
    out, _ = devpi("--as", "alice", "remove", "pkg", stdin="yes\n")
    assert "deleting release 1.0 of pkg" in out
    assert not ReleaseFile.objects.filter(index=dev_over_pypi).exists()
    # prod's copy, inherited, is untouched and still listed
    assert urls(devpi("list", "pkg")[0]) == [
        f"{OUT}/alice/prod/+f/{ReleaseFile.objects.get(index=prod).hash_path}"
    ]
    fails(
        "--as",
        "alice",
        "remove",
        "-y",
        "pkg",
        match="No releases or distributions found matching 'pkg' on alice/dev",
    )


def test_remove_asks_and_refuses(dev_over_pypi, bob, tmp_path):
    upload("alice", "alice/dev", make_wheel(tmp_path, "pkg", "1.0"))
    devpi("use", "alice/dev")
    out, err = devpi("--as", "alice", "remove", "pkg", stdin="no\n")
    assert "Are you sure (yes/no)? " in out and "not deleting anything" in err
    assert ReleaseFile.objects.exists()
    devpi("--as", "alice", "remove", "pkg")  # no answer at all: nothing removed
    assert ReleaseFile.objects.exists()
    fails(
        "--as",
        "bob",
        "remove",
        "-y",
        "pkg",
        match="user 'bob' may not remove releases from alice/dev",
    )
    fails("remove", "-y", "pkg[x]", match="invalid release specification")
    assert ReleaseFile.objects.exists()


def test_remove_on_non_volatile_index_needs_force_by_owner_or_root(prod, bob, root, tmp_path):
    prod.config["acl_upload"] = ["alice", "bob"]
    prod.save()
    upload(
        "alice",
        "alice/prod",
        make_wheel(tmp_path, "pkg", "1.0"),
        make_wheel(tmp_path, "pkg", "2.0"),
    )
    fails(
        "--as",
        "alice",
        "remove",
        "--index",
        "alice/prod",
        "-y",
        "pkg==1.0",
        match="cannot delete on non-volatile index alice/prod",
    )
    fails(
        "--as",
        "bob",
        "remove",
        "--index",
        "alice/prod",
        "-y",
        "-f",
        "pkg==1.0",
        match="only the owner or root may force removal",
    )
    assert ReleaseFile.objects.count() == 2
    devpi("--as", "alice", "remove", "--index", "alice/prod", "-y", "-f", "pkg==1.0")
    devpi("remove", "--index", "alice/prod", "-y", "--force", "pkg==2.0")  # root
    assert not ReleaseFile.objects.exists()


def test_remove_one_file_by_url(dev_over_pypi, prod, tmp_path):
    upload(
        "alice", "alice/dev", make_wheel(tmp_path, "pkg", "1.0"), make_sdist(tmp_path, "pkg", "1.0")
    )
    wheel = ReleaseFile.objects.get(filename="pkg-1.0-py3-none-any.whl")
    url = f"{OUT}/alice/dev/+f/{wheel.hash_path}"
    out, _ = devpi("--as", "alice", "remove", "-y", url)
    assert lines(out)[:2] == ["About to remove the following file:", url]
    assert lines(out)[-1] == "deleted pkg-1.0-py3-none-any.whl from alice/dev"
    assert list(ReleaseFile.objects.values_list("filename", flat=True)) == ["pkg-1.0.tar.gz"]
    fails("--as", "alice", "remove", "-y", url, match="existed, deleted")
    fails(
        "--as", "alice", "remove", "-y", f"{OUT}/alice/dev/pkg", match="is not a release file URL"
    )
    upload("alice", "alice/prod", make_wheel(tmp_path, "pkg", "1.0"))
    prod_url = f"{OUT}/alice/prod/+f/{ReleaseFile.objects.get(index=prod).hash_path}"
    fails("--as", "alice", "remove", "-y", prod_url, match="non-volatile index alice/prod")
    out, err = devpi("--as", "alice", "remove", prod_url, "-f")
    assert "not deleting anything" in err and ReleaseFile.objects.filter(index=prod).exists()


# -- push --------------------------------------------------------------------------------------


def test_push_to_another_index(dev_over_pypi, prod, bob, tmp_path):
    upload(
        "alice", "alice/dev", make_wheel(tmp_path, "pkg", "1.0"), make_sdist(tmp_path, "pkg", "1.0")
    )
    devpi("use", "alice/dev")
    out, _ = devpi("--as", "alice", "push", "pkg==1.0", "alice/prod")
    assert lines(out)[0] == "   200 register pkg 1.0 -> alice/prod"
    assert sum("200 store_releasefile alice/prod/+f/" in line for line in lines(out)) == 2
    assert ReleaseFile.objects.filter(index=prod).count() == 2
    # non-volatile target: the same files again conflict
    fails("--as", "alice", "push", "pkg==1.0", "alice/prod", match="non-volatile")
    # no upload right on the target
    stage(bob, "mine")
    fails(
        "--as",
        "alice",
        "push",
        "pkg==1.0",
        "bob/mine",
        match="user 'alice' cannot upload to 'bob/mine'",
    )
    assert not ReleaseFile.objects.filter(index__name="mine").exists()
    # the old NAME-VERSION form still works, with a warning
    out, err = devpi("--as", "bob", "push", "--index", "alice/dev", "pkg-1.0", "bob/mine")
    assert "Old style package specification is deprecated" in err
    assert "200 register pkg 1.0 -> bob/mine" in out


def test_push_errors(dev_over_pypi, prod, tmp_path, monkeypatch):
    devpi("use", "alice/dev")
    fails("push", "pkg", "alice/prod", match="needs to be of this form: name==version")
    fails(
        "push",
        "--no-docs",
        "--only-docs",
        "pkg==1.0",
        "alice/prod",
        match="can't use '--no-docs' and '--only-docs' together",
    )
    fails("push", "pkg==1.0", "a/b/c", match="not of form USER/NAME or pypi:REPONAME")
    fails("push", "pkg==1.0", "alice/nope", match="The stage alice/nope could not be found")
    fails(
        "push",
        "--register-project",
        "pkg==1.0",
        "alice/prod",
        match="--register-project only applies to pypi:REPO targets",
    )
    fails(
        "--as",
        "alice",
        "push",
        "pkg==1.0",
        "alice/prod",
        match="there are no files for pkg 1.0 on stage alice/dev",
    )
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    fails(
        "push",
        "pkg==1.0",
        "pypi:testrun",
        match=f"no pypirc file found at: {tmp_path / 'home' / '.pypirc'}",
    )
    (tmp_path / "pypirc").write_text("[other]\nusername = u\npassword = p\n")
    fails(
        "push",
        "--pypirc",
        tmp_path / "pypirc",
        "pkg==1.0",
        "pypi:testrun",
        match=r"no section \[testrun\]",
    )


def test_push_external_failure_shows_the_actionlog(dev_over_pypi, tmp_path):
    upload("alice", "alice/dev", make_wheel(tmp_path, "pkg", "1.0"))
    pypirc = tmp_path / "pypirc"
    pypirc.write_text(
        "[down]\nrepository = http://127.0.0.1:9/legacy/\nusername = u\npassword = p\n"
    )
    out = io.StringIO()
    fails(
        "--as",
        "alice",
        "push",
        "--index",
        "alice/dev",
        "--pypirc",
        pypirc,
        "pkg==1.0",
        "pypi:down",
        match="error pushing .* to http://127.0.0.1:9/legacy/",
        out=out,
    )
    assert lines(out.getvalue())[0] == f"using pypirc {pypirc}"
    assert lines(out.getvalue())[1].startswith("   -1 exception on ")


# -- install and test over HTTP (pytest-django's live server) ----------------------------------


@pytest.fixture
def served(settings, live_server):
    settings.DEVPI = {**settings.DEVPI, "OUTSIDE_URL": live_server.url}
    return live_server.url


@pytest.fixture
def fake_pip(tmp_path):
    """A venv whose ``pip`` records its arguments and environment."""
    record = tmp_path / "pip-calls.json"
    script(
        tmp_path / "venv" / "bin" / "pip",
        "import json, os, sys\n"
        f"open({str(record)!r}, 'a').write(json.dumps({{'argv': sys.argv[1:], "
        "'pre': os.environ.get('PIP_PRE')}) + '\\n')\n"
        "print('pip ran')\nsys.exit(int(os.environ.get('FAKE_PIP_EXIT', '0')))\n",
    )
    return tmp_path / "venv", record


def calls(record: Path) -> list[dict]:
    return [json.loads(line) for line in record.read_text().splitlines()]


def test_install_runs_pip_with_the_index_and_a_token(dev_over_pypi, fake_pip, monkeypatch):
    venv, record = fake_pip
    devpi("use", "alice/dev")
    out, _ = devpi("--as", "alice", "install", "--venv", venv, "pkg", "other>=1")
    (call,) = calls(record)
    assert call["argv"][:3] == ["install", "-U", "-i"] and call["argv"][4:] == ["pkg", "other>=1"]
    assert call["pre"] == "1"
    index = urlsplit(call["argv"][3])
    assert index.path == "/alice/dev/+simple/" and index.username == "alice"
    assert token_user("alice", unquote(index.password)).username == "alice"
    assert "alice:****@" in lines(out)[0] and index.password not in out
    assert "pip ran" in out
    devpi("install", "--venv", venv, "-l")
    devpi("install", "--venv", venv, "-r", "reqs.txt")
    devpi("install", "--venv", venv, "-e", ".")
    argvs = [c["argv"] for c in calls(record)[1:]]
    assert argvs[0] == ["list"]
    assert argvs[1][-2:] == ["--requirement", "reqs.txt"]
    assert argvs[2][-2:] == ["--editable", "."]


def test_install_errors(dev_over_pypi, fake_pip, tmp_path, monkeypatch):
    venv, _record = fake_pip
    devpi("use", "alice/dev")
    fails("install", "--venv", venv, match="nothing to install")
    fails(
        "install", "--venv", venv, "-e", ".", "pkg", match="cannot specify packages and --editable"
    )
    fails("install", "--venv", tmp_path / "nothing", "pkg", match="no virtualenv at")
    monkeypatch.setenv("FAKE_PIP_EXIT", "3")
    fails("install", "--venv", venv, "pkg", match=r"pip install failed \(exit code 3\)")
    fails("install", "--venv", venv, "-l", match=r"pip list failed \(exit code 3\)")


FAKE_TOX = """import json, os, sys
args = sys.argv[1:]
report = args[args.index("--result-json") + 1]
record = os.environ["FAKE_TOX_RECORD"]
with open(record, "a") as fh:
    fh.write(json.dumps({"argv": args, "cwd": os.getcwd(),
                         "index": os.environ.get("PIP_INDEX_URL")}) + "\\n")
code = int(os.environ.get("FAKE_TOX_EXIT", "0"))
data = {"reportversion": "1", "toxversion": "4", "platform": "linux", "host": "ci",
        "testenvs": {"py": {"python": {"version": "3.11.7 (main)"},
                            "setup": [{"command": ["pip"], "retcode": 0}],
                            "test": [{"command": ["python"], "retcode": code}]}}}
if os.environ.get("FAKE_TOX_NO_REPORT") != "1":
    json.dump(data, open(report, "w"))
print("fake tox ran", args[args.index("--installpkg") + 1])
sys.exit(code)
"""


@pytest.fixture
def fake_tox(tmp_path, monkeypatch):
    program = script(tmp_path / "bin" / "tox", FAKE_TOX)
    record = tmp_path / "tox-calls.json"
    monkeypatch.setenv("FAKE_TOX_RECORD", str(record))
    monkeypatch.setattr(testing, "find_tox", lambda: str(program))
    return record


def sdist_with_tox_ini(directory: Path, name: str, version: str) -> Path:
    import tarfile

    path = make_sdist(directory, name, version)
    base = f"{name}-{version}"
    extra = tarfile.TarInfo(f"{base}/tox.ini")
    body = b"[tox]\nenvlist = py\n"
    extra.size = len(body)
    with tarfile.open(path) as tf:
        members = []
        for member in tf.getmembers():
            content = tf.extractfile(member)
            assert content is not None  # make_sdist writes regular files only
            members.append((member, content.read()))
    with tarfile.open(path, "w:gz") as tf:
        for member, data in members:
            tf.addfile(member, io.BytesIO(data))
        tf.addfile(extra, io.BytesIO(body))
    return path


@pytest.mark.django_db(transaction=True)
def test_test_runs_tox_and_posts_the_reports(served, dev_over_pypi, fake_tox, tmp_path):
    sdist = sdist_with_tox_ini(tmp_path, "pkg", "1.0")
    universal = make_wheel(tmp_path / "u", "pkg", "1.0")
    universal = universal.rename(universal.with_name("pkg-1.0-py2.py3-none-any.whl"))
    upload("alice", "alice/dev", sdist, universal, make_wheel(tmp_path, "pkg", "0.9"))
    devpi("use", "alice/dev")
    out, err = devpi("--as", "alice", "test", "pkg")
    files = {
        rf.filename: f"{served}/alice/dev/+f/{rf.hash_path}" for rf in ReleaseFile.objects.all()
    }
    assert f"received {files['pkg-1.0.tar.gz']}" in lines(out)
    assert f"received {files['pkg-1.0-py2.py3-none-any.whl']}" in lines(out)
    assert any(line.startswith("unpacking ") for line in lines(out))
    assert f"posting tox result data to {files['pkg-1.0.tar.gz']}" in lines(out)
    assert out.count("successfully posted tox result data") == 2
    sdist_call, wheel_call = calls(fake_tox)
    assert sdist_call["argv"][1].endswith("/pkg-1.0.tar.gz")
    assert wheel_call["argv"][1].endswith("/pkg-1.0-py2.py3-none-any.whl")
    assert sdist_call["argv"][sdist_call["argv"].index("-c") + 1].endswith("pkg-1.0/tox.ini")
    assert wheel_call["cwd"] == sdist_call["cwd"]  # the sdist's tox configuration
    index = urlsplit(sdist_call["index"])
    assert index.path == "/alice/dev/+simple/"
    assert token_user("alice", unquote(index.password)) is not None
    assert "****" in out and index.password not in out
    listed = devpi("list", "-t", "pkg==1.0")[0]
    assert lines(listed) == [
        files["pkg-1.0-py2.py3-none-any.whl"],
        "ci         linux   py         3.11.7 tests passed",
        files["pkg-1.0.tar.gz"],
        "ci         linux   py         3.11.7 tests passed",
    ]


@pytest.mark.django_db(transaction=True)
def test_test_options_and_failures(served, dev_over_pypi, fake_tox, tmp_path, monkeypatch):
    upload(
        "alice",
        "alice/dev",
        sdist_with_tox_ini(tmp_path, "pkg", "1.0"),
        make_wheel(tmp_path, "pkg", "1.0"),
    )
    devpi("use", "alice/dev")
    out, err = devpi("test", "-l", "pkg")
    assert lines(out)[0] == "would test:" and len(lines(out)) == 2
    assert "only universal wheels are tested without --select" in err
    assert not fake_tox.exists()
    out, _ = devpi("test", "--no-upload", "-e", "py311", "--tox-args=-- -x", "pkg")
    assert "posting" not in out
    (call,) = calls(fake_tox)
    assert call["argv"][-4:] == ["-e", "py311", "--", "-x"]
    assert ReleaseFile.objects.get(filename="pkg-1.0.tar.gz").toxresults.count() == 0
    devpi("test", "--select", "none-any", "pkg")  # the wheel too, with the sdist's tox.ini
    assert len(calls(fake_tox)) == 3
    monkeypatch.setenv("FAKE_TOX_EXIT", "1")
    fails("test", "pkg==1.0", "--select", "tar", match="tox command failed 1 for pkg-1.0.tar.gz")
    assert "tests failed" in devpi("list", "-t", "pkg")[0]  # the report was posted anyway
    monkeypatch.setenv("FAKE_TOX_EXIT", "0")
    monkeypatch.setenv("FAKE_TOX_NO_REPORT", "1")
    fails("test", "pkg", "--select", "tar", match="tox wrote no report for pkg-1.0.tar.gz")


@pytest.mark.django_db(transaction=True)
def test_test_errors(served, dev_over_pypi, fake_tox, tmp_path, monkeypatch, settings):
    dev_over_pypi.config["bases"] = []  # no mirror: an unknown project is a 404
    dev_over_pypi.save()
    devpi("use", "alice/dev")
    upload(
        "alice",
        "alice/dev",
        make_wheel(tmp_path, "wheelonly", "1.0"),
        make_sdist(tmp_path, "notox", "1.0"),
    )
    fails("test", "nothing", match=r"GET .*/alice/dev/nothing: 404")
    fails("test", "wheelonly", match="need at least one sdist")
    fails("test", "notox", match="no tox.ini/pyproject.toml/setup.cfg file found")
    fails("test", "notox>5", match="could not find/receive links for notox>5")
    fails(
        "test",
        "notox",
        "--fallback-ini",
        tmp_path / "missing.ini",
        match="no tox.ini/pyproject.toml/setup.cfg file found",
    )
    monkeypatch.setattr(testing, "find_tox", lambda: None)
    fails("test", "notox", match="no tox binary found")
    settings.DEVPI = {**settings.DEVPI, "OUTSIDE_URL": "http://127.0.0.1:9"}
    monkeypatch.setattr(testing, "find_tox", lambda: "tox")
    fails("test", "notox", match="cannot reach http://127.0.0.1:9/alice/dev/notox")


@pytest.mark.django_db(transaction=True)
def test_test_report_refused_by_the_server(served, dev_over_pypi, fake_tox, tmp_path):
    upload("alice", "alice/dev", sdist_with_tox_ini(tmp_path, "pkg", "1.0"))
    dev_over_pypi.config["acl_toxresult_upload"] = ["alice"]
    dev_over_pypi.save()
    devpi("use", "alice/dev")
    fails("--as", "root", "test", "pkg", match="could not post tox result data to .*: 403")
    assert "successfully posted" in devpi("--as", "alice", "test", "pkg")[0]


@pytest.mark.django_db(transaction=True)
def test_push_external_to_an_index_of_the_live_server(served, dev_over_pypi, bob, tmp_path):
    upload("alice", "alice/dev", make_wheel(tmp_path, "pkg", "1.0"))
    stage(bob, "ext")
    pypirc = tmp_path / "pypirc"
    pypirc.write_text(f"[ext]\nrepository = {served}/bob/ext/\nusername = bob\npassword = pw\n")
    out, _ = devpi(
        "--as", "alice", "push", "--index", "alice/dev", "--pypirc", pypirc, "pkg==1.0", "pypi:ext"
    )
    assert lines(out)[0] == f"using pypirc {pypirc}"
    assert ReleaseFile.objects.filter(index__name="ext").count() == 1
    pypirc.write_text(f"[ext]\nrepository = {served}/bob/ext/\nusername = bob\npassword = no\n")
    fails(
        "--as",
        "alice",
        "push",
        "--index",
        "alice/dev",
        "--pypirc",
        pypirc,
        "pkg==1.0",
        "pypi:ext",
        match="40[13]",
    )
