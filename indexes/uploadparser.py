"""A multipart parser that remembers unsafe file names instead of silently
cutting them down: an upload named ``../x-1.0.tar.gz`` must be refused, not
stored as ``x-1.0.tar.gz``."""

from __future__ import annotations

from django.http.multipartparser import MultiPartParser


class StrictMultiPartParser(MultiPartParser):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.unsafe_names: list[str] = []

    def sanitize_file_name(self, file_name):
        cleaned = super().sanitize_file_name(file_name)
        if cleaned != file_name:
            self.unsafe_names.append(file_name)
        return cleaned


def parse_multipart(request):
    """(POST, FILES, unsafe file names) of a multipart request."""
    parser = StrictMultiPartParser(request.META, request, request.upload_handlers, request.encoding)
    post, files = parser.parse()
    return post, files, parser.unsafe_names
