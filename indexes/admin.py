"""Django admin at /+admin/ for superusers. Changes that have rules (index
config, deletions) go through the same services as the API; the rest is
read-only here."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html

from .adminlogin import ThrottledAdminAuthenticationForm
from .models import (
    ApiToken,
    AuditEvent,
    DocZip,
    Index,
    LoginFailure,
    Project,
    ProjectStatus,
    Release,
    ReleaseFile,
    RemovedFile,
    ServerState,
    UserProfile,
)
from .services import indexes as index_services
from .services import removal

admin.site.login_form = ThrottledAdminAuthenticationForm


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewable and searchable; changed only through the services."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(UserProfile)
class UserProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "title", "created", "modified")
    search_fields = ("user__username", "user__email", "title", "description")
    list_filter = ("created",)
    raw_id_fields = ("user",)


@admin.register(Index)
class IndexAdmin(admin.ModelAdmin):
    list_display = (
        "fullname",
        "type",
        "volatile_flag",
        "bases_text",
        "generation",
        "modified",
        "web_link",
    )
    list_filter = ("type", "created", "modified")
    search_fields = ("name", "owner__username", "config__title")
    list_select_related = ("owner",)
    readonly_fields = (
        "owner",
        "name",
        "type",
        "config",
        "generation",
        "created",
        "modified",
        "web_link",
    )
    ordering = ("owner__username", "name")

    def has_add_permission(self, request) -> bool:
        return False  # create indexes in the web UI or the API: they validate the config

    @admin.display(description="index", ordering="name")
    def fullname(self, obj) -> str:
        return obj.fullname

    @admin.display(description="volatile", boolean=True)
    def volatile_flag(self, obj) -> bool:
        return obj.volatile

    @admin.display(description="bases")
    def bases_text(self, obj) -> str:
        return ", ".join(obj.bases)

    @admin.display(description="web page")
    def web_link(self, obj) -> str:
        return format_html(
            '<a href="/{}">/{}</a> (<a href="/{}/+edit">edit</a>)',
            obj.fullname,
            obj.fullname,
            obj.fullname,
        )

    def delete_model(self, request, obj) -> None:
        index_services.index_delete(index=obj, force=True)

    def delete_queryset(self, request, queryset) -> None:
        for obj in queryset:
            index_services.index_delete(index=obj, force=True)


@admin.register(Project)
class ProjectAdmin(ReadOnlyAdmin):
    list_display = ("display_name", "name", "index", "created")
    list_filter = ("index__type", "created")
    search_fields = ("name", "display_name", "index__name", "index__owner__username")
    list_select_related = ("index__owner",)
    raw_id_fields = ("index",)

    def delete_model(self, request, obj) -> None:
        removal.project_delete(index=obj.index, project=obj.name, force=True)

    def delete_queryset(self, request, queryset) -> None:
        for obj in queryset.select_related("index__owner"):
            removal.project_delete(index=obj.index, project=obj.name, force=True)


@admin.register(Release)
class ReleaseAdmin(ReadOnlyAdmin):
    list_display = ("project_name", "version", "index_name", "yanked", "created")
    list_filter = ("yanked", "created")
    search_fields = (
        "project__name",
        "version",
        "project__index__name",
        "project__index__owner__username",
    )
    list_select_related = ("project__index__owner",)
    raw_id_fields = ("project",)

    @admin.display(description="project", ordering="project__name")
    def project_name(self, obj) -> str:
        return obj.project.display_name

    @admin.display(description="index")
    def index_name(self, obj) -> str:
        return obj.project.index.fullname

    def delete_model(self, request, obj) -> None:
        removal.release_delete(
            index=obj.project.index, project=obj.project.name, version=obj.version, force=True
        )

    def delete_queryset(self, request, queryset) -> None:
        for obj in queryset.select_related("project__index__owner"):
            self.delete_model(request, obj)


@admin.register(ReleaseFile)
class ReleaseFileAdmin(ReadOnlyAdmin):
    list_display = ("filename", "index", "packagetype", "size", "uploader", "uploaded_at")
    list_filter = ("packagetype", "uploaded_at", "index__type")
    search_fields = ("filename", "sha256", "uploader", "index__name", "index__owner__username")
    list_select_related = ("index__owner",)
    raw_id_fields = ("release", "index")
    exclude = ("core_metadata",)
    date_hierarchy = "uploaded_at"

    def delete_model(self, request, obj) -> None:
        removal.release_file_delete(index=obj.index, file=obj, force=True)

    def delete_queryset(self, request, queryset) -> None:
        for obj in queryset.select_related("index__owner"):
            self.delete_model(request, obj)


@admin.register(ServerState)
class ServerStateAdmin(ReadOnlyAdmin):
    list_display = ("uuid", "serial")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(RemovedFile)
class RemovedFileAdmin(ReadOnlyAdmin):
    """Tombstones: their URLs answer 410 Gone."""

    list_display = ("filename", "index", "sha256", "removed_at")
    list_filter = ("removed_at",)
    search_fields = ("filename", "sha256", "index__name", "index__owner__username")
    list_select_related = ("index__owner",)
    date_hierarchy = "removed_at"


@admin.register(DocZip)
class DocZipAdmin(ReadOnlyAdmin):
    list_display = ("filename", "index", "size", "uploader", "uploaded_at")
    list_filter = ("uploaded_at",)
    search_fields = ("filename", "sha256", "uploader", "index__name", "index__owner__username")
    list_select_related = ("index__owner",)
    raw_id_fields = ("release", "index")
    date_hierarchy = "uploaded_at"


@admin.register(LoginFailure)
class LoginFailureAdmin(ReadOnlyAdmin):
    """Failed-login counters (keys are hashes of the user name or address);
    deleting a row lifts that lock-out early."""

    list_display = ("key", "count", "expires")
    ordering = ("-expires",)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The audit trail, read-only: events are never changed or deleted here
    (retention: ``manage.py devpi_audit_prune``)."""

    list_display = ("when", "actor", "via", "address", "action", "index", "target")
    list_filter = ("action", "via")
    search_fields = ("actor", "target", "index", "address")
    date_hierarchy = "when"
    readonly_fields = ("when", "actor", "via", "address", "action", "index", "target", "detail")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    """Tokens, read-only (no secret is stored; revoke through the API, the
    web UI or ``manage.py devpi token revoke``)."""

    list_display = (
        "public_id",
        "owner",
        "description",
        "scopes",
        "indexes",
        "created",
        "expires",
        "revoked",
    )
    list_filter = ("created", "revoked")
    search_fields = ("public_id", "owner__username", "description")
    list_select_related = ("owner",)
    exclude = ("key_hash",)
    readonly_fields = (
        "public_id",
        "owner",
        "description",
        "scopes",
        "indexes",
        "created",
        "expires",
        "revoked",
    )

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ProjectStatus)
class ProjectStatusAdmin(ReadOnlyAdmin):
    """PEP 792 statuses: set through the API, the project page or
    ``manage.py devpi project-status`` (which bump the serial and so the
    page caches); deleting a row here would not."""

    list_display = ("name", "index", "status", "reason", "modified_by", "modified")
    list_filter = ("status",)
    search_fields = ("name", "reason", "index__name", "index__owner__username")
    list_select_related = ("index__owner",)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
