"""Mirror indexes (``type: mirror``, e.g. ``root/pypi``): the upstream client
(through ``indexes.outbound``), parsing of upstream simple pages, the cache
of pages and files with its expiry, stale serving and background refresh,
the project list, prefetch and the per-mirror status. It plugs into the
index core as an index kind (``apps.py`` registers ``kind.MirrorKind`` with
``indexes.kinds``) and imports ``indexes`` (models, errors, outbound,
storage); ``indexes`` never imports it. It never imports ``toxresults``,
``client``, ``importexport`` or any view module of ``indexes``; its
services, refresh and parsing never import ``django.http`` or DRF (the
responses its services still build move to the HTTP layer with issue 13).
"""
