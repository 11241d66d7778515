"""Users' profiles, indexes, projects, releases and release files."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from .distribution import hashpath


class UserProfile(models.Model):
    """devpi's user keys that Django's ``User`` has no field for."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="devpi_profile"
    )
    title = models.TextField(blank=True, default="")
    description = models.TextField(blank=True, default="")
    custom_data = models.JSONField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.user.username


class Index(models.Model):
    """An index ``user/name``. ``config`` holds devpi's validated ixconfig
    (everything but ``type``), as written by ``indexes.config``."""

    STAGE = "stage"
    MIRROR = "mirror"
    TYPES = [(STAGE, "stage"), (MIRROR, "mirror")]

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="devpi_indexes"
    )
    name = models.CharField(max_length=150)
    type = models.CharField(max_length=16, choices=TYPES, default=STAGE)
    config = models.JSONField(default=dict)
    # bumped by every change of what the index's simple pages show; the
    # page cache keys on the generations of the whole resolution order
    generation = models.BigIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="index_unique_name")]
        ordering = ["owner__username", "name"]
        verbose_name_plural = "indexes"

    def __str__(self) -> str:
        return self.fullname

    @property
    def fullname(self) -> str:
        return f"{self.owner.username}/{self.name}"

    @property
    def is_mirror(self) -> bool:
        return self.type == self.MIRROR

    @property
    def volatile(self) -> bool:
        return bool(self.config.get("volatile", True))

    @property
    def bases(self) -> list[str]:
        return list(self.config.get("bases", []))


class Project(models.Model):
    index = models.ForeignKey(Index, on_delete=models.CASCADE, related_name="projects")
    name = models.CharField(max_length=255, help_text="PEP 503 normalised name")
    display_name = models.CharField(max_length=255)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["index", "name"], name="project_unique_name")
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.index_id}:{self.name}"


class Release(models.Model):
    """One version of a project on one index, with its registered metadata."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="releases")
    version = models.CharField(max_length=255)
    metadata = models.JSONField(default=dict)
    yanked = models.BooleanField(default=False)
    yanked_reason = models.TextField(blank=True, default="")
    # the long description as safe HTML, rendered once when the metadata is
    # stored (indexes.readme.description_store); None: not rendered yet
    description_html = models.TextField(null=True, blank=True, default=None)  # noqa: DJ001
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "version"], name="release_unique_version")
        ]

    def __str__(self) -> str:
        return f"{self.project.name}-{self.version}"


class ServedUnderHash:
    """A row served at ``<user>/<index>/+f/<hash path>``: its ``filename`` in
    the hash directory of ``hash_digest`` (its own ``sha256``, unless it
    lives in another file's directory)."""

    filename: str
    sha256: str

    def __str__(self) -> str:
        return self.filename

    @property
    def hash_digest(self) -> str:
        return self.sha256

    @property
    def hash_path(self) -> str:
        """The path after ``+f/``."""
        return hashpath.hash_path(self.hash_digest, self.filename)


class ReleaseFile(ServedUnderHash, models.Model):
    """A release file on an index. Its bytes live in blob storage under a key
    derived from ``sha256`` alone (``indexes.storage.blob_key``)."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="files")
    index = models.ForeignKey(Index, on_delete=models.CASCADE, related_name="files")
    filename = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.BigIntegerField()
    packagetype = models.CharField(max_length=32, blank=True, default="")
    pyversion = models.CharField(max_length=64, blank=True, default="")
    requires_python = models.CharField(max_length=255, blank=True, default="")
    core_metadata = models.BinaryField(null=True, blank=True)
    core_metadata_sha256 = models.CharField(max_length=64, blank=True, default="")
    uploaded_at = models.DateTimeField()
    uploader = models.CharField(max_length=150, blank=True, default="")
    log = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["index", "filename"], name="releasefile_unique_filename"
            )
        ]
        ordering = ["filename"]


class ServerState(models.Model):
    """A single row: the server's uuid and devpi's change serial."""

    uuid = models.CharField(max_length=32, default="", blank=True)
    serial = models.BigIntegerField(default=0)


class RemovedFile(models.Model):
    """A tombstone: this file existed on this index and was removed, so its
    URL answers 410 Gone instead of 404, as devpi does."""

    index = models.ForeignKey(Index, on_delete=models.CASCADE, related_name="removed_files")
    filename = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    removed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["index", "filename"])]


class DocZip(ServedUnderHash, models.Model):
    """The documentation zip of a release (devpi's ``doczip`` link), named
    ``<project>-<version>.doc.zip`` and served under ``+f`` like a release
    file. Its bytes are a blob keyed by ``sha256``; the unpacked tree lives in
    the blob storage under ``indexes.storage.doc_prefix(sha256)``, so copies
    on other indexes (push) share both."""

    release = models.OneToOneField(Release, on_delete=models.CASCADE, related_name="doczip")
    index = models.ForeignKey(Index, on_delete=models.CASCADE, related_name="doczips")
    filename = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.BigIntegerField()
    uploaded_at = models.DateTimeField()
    uploader = models.CharField(max_length=150, blank=True, default="")
    log = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["index", "filename"], name="doczip_unique_filename")
        ]


class LoginFailure(models.Model):
    """Failed logins of one user name or one client address within a window
    (``indexes.throttle``, when no Redis is configured)."""

    key = models.CharField(max_length=64, unique=True)
    count = models.PositiveIntegerField(default=0)
    expires = models.DateTimeField(db_index=True)


class ApiToken(models.Model):
    """A scoped API token of a user (``POST /<user>/+tokens``). Only the
    sha256 of the secret is kept: the secret is shown once, at creation."""

    public_id = models.CharField(max_length=32, unique=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="devpi_tokens"
    )
    key_hash = models.CharField(max_length=64, unique=True)
    description = models.CharField(max_length=200, blank=True, default="")
    # index full names the token may be used on; null: every index
    indexes = models.JSONField(null=True, blank=True)
    scopes = models.JSONField(default=list)
    created = models.DateTimeField(auto_now_add=True)
    expires = models.DateTimeField(null=True, blank=True)
    revoked = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.owner.username}:{self.public_id}"


class AuditEvent(models.Model):
    """One entry of the append-only audit trail (``indexes.audit``)."""

    when = models.DateTimeField(db_index=True)
    actor = models.CharField(max_length=150, db_index=True)
    via = models.CharField(max_length=64, blank=True, default="")
    address = models.CharField(max_length=64, blank=True, default="")
    action = models.CharField(max_length=32, db_index=True)
    index = models.CharField(max_length=301, blank=True, default="", db_index=True)
    target = models.CharField(max_length=1024, blank=True, default="")
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.when:%Y-%m-%d %H:%M:%S} {self.actor} {self.action} {self.target}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError("audit events are append-only (retention: indexes.audit.audit_prune)")


class ProjectStatus(models.Model):
    """A project's PEP 792 status on one index (stage or mirror: a mirror's
    projects have no ``Project`` row, so the status is keyed by name). No
    row means ``active``. Set through ``services.project_status``."""

    ACTIVE, ARCHIVED, DEPRECATED, QUARANTINED = "active", "archived", "deprecated", "quarantined"
    STATUSES = [(s, s) for s in (ACTIVE, ARCHIVED, DEPRECATED, QUARANTINED)]

    index = models.ForeignKey(Index, on_delete=models.CASCADE, related_name="project_statuses")
    name = models.CharField(max_length=255, help_text="PEP 503 normalised project name")
    status = models.CharField(max_length=16, choices=STATUSES)
    reason = models.TextField(blank=True, default="")
    modified = models.DateTimeField(auto_now=True)
    modified_by = models.CharField(max_length=150, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["index", "name"], name="projectstatus_unique_name")
        ]
        ordering = ["index_id", "name"]
        verbose_name_plural = "project statuses"

    def __str__(self) -> str:
        return f"{self.index_id}:{self.name}={self.status}"
