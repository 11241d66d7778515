"""The mirror as an index kind (``indexes.kinds``)."""

from __future__ import annotations

from . import refresh, services, upstream


class MirrorKind:
    def project_page(self, index, project):
        return services.mirror_project_page(index, project)

    def project_names(self, index):
        return services.mirror_project_names(index)

    def serve_file(self, index, path, *, serial, head):
        return services.mirror_file(index, path, serial=serial, head=head)

    def serve_external_file(self, index, path, *, head):
        return services.mirror_external_file(index, path, head=head)

    def invalidate(self, index, project):
        services.mirror_project_invalidate(index, project)

    def status(self, index):
        return services.mirror_status(index)

    def refresh(self, index, project):
        return refresh.refresh_request(index, project)

    def prefetch(self, index, requirement):
        return services.mirror_prefetch(index, [requirement]).get(requirement.strip(), [])

    def default_upstream(self, own_urls: list[str]) -> str:
        return upstream.default_mirror_url(own_urls)
