"""devpi's URL layout. Names starting with "+" are never users or indexes."""

from django.urls import path, re_path

from .views import api, audit, docs, files, simple, tokens, web

NAME = r"[^/+][^/]*"

urlpatterns = [
    # first: what installers ask for most (simple pages, files), so the
    # resolver tries few patterns on the hot path. Every pattern below has
    # a "+" segment or a NAME where these have "+simple", "+f" or "+e":
    # none of them could match the same path.
    re_path(
        rf"^(?P<user>{NAME})/(?P<index>{NAME})/\+simple/?$",
        simple.SimpleIndexView.as_view(),
        name="simple-index",
    ),
    re_path(
        rf"^(?P<user>{NAME})/(?P<index>{NAME})/\+simple/(?P<project>[^/]+)/refresh$",
        simple.SimpleRefreshView.as_view(),
        name="simple-refresh",
    ),
    re_path(
        rf"^(?P<user>{NAME})/(?P<index>{NAME})/\+simple/(?P<project>[^/]+)/?$",
        simple.SimpleProjectView.as_view(),
        name="simple-project",
    ),
    re_path(rf"^(?P<user>{NAME})/(?P<index>{NAME})/\+f/(?P<path>.+)$", files.serve, name="file"),
    re_path(
        rf"^(?P<user>{NAME})/(?P<index>{NAME})/\+e/(?P<path>.+)$",
        files.serve_external,
        name="external-file",
    ),
    path("", api.RootView.as_view(), name="root"),
    path("+api", api.ApiConfigView.as_view(), name="api"),
    path("+login", api.LoginView.as_view(), name="login"),
    path("+status", api.StatusView.as_view(), name="status"),
    path("+search", web.search, name="search"),
    path("+audit", audit.root_audit, name="audit"),
    path("+logout", web.logout, name="logout"),
    re_path(rf"^(?P<user>{NAME})/\+settings$", web.user_settings, name="user-settings"),
    re_path(rf"^(?P<user>{NAME})/\+settings/tokens$", web.token_create, name="token-create"),
    re_path(
        rf"^(?P<user>{NAME})/\+settings/tokens/(?P<token_id>[0-9a-f]{{1,32}})/revoke$",
        web.token_revoke,
        name="token-revoke",
    ),
    re_path(rf"^(?P<user>{NAME})/\+tokens$", tokens.tokens_view, name="tokens"),
    re_path(rf"^(?P<user>{NAME})/\+tokens/(?P<token_id>[^/]+)$", tokens.token_view, name="token"),
    re_path(
        rf"^(?P<user>{NAME})/(?P<index>{NAME})/\+audit$", audit.index_audit, name="index-audit"
    ),
    re_path(rf"^(?P<user>{NAME})/\+create-index$", web.index_create, name="index-create"),
    re_path(rf"^(?P<user>{NAME})/(?P<index>{NAME})/\+edit$", web.index_edit, name="index-edit"),
    re_path(
        rf"^(?P<user>{NAME})/(?P<index>{NAME})/\+delete$", web.index_delete, name="index-delete"
    ),
    re_path(rf"^(?P<user>{NAME})/\+api$", api.ApiConfigView.as_view()),
    re_path(rf"^(?P<user>{NAME})/(?P<index>{NAME})/\+api$", api.ApiConfigView.as_view()),
    re_path(
        rf"^(?P<user>{NAME})/(?P<index>{NAME})/(?P<project>{NAME})/(?P<version>[^/]+)"
        r"/\+doc/(?P<relpath>.*)$",
        docs.doc_serve,
        name="doc",
    ),
    re_path(
        rf"^(?P<user>{NAME})/(?P<index>{NAME})/(?P<project>{NAME})/(?P<version>[^/]+)"
        r"/\+d/(?P<relpath>.*)$",
        docs.doc_view,
        name="docview",
    ),
    re_path(
        rf"^(?P<user>{NAME})/(?P<index>{NAME})/(?P<project>{NAME})/\+status$",
        web.project_status_submit,
        name="project-status",
    ),
    re_path(rf"^(?P<user>{NAME})/?$", api.UserView.as_view(), name="user"),
    re_path(rf"^(?P<user>{NAME})/(?P<index>{NAME})/?$", api.IndexView.as_view(), name="index"),
    re_path(
        rf"^(?P<user>{NAME})/(?P<index>{NAME})/(?P<project>{NAME})/?$",
        api.ProjectView.as_view(),
        name="project",
    ),
    re_path(
        rf"^(?P<user>{NAME})/(?P<index>{NAME})/(?P<project>{NAME})/(?P<version>[^/]+)/?$",
        api.VersionView.as_view(),
        name="version",
    ),
]
