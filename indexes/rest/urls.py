"""The OpenAPI document and its docs page (``openapi.py``). Included after
``indexes.urls``: off the installers' hot path, and no pattern there can
match these paths (user and index names never start with "+")."""

from django.urls import path

from .openapi import SCHEMA_URL_NAME, APIDocsView, OpenAPISchemaView

urlpatterns = [
    path("+openapi.json", OpenAPISchemaView.as_view(), name=SCHEMA_URL_NAME),
    path("+api/docs/", APIDocsView.as_view(), name="api-docs"),
]
