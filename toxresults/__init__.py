"""Tox results attached to release files: the report formats (tox 4 and
devpi's historical one, ``reports``, pure), their storage and copy on push
(``services``), the summaries shown by ``+links``, ``devpi list -t`` and the
web pages (``selectors``), and the HTTP endpoints on ``+f`` URLs
(``views``). It plugs into the index core through ``indexes.registry``
(``apps.py``) and imports ``indexes``; ``indexes`` never imports it. It
never imports ``mirror`` or ``client``; its services never import views,
``django.http`` or DRF.
"""
