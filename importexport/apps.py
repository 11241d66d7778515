from django.apps import AppConfig


class ImportexportConfig(AppConfig):
    name = "importexport"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Documentation zips travel in exports through their attachment handler."""
        from .attachments import register_attachment
        from .docs import DocZipAttachments

        register_attachment("doczip", DocZipAttachments())
