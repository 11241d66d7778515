"""Unit tests of the ``client`` app's helpers: the logic behind ``manage.py devpi``."""

from __future__ import annotations

import io
import json
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from client import (
    current,
    docs,
    getjson,
    keyvalues,
    listing,
    procs,
    pypirc,
    server,
    show,
    specs,
    testing,
    upload,
)
from indexes.errors import Invalid, NotFound
from tests import bombs
from tests.factories import make_project_tree, make_sdist, make_wheel

# -- keyvalues ------------------------------------------------------------------------


def test_keyvalue_dict_splits_at_the_first_equal_sign():
    assert keyvalues.keyvalue_dict(["password=", "title=a=b", "email=x@y"]) == {
        "password": "",
        "title": "a=b",
        "email": "x@y",
    }


@pytest.mark.parametrize("items", [["novalue"], ["=x"], ["a=1", "b"]])
def test_keyvalues_without_equal_sign_are_refused(items):
    with pytest.raises(Invalid, match="arguments must be of the form NAME=VALUE"):
        keyvalues.check_keyvalues(items)


@pytest.mark.parametrize("item", ["bases+=x", "acl_upload-=bob"])
def test_keyvalue_dict_refuses_list_operations(item):
    with pytest.raises(Invalid, match="only works when modifying an index"):
        keyvalues.keyvalue_dict([item])


def test_first_positional_with_equal_sign_is_a_keyvalue():
    assert keyvalues.split_name_and_keyvalues("volatile=False", ["x=1"]) == (
        None,
        ["volatile=False", "x=1"],
    )
    assert keyvalues.split_name_and_keyvalues("dev", ["x=1"]) == ("dev", ["x=1"])
    assert keyvalues.split_name_and_keyvalues(None, []) == (None, [])


# -- specs ------------------------------------------------------------------------------


def test_spec_matches_versions():
    spec = specs.parse_spec("Pkg_Name>=1.0,<2")
    assert spec.project == "pkg-name" and spec.has_versions
    assert spec.matches("1.5") and spec.matches("1.6rc1") and not spec.matches("2.0")
    assert not spec.matches("not a version")
    assert specs.parse_spec("pkg").matches("anything") and not specs.parse_spec("pkg").has_versions
    legacy = specs.parse_spec("pkg===1.0-custom")
    assert legacy.exact_version == "1.0-custom" and legacy.matches("1.0-custom")


@pytest.mark.parametrize(
    "text", ["pkg[extra]", "pkg @ https://x/y.whl", "pkg; python_version<'3'", "not a spec!"]
)
def test_invalid_specs(text):
    with pytest.raises(Invalid, match="invalid release specification"):
        specs.parse_spec(text)


def test_parse_release_forms():
    assert specs.parse_release("pkg==1.0") == ("pkg", "1.0", False)
    assert specs.parse_release("my-pkg-1.0") == ("my-pkg", "1.0", True)
    for text in ("pkg", "pkg>=1.0", "pkg-dev"):
        with pytest.raises(Invalid, match="name==version"):
            specs.parse_release(text)


def test_newest_first_puts_legacy_versions_last():
    assert specs.newest_first(["1.0", "2.0rc1", "10.0", "weird", "2.0"]) == [
        "10.0",
        "2.0",
        "2.0rc1",
        "1.0",
        "weird",
    ]


# -- current index and server URLs ------------------------------------------------------


@pytest.fixture
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    return settings.DATA_DIR


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("dev", "alice/dev"),
        ("bob/prod", "bob/prod"),
        ("/bob/prod/", "bob/prod"),
        ("http://host:3141/bob/prod", "bob/prod"),
        ("http://host/bob/prod/+simple/", "bob/prod"),
    ],
)
def test_resolve_index_name(spec, expected):
    assert current.resolve_index_name(spec, acting="alice") == expected


@pytest.mark.parametrize("spec", ["a/b/c", "/dev", "a b/c", "http://host/", ""])
def test_resolve_index_name_refuses(spec):
    with pytest.raises(Invalid, match="not of form USER/NAME or NAME"):
        current.resolve_index_name(spec, acting="alice")


def test_state_file_round_trip(data_dir):
    assert current.current_index_name() is None
    current.set_current_index("alice/dev")
    assert current.current_index_name() == "alice/dev"
    assert json.loads((data_dir / current.STATE_FILENAME).read_text()) == {"index": "alice/dev"}
    assert [p.name for p in data_dir.iterdir()] == [current.STATE_FILENAME]  # no temp left
    current.set_current_index(None)
    assert current.current_index_name() is None
    assert current.forget_state() is True and current.forget_state() is False


def test_broken_state_file_is_one_clear_error(data_dir):
    data_dir.mkdir()
    (data_dir / current.STATE_FILENAME).write_text("{not json")
    with pytest.raises(Invalid, match="cannot read .*devpi-use.json"):
        current.current_index_name()


def test_index_for_without_current_index(data_dir):
    with pytest.raises(Invalid, match="no current index"):
        current.index_for(None, acting="alice")


def test_server_url_from_outside_url_or_host_and_port(settings, monkeypatch):
    settings.DEVPI = {**settings.DEVPI, "OUTSIDE_URL": "https://pkgs.example/"}
    assert server.server_url() == "https://pkgs.example"
    settings.DEVPI = {**settings.DEVPI, "OUTSIDE_URL": None}
    monkeypatch.setattr(server.env, "PORT", 4040)
    for host, expected in (
        ("0.0.0.0", "127.0.0.1"),
        ("::", "[::1]"),
        ("::1", "[::1]"),
        ("devpi.local", "devpi.local"),
    ):
        monkeypatch.setattr(server.env, "HOST", host)
        assert server.server_url() == f"http://{expected}:4040"
    assert server.simple_url("a/b") == "http://devpi.local:4040/a/b/+simple/"


def test_credentials_in_urls_are_quoted_and_masked():
    url = server.with_credentials("http://h:1/a/b/+simple/", "al ice", "t.o:k")
    assert url == "http://al%20ice:t.o%3Ak@h:1/a/b/+simple/"
    assert server.masked(url) == "http://al%20ice:****@h:1/a/b/+simple/"
    assert server.masked("http://h:1/x") == "http://h:1/x"


# -- show -------------------------------------------------------------------------------


def test_index_config_lines_in_devpi_client_order():
    lines = show.index_config_lines(
        "http://h/a/dev",
        {
            "type": "stage",
            "volatile": True,
            "title": "T",
            "bases": ["root/pypi", "a/x"],
            "acl_upload": ["a"],
            "projects": ["p"],
            "mirror_whitelist": [],
        },
    )
    assert lines == [
        "http://h/a/dev:",
        "  type=stage",
        "  bases=root/pypi,a/x",
        "  volatile=True",
        "  acl_upload=a",
        "  mirror_whitelist=",
        "  title=T",
    ]


def test_user_config_lines_and_index_list_line():
    assert show.user_config_lines("http://h/a", {"username": "a", "email": "e", "indexes": {}}) == [
        "http://h/a:",
        "  email=e",
    ]
    assert show.index_list_line("a/dev", {"bases": ["root/pypi"], "volatile": False}) == (
        "a/dev           bases=root/pypi       volatile=False"
    )


# -- upload -----------------------------------------------------------------------------


def test_read_archive_takes_the_metadata_as_twine_sends_it(tmp_path):
    wheel = make_wheel(tmp_path, "My.Pkg", "1.0", requires_python=">=3.8", requires=["a>=1", "b"])
    archive = upload.read_archive(wheel)
    assert (archive.name, archive.version) == ("My.Pkg", "1.0")
    assert archive.form.getlist("requires_dist") == ["a>=1", "b"]
    assert archive.form.get("requires_python") == ">=3.8"
    assert archive.form.get(":action") == "file_upload"
    assert archive.form.get("filetype") == "bdist_wheel"
    sdist = upload.read_archive(make_sdist(tmp_path, "My.Pkg", "1.0"))
    assert sdist.form.get("filetype") == "sdist" and sdist.form.get("pyversion") == "source"


def test_metadata_form_field_names_and_body_description():
    fields = upload.metadata_form(
        b"Metadata-Version: 2.1\nName: x\nVersion: 1\nClassifier: A\nClassifier: B\n"
        b"Project-URL: Home, https://h\nProvides-Extra: test\nHome-page: https://h\n\n"
        b"The long description.\n"
    )
    assert fields["classifiers"] == ["A", "B"]
    assert fields["project_urls"] == ["Home, https://h"]
    assert fields["provides_extra"] == ["test"] and fields["home_page"] == ["https://h"]
    assert fields["description"] == ["The long description.\n"]


def test_metadata_form_keeps_non_ascii_text():
    """UTF-8 core metadata (what build writes) arrives intact: author names,
    summaries and the description body, including folded header lines."""
    text = (
        "Metadata-Version: 2.1\nName: x\nVersion: 1\nSummary: Grüße aus Köln ✓\n"
        "Author: Jürgen Müller, 山田太郎\nAuthor-email: Jürgen <j@example.com>\n"
        "Keywords: a,b\nPlatform: any\nLicense: first line\n        second line\n"
        "X-Unknown-Field: kept\n\nÉtude — la description, 説明.\n"
    )
    fields = upload.metadata_form(text.encode("utf-8"))
    assert fields["summary"] == ["Grüße aus Köln ✓"]
    assert fields["author"] == ["Jürgen Müller, 山田太郎"]
    assert fields["author_email"] == ["Jürgen <j@example.com>"]
    assert fields["description"] == ["Étude — la description, 説明.\n"]
    assert fields["keywords"] == ["a,b"] and fields["platform"] == ["any"]
    assert fields["license"][0].startswith("first line") and "second line" in fields["license"][0]
    assert fields["x_unknown_field"] == ["kept"]


@pytest.mark.django_db
def test_upload_stores_non_ascii_metadata(tmp_path, django_user_model, blob_dir):
    from indexes.services.indexes import index_create

    owner = django_user_model.objects.create(username="u")
    index = index_create(owner=owner, name="dev", data={})
    wheel = make_wheel(tmp_path, "uni", "1.0")
    import zipfile

    patched = tmp_path / "out" / wheel.name
    patched.parent.mkdir()
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(patched, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename.endswith("METADATA"):
                data = data.replace(b"\n\n", "\nAuthor: Zoë Ångström\n\n".encode(), 1)
            dst.writestr(item, data)
    archive = upload.read_archive(patched)
    upload.upload_archive(index=index, user=owner, archive=archive)
    from indexes.models import Release

    assert Release.objects.get(project__name="uni").metadata["author"] == "Zoë Ångström"


def test_no_module_imports_pip_internals():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    offenders = [
        str(p.relative_to(root))
        for d in ("devpi_django", "indexes", "mirror", "toxresults", "ops", "bench", "tests")
        for p in (root / d).rglob("*.py")
        if "pip._internal" in p.read_text() and p.name != "test_cli.py"
    ]
    assert offenders == []


def test_read_archive_refuses_files_without_metadata(tmp_path):
    bare = tmp_path / "pkg-1.0.tar.gz"
    with tarfile.open(bare, "w:gz") as tf:
        info = tarfile.TarInfo("pkg-1.0/setup.py")
        info.size = 2
        tf.addfile(info, io.BytesIO(b"#\n"))
    with pytest.raises(Invalid, match="does not contain PKG-INFO or METADATA"):
        upload.read_archive(bare)
    broken = tmp_path / "pkg-1.0-py3-none-any.whl"
    broken.write_bytes(b"not a zip")
    with pytest.raises(Invalid, match="cannot read archive"):
        upload.read_archive(broken)


def test_find_archives_and_only_latest(tmp_path):
    dist = tmp_path / "dist"
    old = make_sdist(dist / "a", "pkg", "1.0")
    new = make_wheel(dist / "b", "pkg", "1.10")
    other = make_wheel(dist, "other", "0.1")
    (dist / "notes.txt").write_text("x")
    found = upload.find_archives([dist], from_dir=True)
    assert sorted(found) == sorted([old, new, other])
    latest = upload.only_latest([upload.read_archive(p) for p in found])
    assert sorted(a.path for a in latest) == sorted([new, other])
    with pytest.raises(Invalid, match="is a directory but --from-dir not specified"):
        upload.find_archives([dist], from_dir=False)
    with pytest.raises(Invalid, match="path does not exist"):
        upload.find_archives([tmp_path / "nope.whl"], from_dir=False)


def test_find_project_dir_and_build_command(tmp_path):
    tree = make_project_tree(tmp_path, "pkg", "1.0")
    (tree / "src" / "deep").mkdir()
    assert upload.find_project_dir(tree / "src" / "deep") == tree
    with pytest.raises(Invalid, match="nothing to build"):
        upload.find_project_dir(tmp_path)
    cmd = upload.build_command(tree, tmp_path / "out", sdist=True)
    assert cmd == [
        sys.executable,
        "-m",
        "build",
        "--no-isolation",
        "--outdir",
        str(tmp_path / "out"),
        "--sdist",
        str(tree),
    ]


# -- docs -------------------------------------------------------------------------------


def test_doczip_names():
    assert docs.doczip_name_version(Path("my-pkg-1.0.doc.zip")) == ("my-pkg", "1.0")
    assert docs.doczip_name_version(Path("pkg.doc.zip")) == ("pkg", None)
    assert docs.is_doczip(Path("x-1.doc.zip")) and not docs.is_doczip(Path("x-1.zip"))
    latest = docs.only_latest(
        [(Path("a"), "pkg", "1.0"), (Path("b"), "pkg", "2.0"), (Path("c"), "other", None)]
    )
    assert [d[0].name for d in latest] == ["b", "c"]


def test_find_doc_source(tmp_path):
    with pytest.raises(Invalid, match="no Sphinx docs"):
        docs.find_doc_source(tmp_path, tmp_path / "out")
    (tmp_path / "docs" / "source").mkdir(parents=True)
    (tmp_path / "docs" / "source" / "conf.py").write_text("")
    assert docs.find_doc_source(tmp_path, tmp_path / "out").source == tmp_path / "docs" / "source"
    (tmp_path / "doc").mkdir()
    (tmp_path / "doc" / "conf.py").write_text("")
    found = docs.find_doc_source(tmp_path, tmp_path / "out")
    assert found.source == tmp_path / "doc"
    assert docs.sphinx_command("sphinx-build", found) == [
        "sphinx-build",
        "-E",
        str(tmp_path / "doc"),
        str(tmp_path / "out"),
    ]


def test_zip_tree_and_metadata_output(tmp_path):
    with pytest.raises(Invalid, match="wrote nothing"):
        docs.zip_tree(tmp_path, tmp_path / "x.doc.zip")
    (tmp_path / "html" / "_static").mkdir(parents=True)
    (tmp_path / "html" / "index.html").write_text("<p>hi</p>")
    (tmp_path / "html" / "_static" / "s.css").write_text("p {}")
    target = docs.zip_tree(tmp_path / "html", tmp_path / "dist" / "p-1.doc.zip")
    assert sorted(zipfile.ZipFile(target).namelist()) == ["_static/s.css", "index.html"]
    assert docs.parse_metadata_output('noise\n["pkg", "1.0"]\n') == ("pkg", "1.0")
    with pytest.raises(Invalid, match="could not read"):
        docs.parse_metadata_output("noise only")


def test_metadata_command_reads_a_project(tmp_path):
    tree = make_project_tree(tmp_path, "meta-pkg", "2.5")
    lines: list[str] = []
    code = procs.run_streaming(docs.metadata_command(tree), write=lines.append, cwd=tree)
    assert code == 0, lines
    assert docs.parse_metadata_output("\n".join(lines)) == ("meta-pkg", "2.5")


# -- testing (tox) ------------------------------------------------------------------------


def test_select_links():
    links = [
        testing.Link(f"http://h/a/b/+f/abc/def/{name}")
        for name in (
            "p-1.0.tar.gz",
            "p-1.0.zip",
            "p-1.0-py2.py3-none-any.whl",
            "p-1.0-py3-none-any.whl",
            "p-1.0-cp311-cp311-linux_x86_64.whl",
        )
    ]
    sdists, wheels, warnings = testing.select_links(links, None)
    assert [link.basename for link in sdists] == ["p-1.0.tar.gz", "p-1.0.zip"]
    assert [link.basename for link in wheels] == ["p-1.0-py2.py3-none-any.whl"]
    assert len(warnings) == 2 and "only universal wheels" in warnings[0]
    sdists, wheels, _ = testing.select_links(links, r"cp311")
    assert [link.basename for link in wheels] == ["p-1.0-cp311-cp311-linux_x86_64.whl"]
    assert [link.basename for link in sdists] == ["p-1.0.tar.gz"]  # the tox config's source
    with pytest.raises(Invalid, match="need at least one sdist"):
        testing.select_links(links[2:], None)


def test_unpack_and_package_dir(tmp_path):
    sdist = make_sdist(tmp_path, "My_Pkg", "1.0")
    unpacked = testing.unpack(sdist, tmp_path / "u")
    assert testing.package_dir(unpacked, "my-pkg", "1.0") == unpacked / "my_pkg-1.0"
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("../escape.txt", "x")
    with pytest.raises(Invalid, match="unsafe member"):
        testing.unpack(evil, tmp_path / "e")
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(b"nope")
    with pytest.raises(Invalid, match="cannot unpack"):
        testing.unpack(bad, tmp_path / "b")
    bomb = bombs.tar_gz_bomb(tmp_path, "bomb", "1.0", members=40, member_size=1024**2)
    with pytest.raises(
        Invalid, match="bomb-1.0.tar.gz unpacks to more than the limit of 10485760 bytes"
    ):
        testing.unpack(bomb, tmp_path / "t", max_bytes=10 * 1024**2)
    assert sum(p.stat().st_size for p in (tmp_path / "t").rglob("*") if p.is_file()) <= 10 * 1024**2
    with pytest.raises(Invalid, match="more than the limit of 5 members"):
        testing.unpack(bomb, tmp_path / "m", max_members=5)
    zipbomb = bombs.zip_sdist_pkg_info_bomb(tmp_path, "zb", "1.0", inflated=20 * 1024**2)
    with pytest.raises(Invalid, match="zb-1.0.zip unpacks to more than the limit"):
        testing.unpack(zipbomb, tmp_path / "z", max_bytes=10 * 1024**2)
    assert not any((tmp_path / "z").iterdir())
    (tmp_path / "two" / "a").mkdir(parents=True)
    (tmp_path / "two" / "b").mkdir()
    with pytest.raises(Invalid, match="couldn't find the unpacked package"):
        testing.package_dir(tmp_path / "two", "pkg", "1.0")


def test_tox_config_lookup(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    with pytest.raises(NotFound, match="no tox.ini/pyproject.toml/setup.cfg"):
        testing.tox_config(pkg)
    (pkg / "setup.cfg").write_text("[metadata]\nname = x\n")
    (pkg / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    with pytest.raises(NotFound):
        testing.tox_config(pkg)
    (tmp_path / "fallback.ini").write_text("[tox]\n")
    assert testing.tox_config(pkg, fallback=str(tmp_path / "fallback.ini")) == (
        tmp_path / "fallback.ini"
    )
    (pkg / "setup.cfg").write_text("[tox:tox]\nenvlist = py\n")
    assert testing.tox_config(pkg) == pkg / "setup.cfg"
    (pkg / "pyproject.toml").write_text("[tool.tox]\nenv_list = ['py']\n")
    assert testing.tox_config(pkg) == pkg / "pyproject.toml"
    (pkg / "tox.ini").write_text("[tox]\n")
    assert testing.tox_config(pkg) == pkg / "tox.ini"
    assert testing.tox_config(pkg, explicit=str(tmp_path / "fallback.ini")) == (
        tmp_path / "fallback.ini"
    )
    with pytest.raises(NotFound, match="does not exist"):
        testing.tox_config(pkg, explicit=str(tmp_path / "missing.ini"))


def test_tox_command():
    assert testing.tox_command(
        "tox",
        installpkg=Path("/d/p.tar.gz"),
        report=Path("/r.json"),
        config=Path("/p/tox.ini"),
        envname="py311",
        extra=["--", "-x"],
    ) == [
        "tox",
        "--installpkg",
        "/d/p.tar.gz",
        "--recreate",
        "--result-json",
        "/r.json",
        "-c",
        "/p/tox.ini",
        "-e",
        "py311",
        "--",
        "-x",
    ]


# -- pypirc, getjson paths, listing limits, processes --------------------------------------


def test_read_repository(tmp_path):
    path = tmp_path / ".pypirc"
    with pytest.raises(NotFound, match=f"no pypirc file found at: {path}"):
        pypirc.read_repository(path, "x")
    path.write_text(
        "[distutils]\nindex-servers = a\n[a]\nrepository = http://h/u/i/\n"
        "username = u\npassword = p%w\n[pypi]\nusername = __token__\npassword = t\n"
        "[nopw]\nusername = u\n[nouser]\npassword = p\n"
    )
    assert pypirc.read_repository(path, "a") == pypirc.Repository(
        "http://h/u/i/", "u", "p%w", False
    )
    assert pypirc.read_repository(path, "pypi").url == pypirc.DEFAULT_REPOSITORY
    with pytest.raises(NotFound, match=r"no section \[zzz\]"):
        pypirc.read_repository(path, "zzz")
    with pytest.raises(Invalid, match="has no password"):
        pypirc.read_repository(path, "nopw")
    with pytest.raises(Invalid, match="has no username"):
        pypirc.read_repository(path, "nouser")
    path.write_text("no section header\n")
    with pytest.raises(Invalid, match="cannot read"):
        pypirc.read_repository(path, "a")


def test_getjson_paths():
    assert getjson.resolve_path("/a/b?no_projects=", None) == (["a", "b"], {"no_projects": [""]})
    assert getjson.resolve_path("pkg/1.0", "a/dev") == (["a", "dev", "pkg", "1.0"], {})
    assert getjson.resolve_path("http://h:1/a/dev/", None) == (["a", "dev"], {})
    with pytest.raises(Invalid, match="relative path without a current index"):
        getjson.resolve_path("pkg", None)


def test_limit_versions():
    rows = [(str(v), []) for v in range(5, 0, -1)]
    assert listing.limit_versions(rows, False) == (rows[:3], 2)
    assert listing.limit_versions(rows, True) == (rows, 0)
    assert listing.limit_versions(rows[:3], False) == (rows[:3], 0)


def test_toxresult_lines_come_from_the_registered_providers(monkeypatch):
    from indexes import registry

    assert listing.toxresult_lines(None) == []
    monkeypatch.setattr(registry, "_status_providers", {})
    assert listing.toxresult_lines(object()) == []  # no provider: no lines
    registry.register_status_provider(
        "fake", lambda file_ids: {}, lambda file: ["host linux py 3.11 tests passed"]
    )
    assert listing.toxresult_lines(object()) == ["host linux py 3.11 tests passed"]


def test_run_streaming_relays_lines_and_exit_codes(tmp_path):
    lines: list[str] = []
    code = procs.run_streaming(
        [
            sys.executable,
            "-c",
            "import os, sys; print('out'); print(os.environ['X'], file=sys.stderr); sys.exit(3)",
        ],
        write=lines.append,
        cwd=tmp_path,
        extra_env={"X": "from-env"},
    )
    assert code == 3 and lines == ["out", "from-env"]
    missing: list[str] = []
    assert procs.run_streaming(["/nonexistent/program"], write=missing.append) == 127
    assert "command not found" in missing[0]
    assert procs.command_line(["a b", "c"], "/w") == "--> /w$ 'a b' c"


# -- the documentation flags (upload, push) ---------------------------------------


def test_docs_flags_are_added_in_one_order_with_their_help():
    import argparse

    parser = argparse.ArgumentParser()
    docs.add_docs_flags(parser, only_docs="only", no_docs="none")
    assert [a.option_strings for a in parser._actions[1:]] == [["--no-docs"], ["--only-docs"]]
    assert parser.parse_args(["--only-docs"]) == argparse.Namespace(no_docs=False, only_docs=True)
    assert docs.docs_flags({"with_docs": True, "only_docs": True}) == (True, False, True)
    with pytest.raises(Invalid, match="can't use '--no-docs' and '--only-docs' together"):
        docs.docs_flags({"no_docs": True, "only_docs": True})
