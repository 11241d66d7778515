from django.contrib import admin

from .models import ToxEnvResult, ToxResult


class ToxEnvResultInline(admin.TabularInline):
    model = ToxEnvResult
    extra = 0
    readonly_fields = ("envname", "python_version", "setup", "tests", "status")
    can_delete = False


@admin.register(ToxResult)
class ToxResultAdmin(admin.ModelAdmin):
    list_display = ("filename", "host", "platform", "posted_at", "uploader")
    list_filter = ("platform", "posted_at")
    search_fields = ("filename", "host", "uploader", "file__filename")
    readonly_fields = (
        "file",
        "filename",
        "sha256",
        "host",
        "platform",
        "toxversion",
        "reportversion",
        "posted_at",
        "uploader",
        "log",
        "report",
    )
    inlines = [ToxEnvResultInline]


@admin.register(ToxEnvResult)
class ToxEnvResultAdmin(admin.ModelAdmin):
    """Every environment's outcome, to find failures across releases."""

    list_display = ("envname", "status", "python_version", "setup", "tests", "toxresult")
    list_filter = ("status", "setup", "tests", "python_version")
    search_fields = ("envname", "toxresult__filename", "toxresult__host")
    list_select_related = ("toxresult",)
    readonly_fields = ("toxresult", "envname", "python_version", "setup", "tests", "status")

    def has_add_permission(self, request):
        return False
