"""Synthetic projects, releases and release files for the scale benchmark.

    python manage.py devpi_bench_data --projects 100000 --files 1000000 --index user/big

Creates the user and the (stage) index when missing, then bulk-creates
``--projects`` projects named ``bench-000000``, ``bench-000001``, ... with
``--files`` release files spread evenly over them: each version has a wheel
and an sdist, so a project with 10 files has 5 versions. Every row points at
one small blob (content-addressed storage keys blobs by sha256 alone, so a
million rows may share it): the files exist for the simple pages, not for
installing. Rows are written with ``bulk_create`` in batches, one transaction
per chunk of projects; the index's generation is bumped at the end, so
cached pages of it are recomputed.
"""

from __future__ import annotations

import hashlib
import io
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from devpi_django.progress import Progress
from indexes.distribution.metadata import metadata_from_form
from indexes.models import Index, Project, Release, ReleaseFile
from indexes.serverstate import serial_bump
from indexes.services.indexes import index_create
from indexes.services.uploads import log_entry
from indexes.services.users import user_create
from indexes.storage import blob_put

BLOB = b"devpi-django synthetic benchmark file; its rows share this one blob\n"


def _release_metadata(name: str, version: str) -> dict:
    fields = {"name": [name], "version": [version], "summary": ["synthetic benchmark data"]}
    return metadata_from_form(
        lambda k: fields[k][-1] if fields.get(k) else None,
        lambda k: list(fields.get(k, [])),
        set(fields),
        only_present=False,
    )


class Command(BaseCommand):
    help = (
        "Bulk-create synthetic projects, releases and release files on a stage index "
        "(created, with its user, when missing) for the scale benchmark."
    )

    def add_arguments(self, parser):
        parser.add_argument("--projects", type=int, required=True, help="number of projects")
        parser.add_argument(
            "--files",
            type=int,
            required=True,
            help="number of release files, spread evenly over the projects",
        )
        parser.add_argument("--index", required=True, help="USER/INDEX, a stage index")
        parser.add_argument(
            "--password", default="secret", help="password of the user when it has to be created"
        )
        parser.add_argument(
            "--batch", type=int, default=2000, help="projects per transaction (default 2000)"
        )

    def handle(
        self, *args, projects: int, files: int, index: str, password: str, batch: int, **options
    ) -> None:
        if projects < 1 or files < 0 or batch < 1:
            raise CommandError("--projects and --batch must be positive, --files not negative")
        username, _, index_name = index.partition("/")
        if not username or not index_name or "/" in index_name:
            raise CommandError("--index must be USER/INDEX")
        started = time.monotonic()
        target = self._index(username, index_name, password)
        if target.is_mirror:
            raise CommandError(f"{index} is a mirror index")
        if Project.objects.filter(index=target).exists():
            raise CommandError(f"{index} has projects already; use a new index")

        digest = hashlib.sha256(BLOB).hexdigest()
        blob_put(io.BytesIO(BLOB), digest)
        row = {
            "template": _release_metadata("bench", "0"),
            "digest": digest,
            "entry": [log_entry("upload", username, dst=target.fullname)],
            "now": timezone.now(),
            "uploader": username,
        }
        counts = divmod(files, projects)
        created = [0, 0, 0]
        progress = Progress("bench data", unit="project", out=self.stdout, err=self.stderr)
        progress.start(projects)

        for first in range(0, projects, batch):
            numbers = range(first, min(first + batch, projects))
            with transaction.atomic():
                added = self._fill_batch(target, numbers, counts, row)
            created = [total + n for total, n in zip(created, added, strict=True)]
            progress.advance(added[0])
            if (first // batch) % 10 == 9:
                progress.line(
                    f"  {created[0]} projects, {created[2]} files "
                    f"({time.monotonic() - started:.0f} s)"
                )
        with transaction.atomic():
            serial_bump(target.id)
        elapsed = time.monotonic() - started
        progress.close()
        progress.line(
            f"{target.fullname}: created {created[0]} projects, {created[1]} releases, "
            f"{created[2]} release files in {elapsed:.1f} s "
            f"({sum(created) / max(elapsed, 1e-9):,.0f} rows/s)"
        )

    def _fill_batch(
        self, target: Index, numbers: range, counts: tuple[int, int], row: dict
    ) -> tuple[int, int, int]:
        """Projects ``numbers``, their releases and files, in bulk; returns
        how many of each were created. ``counts``: files per project, and
        how many projects (the first ones) get one more."""
        per_project, extra = counts
        rows = [
            Project(index=target, name=f"bench-{i:06d}", display_name=f"bench-{i:06d}")
            for i in numbers
        ]
        ids = self._create(Project, rows, "name", index=target)
        releases, release_files = [], []
        for i in numbers:
            count = per_project + (1 if i < extra else 0)
            name = f"bench-{i:06d}"
            for v in range((count + 1) // 2):
                releases.append(
                    Release(
                        project_id=ids[name],
                        version=f"1.{v}",
                        metadata={**row["template"], "name": name, "version": f"1.{v}"},
                    )
                )
        release_ids = self._release_ids(releases)
        for i in numbers:
            count = per_project + (1 if i < extra else 0)
            dist = f"bench_{i:06d}"
            pid = ids[f"bench-{i:06d}"]
            for n in range(count):
                version = f"1.{n // 2}"
                wheel = n % 2 == 0
                release_files.append(
                    ReleaseFile(
                        release_id=release_ids[(pid, version)],
                        index=target,
                        filename=(
                            f"{dist}-{version}-py3-none-any.whl"
                            if wheel
                            else f"{dist}-{version}.tar.gz"
                        ),
                        sha256=row["digest"],
                        size=len(BLOB),
                        packagetype="bdist_wheel" if wheel else "sdist",
                        pyversion="py3" if wheel else "source",
                        uploaded_at=row["now"],
                        uploader=row["uploader"],
                        log=row["entry"],
                    )
                )
        ReleaseFile.objects.bulk_create(release_files, batch_size=self._batch_size())
        return len(rows), len(releases), len(release_files)

    @staticmethod
    def _batch_size() -> int | None:
        return 5000 if connection.vendor == "postgresql" else None  # SQLite: Django's own limit

    def _index(self, username: str, index_name: str, password: str) -> Index:
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is None:
            user = user_create(username=username, data={"password": password})
        found = Index.objects.filter(owner=user, name=index_name).first()
        if found is None:
            found = index_create(owner=user, name=index_name, data={"bases": []})
        return found

    def _create(self, model, rows: list, key: str, **filters) -> dict:
        """bulk_create; then key -> primary key (from RETURNING where the
        database has it, else read back)."""
        model.objects.bulk_create(rows, batch_size=self._batch_size())
        if all(row.pk is not None for row in rows):
            return {getattr(row, key): row.pk for row in rows}
        names = [getattr(row, key) for row in rows]
        return dict(model.objects.filter(**filters, **{f"{key}__in": names}).values_list(key, "pk"))

    def _release_ids(self, releases: list[Release]) -> dict:
        Release.objects.bulk_create(releases, batch_size=self._batch_size())
        if all(r.pk is not None for r in releases):
            return {(r.project_id, r.version): r.pk for r in releases}
        project_ids = sorted({r.project_id for r in releases})
        return {
            (pid, version): pk
            for pid, version, pk in Release.objects.filter(project_id__in=project_ids).values_list(
                "project_id", "version", "pk"
            )
        }
