"""Django admin for the mirror's cache, for superusers: a view of what is
cached and of upstream errors. The cache is written only by
``mirror.services``, so everything here is read-only (deleting a cached page
makes it be fetched again)."""

from __future__ import annotations

from django.contrib import admin

from indexes.admin import ReadOnlyAdmin

from .models import Lease, MirrorFile, MirrorProject, MirrorProjectList, MirrorState


@admin.register(MirrorProject)
class MirrorProjectAdmin(ReadOnlyAdmin):
    list_display = ("name", "index", "exists", "fetched_at", "serial", "last_error_at")
    list_filter = ("exists", "index", "fetched_at", "last_error_at")
    search_fields = ("name", "last_error")
    list_select_related = ("index__owner",)
    date_hierarchy = "fetched_at"


@admin.register(MirrorFile)
class MirrorFileAdmin(ReadOnlyAdmin):
    list_display = ("filename", "project", "index", "size", "stored_at")
    list_filter = ("index", "stored_at")
    search_fields = ("filename", "project", "sha256", "url")
    list_select_related = ("index__owner",)
    date_hierarchy = "stored_at"


@admin.register(MirrorProjectList)
class MirrorProjectListAdmin(ReadOnlyAdmin):
    list_display = ("index", "count", "fetched_at", "last_attempt", "last_error")
    list_filter = ("fetched_at",)
    search_fields = ("index__name", "last_error")
    exclude = ("names",)
    list_select_related = ("index__owner",)


@admin.register(MirrorState)
class MirrorStateAdmin(ReadOnlyAdmin):
    list_display = ("index", "last_contact", "last_error_at", "last_error")
    list_filter = ("last_contact", "last_error_at")
    search_fields = ("index__name", "last_error")
    list_select_related = ("index__owner",)


@admin.register(Lease)
class LeaseAdmin(ReadOnlyAdmin):
    list_display = ("key", "owner", "expires_at")
    list_filter = ("expires_at",)
    search_fields = ("key", "owner")
