"""Writes. Every change goes through a named function here, shared by the
HTTP views, ``manage.py`` commands and Celery tasks."""
