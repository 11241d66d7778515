from django.apps import AppConfig


class ToxresultsConfig(AppConfig):
    name = "toxresults"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        """Plug tox results into the index core's ``+f`` URLs, version
        ``+links`` and pushes (``indexes`` never imports this app)."""
        from indexes import registry

        from . import selectors, services, views

        registry.register_file_post_handler("toxresults", views.toxresult_post)
        registry.register_file_server("toxresults", views.toxresult_serve)
        registry.register_link_provider("toxresults", selectors.toxresult_links)
        registry.register_push_hook("toxresults", services.toxresults_copy)
        registry.register_status_provider(
            "toxresults", selectors.toxresult_summaries, selectors.toxresult_lines
        )

        from importexport.attachments import register_attachment

        from .importexport import ToxResultAttachments

        register_attachment("toxresult", ToxResultAttachments())
