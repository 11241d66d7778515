"""Progress bars of long commands: drawn on a terminal's stderr only, a
summary line at the end either way."""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import sys

import pytest
from django.core.management import call_command

from devpi_django.progress import Progress
from tests.live import REPO


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_bar_only_on_a_terminal_and_a_summary_line():
    out, err = io.StringIO(), io.StringIO()
    p = Progress("export", out=out, err=err)
    p.start(3)
    for _ in range(3):
        p.advance()
    p.line("index alice/dev: 1 releases, 3 files")
    summary = p.finish()
    assert err.getvalue() == ""  # not a terminal: no bar
    assert out.getvalue().splitlines() == ["index alice/dev: 1 releases, 3 files", summary]
    assert summary.startswith("export: 3/3 files in ")

    out, err = io.StringIO(), Terminal()
    p = Progress("import", out=out, err=err)
    p.start(4)
    p.advance(2)
    p.line("a line between")
    p.advance(2)
    p.finish()
    assert "import:" in err.getvalue() and "/4 [" in err.getvalue()
    assert out.getvalue().splitlines()[0] == "a line between"
    assert out.getvalue().splitlines()[-1].startswith("import: 4/4 files in ")


@pytest.mark.django_db
def test_export_and_import_print_a_summary(tmp_path, settings, blob_dir, django_user_model):
    from client import upload
    from indexes.services.indexes import index_create
    from tests.factories import make_wheel

    settings.DATA_DIR = tmp_path / "data"
    root = django_user_model.objects.create(username="root", is_superuser=True)
    index = index_create(owner=root, name="dev", data={})
    for n in range(3):
        archive = upload.read_archive(make_wheel(tmp_path / "w", f"p{n}", "1.0"))
        upload.upload_archive(index=index, user=root, archive=archive)
    out, err = io.StringIO(), io.StringIO()
    call_command("devpi", "export", str(tmp_path / "exp"), stdout=out, stderr=err)
    assert out.getvalue().splitlines()[-1].startswith("export: 3/3 files in ")
    assert err.getvalue() == ""
    index.delete()
    out = io.StringIO()
    call_command("devpi", "import", str(tmp_path / "exp"), stdout=out, stderr=io.StringIO())
    assert out.getvalue().splitlines()[-1].startswith("import: 3/3 files in ")


def test_bench_data_draws_a_bar_on_a_terminal(tmp_path):
    """A real terminal (a pty) on stderr: the bar is drawn there; stdout
    keeps the summary line."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEVPI_", "DATABASE_URL"))}
    env.update({"DEVPI_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "devpi_django.settings"})
    manage = [sys.executable, str(REPO / "manage.py")]
    subprocess.run(manage + ["migrate", "--noinput", "-v0"], env=env, check=True, cwd=REPO)
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        manage
        + [
            "devpi_bench_data",
            "--projects",
            "50",
            "--files",
            "100",
            "--index",
            "bench/big",
            "--batch",
            "10",
        ],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=slave,
    )
    os.close(slave)
    drawn = b""
    while True:
        ready, _, _ = select.select([master], [], [], 120)
        if not ready:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        drawn += chunk
    stdout = proc.stdout.read().decode()
    assert proc.wait(timeout=120) == 0
    os.close(master)
    assert b"bench data:" in drawn and b"/50 [" in drawn
    assert "created 50 projects" in stdout.splitlines()[-1]
