"""Tox results through devpi-export directories: imported with their names,
history and time; exported where devpi-export puts them."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.contrib.auth import get_user_model

from importexport import attachments
from importexport.exporter import devpi_export
from importexport.importer import devpi_import
from importexport.reader import read_export
from importexport.tests.test_importexport import Tree
from indexes.models import ReleaseFile
from tests.factories import make_wheel
from toxresults.importexport import ToxResultAttachments
from toxresults.models import ToxResult

pytestmark = pytest.mark.django_db
REPORT = {
    "reportversion": "1",
    "toxversion": "4.11.0",
    "platform": "linux",
    "host": "ci-1",
    "testenvs": {
        "py311": {
            "python": {"version": "3.11.7"},
            "setup": [],
            "test": [{"command": ["pytest"], "output": "ok", "retcode": 0}],
        }
    },
}


@pytest.fixture
def handler(monkeypatch):
    monkeypatch.setattr(attachments, "_HANDLERS", dict(attachments._HANDLERS))
    attachments.register_attachment("toxresult", ToxResultAttachments())


def export_tree(tmp_path, report: bytes) -> tuple[Tree, str]:
    wheel = make_wheel(tmp_path / "dist", "pkg", "1.0")
    sha = hashlib.sha256(wheel.read_bytes()).hexdigest()
    t = Tree(tmp_path / "export")
    t.user("alice", "pw")
    t.index("alice/dev")
    t.release("alice/dev", "pkg", "1.0")
    t.file("alice/dev", wheel, project="pkg", version="1.0")
    name = f"{wheel.name}.toxresult-20240102030405-0"
    t.file(
        "alice/dev",
        report,
        type="toxresult",
        project="pkg",
        version="1.0",
        filename=name,
        for_sha=sha,
        for_entrypath=f"alice/dev/+f/{sha[:3]}/{sha[3:16]}/{wheel.name}",
    )
    t.write()
    return t, name


def test_tox_results_imported_and_exported(tmp_path, blob_dir, handler):
    body = json.dumps(REPORT).encode()
    tree, name = export_tree(tmp_path, body)
    report = devpi_import(tree.path)
    assert report.created["tox results"] == 1, report.lines()
    result = ToxResult.objects.get()
    assert result.filename == name and result.file == ReleaseFile.objects.get()
    assert json.loads(result.report) == REPORT and result.host == "ci-1"
    assert result.uploader == "alice" and result.log[0]["dst"] == "alice/dev"
    assert result.posted_at.year == 2026  # the export's last_modified
    assert [e.envname for e in result.envs.all()] == ["py311"]
    assert not devpi_import(tree.path).changed
    out = tmp_path / "out"
    assert devpi_export(out).exported["tox results"] == 1
    (desc,) = [f for f in read_export(out).indexes["alice/dev"].files if f.type == "toxresult"]
    sha = result.file.sha256
    assert desc.relpath == f"alice/dev/pkg/sha256={sha}/{name}"
    assert desc.for_basename == result.file.filename and desc.version == "1.0"
    assert json.loads((out / desc.relpath).read_bytes()) == REPORT


def test_a_broken_report_is_skipped(tmp_path, blob_dir, handler):
    tree, name = export_tree(tmp_path, b"{not json")
    report = devpi_import(tree.path)
    (skipped,) = report.skipped
    assert skipped.what.endswith(name) and skipped.reason.startswith("not a tox report:")
    assert not ToxResult.objects.exists()
    assert get_user_model().objects.filter(username="alice").exists()
