"""Create the root user and the root/pypi mirror when they are missing."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from devpi_django import env
from indexes.kinds import kind_named
from indexes.services.bootstrap import server_initialise


class Command(BaseCommand):
    help = (
        "Initialise the server (idempotent): the root user, with DEVPI_ROOT_PASSWORD or a "
        "generated password printed once, and the root/pypi mirror index, whose upstream "
        "is DEVPI_MIRROR_URL, else pip's configured index, else pip's default index."
    )

    def handle(self, *args, **options):
        own = [
            f"http://{env.HOST}:{env.PORT}",
            f"http://127.0.0.1:{env.PORT}",
            f"http://localhost:{env.PORT}",
        ]
        if settings.DEVPI["OUTSIDE_URL"]:
            own.append(settings.DEVPI["OUTSIDE_URL"])

        def mirror_url() -> str:
            # the mirror app registers the "mirror" kind (indexes never imports mirror)
            kind = kind_named("mirror")
            if kind is None:
                raise CommandError(
                    "no index kind 'mirror' is registered: is the mirror app in INSTALLED_APPS?"
                )
            return kind.default_upstream(own)

        result = server_initialise(
            root_password=settings.DEVPI["ROOT_PASSWORD"], mirror_url_resolver=mirror_url
        )
        if result.root_created:
            if result.root_password is not None:
                self.stdout.write(f"created user root with password: {result.root_password}")
                self.stdout.write("(shown once; change it with a PATCH of /root)")
            else:
                self.stdout.write("created user root (password from DEVPI_ROOT_PASSWORD)")
        if result.mirror_created:
            self.stdout.write(f"created index root/pypi mirroring {result.mirror_url}")
        if not (result.root_created or result.mirror_created):
            self.stdout.write("already initialised")
