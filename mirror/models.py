"""The mirror's cache: project pages, stored files, the project list, and
short leases that make one upstream fetch serve every waiting request."""

from __future__ import annotations

from django.db import models

from indexes.models import Index


class MirrorProject(models.Model):
    """A cached upstream project page (or the knowledge that upstream has none)."""

    index = models.ForeignKey(Index, on_delete=models.CASCADE, related_name="mirror_projects")
    name = models.CharField(max_length=255, help_text="PEP 503 normalised name")
    exists = models.BooleanField(default=True)
    links = models.JSONField(default=list)
    versions = models.JSONField(default=list)
    fetched_at = models.DateTimeField(help_text="last time upstream confirmed this page")
    etag = models.CharField(max_length=255, blank=True, default="")
    last_modified = models.CharField(max_length=64, blank=True, default="")
    serial = models.BigIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    last_error_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["index", "name"], name="mirrorproject_unique_name")
        ]

    def __str__(self):
        return f"{self.index_id}:{self.name}"


class MirrorFile(models.Model):
    """A mirrored file whose bytes are in blob storage, verified by sha256."""

    index = models.ForeignKey(Index, on_delete=models.CASCADE, related_name="mirror_files")
    project = models.CharField(max_length=255)
    filename = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.BigIntegerField()
    url = models.TextField()
    stored_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["index", "filename", "sha256"], name="mirrorfile_unique"
            )
        ]

    def __str__(self):
        return self.filename


class MirrorProjectList(models.Model):
    """The upstream's full project list, one name per line."""

    index = models.OneToOneField(Index, on_delete=models.CASCADE, related_name="mirror_list")
    names = models.TextField(blank=True, default="")
    count = models.IntegerField(default=0)
    fetched_at = models.DateTimeField(null=True, blank=True)
    etag = models.CharField(max_length=255, blank=True, default="")
    last_error = models.TextField(blank=True, default="")
    last_attempt = models.DateTimeField(null=True, blank=True)


class MirrorState(models.Model):
    """Per mirror index: contact with the upstream, for /+status."""

    index = models.OneToOneField(Index, on_delete=models.CASCADE, related_name="mirror_state")
    last_contact = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    last_error_at = models.DateTimeField(null=True, blank=True)


class Lease(models.Model):
    """A named lock with an expiry, held by one process at a time. A row in
    the database works across gunicorn workers and servers, on SQLite and
    PostgreSQL alike."""

    key = models.CharField(max_length=255, unique=True)
    owner = models.CharField(max_length=64)
    expires_at = models.DateTimeField()
