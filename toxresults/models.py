"""Tox results attached to release files (devpi's ``toxresult`` links)."""

from __future__ import annotations

from django.db import models

from indexes.models import ReleaseFile, ServedUnderHash

from . import reports


class ToxResult(ServedUnderHash, models.Model):
    """One tox report posted to a release file, kept as posted. Its URL is
    the file's hash directory plus ``filename``
    (``<file>.toxresult-<YYYYmmddHHMMSS>-<n>``), as devpi's."""

    file = models.ForeignKey(ReleaseFile, on_delete=models.CASCADE, related_name="toxresults")
    filename = models.CharField(max_length=255)
    report = models.TextField(help_text="the report JSON, exactly as posted")
    sha256 = models.CharField(max_length=64)
    host = models.CharField(max_length=255)
    platform = models.CharField(max_length=255)
    toxversion = models.CharField(max_length=255, blank=True, default="")
    reportversion = models.CharField(max_length=255, blank=True, default="")
    posted_at = models.DateTimeField()
    uploader = models.CharField(max_length=150, blank=True, default="")
    log = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["file", "filename"], name="toxresult_unique_filename")
        ]
        ordering = ["id"]

    @property
    def hash_digest(self) -> str:
        """A report lives in its release file's hash directory."""
        return self.file.sha256


class ToxEnvResult(models.Model):
    """The summary of one test environment of a report."""

    STATUS_CHOICES = list(reports.STATUS_TEXT.items())
    STEP_CHOICES = [(reports.NONE, "none"), (reports.OK, "ok"), (reports.FAILED, "failed")]

    toxresult = models.ForeignKey(ToxResult, on_delete=models.CASCADE, related_name="envs")
    envname = models.CharField(max_length=255)
    python_version = models.CharField(max_length=64, blank=True, default="")
    setup = models.CharField(max_length=16, choices=STEP_CHOICES)
    tests = models.CharField(max_length=16, choices=STEP_CHOICES)
    status = models.CharField(max_length=16, choices=STATUS_CHOICES)

    class Meta:
        ordering = ["envname"]

    def __str__(self) -> str:
        return f"{self.envname}: {self.get_status_display()}"
