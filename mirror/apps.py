from django.apps import AppConfig


class MirrorConfig(AppConfig):
    name = "mirror"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from indexes.kinds import register_kind

        from .kind import MirrorKind

        register_kind("mirror", MirrorKind())
