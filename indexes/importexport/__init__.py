"""devpi-server's export format: ``devpi_import`` reads a directory written
by ``devpi-export``, ``devpi_export`` writes one that ``devpi-import``
accepts (the format devpi itself uses for upgrades).

- ``layout``: the format (paths, file descriptions, hash checks); no Django
- ``reader`` / ``writer``: the directory and its ``dataindex.json``; no Django
- ``mapping``: devpi's records <-> ours (passwords, configs, metadata, dates)
- ``importer`` / ``exporter``: the database side
- ``attachments``: the registry through which tox results and docs plug in;
  ``docs``: the documentation zips' handler (registered below)
"""

from .attachments import register_attachment
from .docs import DocZipAttachments
from .errors import ImportExportError
from .exporter import devpi_export
from .importer import devpi_import
from .reports import ExportReport, ImportReport, Skipped

register_attachment("doczip", DocZipAttachments())

__all__ = ["ImportExportError", "ImportReport", "ExportReport", "Skipped", "devpi_import",
           "devpi_export"]
