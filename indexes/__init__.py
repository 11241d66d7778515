"""The private index core: users, indexes and their configuration, projects,
releases, release files and doc zips; resolution along bases; who may do
what (``permissions``); every write as a named service (``services``) and
every read as a selector; content-addressed blob storage; the simple API,
devpi's JSON API, ``+f`` files and the web pages (``views``, the HTTP layer,
which only parses, calls a service or selector, and renders). Imports point
down: views -> services/selectors -> models, ``distribution`` (pure
packaging rules, no Django). ``indexes`` never imports the apps that plug
into it or use it (``mirror``, ``toxresults``, ``client``, ``importexport``):
they register through ``indexes.kinds`` and ``indexes.registry``. Its
domain modules (services, selectors, resolution, models, permissions,
storage, distribution) never import views, ``django.http`` or DRF.
"""
