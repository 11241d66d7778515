"""HTML pages for browsers, at the same URLs as the JSON API (content
negotiation picks these for text/html)."""

from __future__ import annotations

from django.shortcuts import render

from .. import selectors


def root_page(request, configs):
    return render(request, "indexes/root.html", {"users": configs})


def user_page(request, account, config):
    return render(request, "indexes/user.html", {"config": config})


def index_page(request, index):
    return render(request, "indexes/index.html", {
        "index": index, "config": selectors.index_config(index),
        "projects": selectors.index_project_names(index)})


def project_page(request, index, project, versions):
    return render(request, "indexes/project.html",
                  {"index": index, "project": project, "versions": versions})


def version_page(request, index, project, version, data):
    return render(request, "indexes/version.html",
                  {"index": index, "project": project, "version": version, "data": data})
