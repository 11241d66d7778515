"""devpi-server's export format, both ways: this app owns the on-disk
directory that devpi-export writes and devpi-import reads (devpi's own
upgrade path). ``importer.devpi_import`` reads such a directory into this
server, ``exporter.devpi_export`` writes one; ``layout`` (paths, file
descriptions, hash checks), ``reader``, ``writer`` and ``mapping`` (devpi's
records <-> ours) are the format without the database; ``attachments`` is
the registry through which tox results and documentation zips (``docs``,
registered in ``apps``) plug in. It writes through the domain's services
(release files: ``indexes.services.files``), and must never import views,
DRF or ``django.http``; ``indexes`` never imports it.
"""
