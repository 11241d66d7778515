"""The devpi-client workflow run on the server host: ``manage.py devpi
<verb>`` (one module per verb in ``client.verbs``, registered in
``client.verbs.REGISTRY``) and what the verbs share: the current index, key=value
arguments, listings, removal plans, builds and uploads from a directory,
Sphinx docs, ``.pypirc`` files, tox and pip runs. Verbs parse arguments,
call the domain's services and selectors (which decide who may do what) and
write lines. This app must never import views, DRF or ``django.http``, and
``indexes`` must never import it.
"""
