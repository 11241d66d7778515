"""The web UI: HTML pages at the same URLs as the JSON API (content
negotiation in ``indexes.views.api`` picks these for text/html), and the
forms of the web UI (login, account settings, index create/edit/delete).

Forms act as the browser session's user (Django's session, with CSRF). The
JSON API never looks at the session: it authenticates by ``X-Devpi-Auth``
and Basic auth only. Every change goes through the same services as the
API, so the validation is the same.
"""

from __future__ import annotations

from django.contrib import auth as django_auth
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from devpi_django import __version__

from .. import permissions, search as search_selectors, selectors, web_selectors
from ..audit import audit_record
from ..auth import check_password_credentials
from ..config import ANONYMOUS
from ..errors import DevpiError, TooManyRequests
from ..forms import IndexConfigForm, IndexCreateForm, LoginForm, TokenCreateForm, UserSettingsForm
from ..models import Index, ProjectStatus
from ..project_status import STATUSES
from ..services import project_status as project_status_services
from ..services import indexes as index_services
from ..services import tokens as token_services
from ..services import users as user_services
from .common import outside_url, read_identity

METADATA_FIELDS = [
    ("author", "Author"), ("author_email", "Author email"), ("maintainer", "Maintainer"),
    ("maintainer_email", "Maintainer email"), ("license", "License"),
    ("license_expression", "License"), ("home_page", "Home page"),
    ("requires_python", "Requires Python"), ("keywords", "Keywords"),
    ("platform", "Platform"),
]
LIST_METADATA_FIELDS = [("requires_dist", "Requires"), ("provides_extras", "Extras"),
                        ("project_urls", "Project links"), ("classifiers", "Classifiers")]


def session_user(request):
    """The browser session's user, or None."""
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def _forbidden(request, message: str):
    return render(request, "indexes/forbidden.html", {"message": message}, status=403)


def _login_redirect(request):
    return redirect(f"/+login?next={request.get_full_path()}")


# -- pages at devpi's URLs -------------------------------------------------------

def root_page(request, configs):
    users = [
        {"name": name, "title": config.get("title", ""),
         "indexes": [{"name": ix_name, **ix} for ix_name, ix in config.get("indexes", {}).items()]}
        for name, config in configs.items()
    ]
    return render(request, "indexes/root.html", {"users": users})


def user_page(request, account, config):
    actor = session_user(request)
    indexes = [{"name": name, "fullname": f"{account.username}/{name}", **ix}
               for name, ix in config.get("indexes", {}).items()]
    return render(request, "indexes/user.html", {
        "account": account, "config": config, "indexes": indexes,
        "may_create_index": permissions.may_create_index(actor, account.username),
        "may_modify_user": actor is not None and permissions.may_modify_user(
            actor, account.username, password_only=True),
    })


def index_page(request, index):
    actor = session_user(request)
    config = selectors.index_config(index, viewer=actor)
    projects = None if index.is_mirror else web_selectors.index_projects(
        index, page=request.GET.get("page"))
    return render(request, "indexes/index.html", {
        "index": index, "config": config, "projects": projects,
        "base_url": outside_url(request),
        "may_modify": permissions.may_modify_index(actor, index),
        "may_audit": permissions.may_read_audit(actor, index),
        "readers": ", ".join(config.get("acl_read", [ANONYMOUS])) or "the owner and root",
    })


def project_page(request, index, project, versions, status=None, *, form_error=None):
    rows = web_selectors.project_version_rows(index, project, versions)
    display = next((str(data["name"]) for data in versions.values() if data.get("name")),
                   project)
    own = (ProjectStatus.objects.filter(index=index, name=project).first()
           if status is not None else None)
    return render(request, "indexes/project.html", {
        "index": index, "project": project, "display_name": display, "versions": rows,
        "base_url": outside_url(request), "status": status,
        "may_set_status": project_status_services.may_set_status(session_user(request), index),
        "statuses": STATUSES, "own_status": own.status if own else "active",
        "own_reason": own.reason if own else "",
    })


@require_http_methods(["POST"])
@csrf_protect
def project_status_submit(request, user, index, project):
    """The project page's status form (session user, CSRF): the same
    service and validation as ``PATCH /<user>/<index>/<project>``."""
    ix = selectors.index_get(user, index)
    actor = session_user(request)
    if actor is None:
        return _login_redirect(request)
    try:
        row = project_status_services.project_status_set(
            index=ix, project=project, user=actor,
            data={"status": request.POST.get("status"),
                  "reason": request.POST.get("reason", "")})
    except DevpiError as exc:
        if exc.status in (401, 403):
            return _forbidden(request, exc.message)
        return render(request, "indexes/forbidden.html",
                      {"message": exc.message, "title": "Not changed"}, status=400)
    messages.success(request, f"{row.name} is {row.status} on {ix.fullname}.")
    return redirect(f"/{ix.fullname}/{row.name}")


def _metadata_rows(data: dict) -> tuple[list, list]:
    single = []
    seen = set()
    for key, label in METADATA_FIELDS:
        value = data.get(key)
        if value and value != "UNKNOWN" and label not in seen:
            seen.add(label)
            single.append((label, value))
    lists = []
    for key, label in LIST_METADATA_FIELDS:
        values = data.get(key)
        if isinstance(values, str):
            values = [values]
        if values:
            if key == "project_urls":
                values = [tuple(part.strip() for part in v.split(",", 1)) if "," in v
                          else (v, v) for v in values]
            lists.append((key, label, values))
    return single, lists


def version_page(request, index, project, version, data):
    rows = web_selectors.project_version_rows(index, project, {version: data})
    source = rows[0].index if rows else index.fullname
    files = web_selectors.version_files(data, source)
    web_selectors.attach_toxresults(files)
    single, lists = _metadata_rows(data)
    docs = next((link for link in data.get("+links", []) if link.get("rel") == "doczip"), None)
    return render(request, "indexes/version.html", {
        "index": index, "project": project, "version": version, "data": data,
        "name": data.get("name") or project, "source": source,
        "files": files, "has_toxresults": any(f.toxresults for f in files),
        "metadata": single, "metadata_lists": lists,
        "docs_url": f"/{index.fullname}/{project}/{version}/+d/index.html" if docs else None,
        "description_html": web_selectors.version_description_html(source, project, version),
        "yanked": data.get("yanked"),
        "base_url": outside_url(request),
    })


def status_page(request, result):
    return render(request, "indexes/status.html", {
        "status": result, "mirrors": web_selectors.mirror_status_rows(result.get("mirrors", {})),
        "version": __version__,
    })


# -- search --------------------------------------------------------------------

@require_http_methods(["GET", "HEAD"])
def search(request):
    query = request.GET.get("query", "").strip()
    page = search_selectors.project_search(query=query, page=request.GET.get("page"),
                                           reader=read_identity(request))
    return render(request, "indexes/search.html", {
        "query": query, "page": page, "page_extra": urlencode({"query": query}) + "&"})


# -- login and logout -----------------------------------------------------------

def _safe_next(request, default: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default


def login_page(request):
    """GET /+login for a browser: the login form."""
    if session_user(request) is not None and "next" not in request.GET:
        return redirect(f"/{request.user.username}")
    form = LoginForm()
    return render(request, "indexes/login.html", {"form": form, "next": _safe_next(request, "")})


@csrf_protect
def login_submit(request):
    """POST /+login from the login form: a Django session (devpi's JSON login
    stays in ``indexes.views.api.login``)."""
    form = LoginForm(request.POST)
    if form.is_valid():
        username = form.cleaned_data["username"]
        password = form.cleaned_data["password"] or ""
        try:
            account = check_password_credentials(request, username, password)
        except TooManyRequests as exc:
            form.add_error(None, f"Too many failed logins: try again in {exc.retry_after} "
                                 "seconds.")
            response = render(request, "indexes/login.html",
                              {"form": form, "next": _safe_next(request, "")}, status=429)
            response["Retry-After"] = str(exc.retry_after)
            return response
        if account is not None:
            django_auth.login(request, account)  # the backend that authenticated it
            audit_record("login.success", target=account.username, actor=account.username,
                         via="password (web)")
            return HttpResponseRedirect(_safe_next(request, f"/{account.username}"))
        audit_record("login.failure", target=username[:150], via="password (web)")
        form.add_error(None, "Unknown user name or wrong password.")
    return render(request, "indexes/login.html", {"form": form, "next": _safe_next(request, "")},
                  status=400)


@require_http_methods(["GET", "HEAD", "POST"])
def logout(request):
    if request.method == "POST":
        django_auth.logout(request)
        messages.info(request, "You are logged out.")
        return redirect("/")
    return render(request, "indexes/logout.html", {})


# -- account settings -----------------------------------------------------------

@require_http_methods(["GET", "HEAD", "POST"])
def user_settings(request, user):
    account = selectors.user_get(user)
    actor = session_user(request)
    if actor is None:
        if request.method == "POST":
            return _forbidden(request, "Log in to change account settings.")
        return _login_redirect(request)
    if not permissions.may_modify_user(actor, user, password_only=True):
        return _forbidden(request, f"You may not change the account of {user}.")
    if request.method == "POST":
        form = UserSettingsForm(request.POST)
        if form.is_valid():
            data = {}
            if form.cleaned_data["email"] != (account.email or ""):
                if not permissions.may_modify_user(actor, user):
                    return _forbidden(request, f"You may not change the email of {user}.")
                data["email"] = form.cleaned_data["email"]
            new_password = form.cleaned_data["new_password"]
            if new_password:
                if check_password_credentials(request, actor.username,
                                              form.cleaned_data["current_password"] or "") is None:
                    form.add_error("current_password", "This is not your current password.")
                else:
                    data["password"] = new_password
            if not form.errors:
                try:
                    if data:
                        user_services.user_modify(user=account, data=data)
                except DevpiError as exc:
                    form.add_error(None, exc.message)
                else:
                    if "password" in data and account.pk == actor.pk:
                        django_auth.update_session_auth_hash(request, account)
                    messages.success(request, "Settings saved." if data else "Nothing changed.")
                    return redirect(f"/{user}/+settings")
        status = 400
    else:
        form = UserSettingsForm(initial={"email": account.email})
        status = 200
    return _settings_page(request, account, actor, form=form, status=status)


def _settings_page(request, account, actor, *, form=None, token_form=None, new_token=None,
                   status=200):
    may_tokens = permissions.may_manage_tokens(actor, account.username)
    return render(request, "indexes/user_settings.html", {
        "account": account,
        "form": form or UserSettingsForm(initial={"email": account.email}),
        "token_form": token_form or TokenCreateForm(),
        "may_create_token": permissions.may_create_token(actor, account.username),
        "tokens": token_services.api_tokens_list(owner=account) if may_tokens else [],
        "new_token": new_token,
    }, status=status)


def _token_actor(request, user):
    """(account, actor, None) when the session's user may manage ``user``'s
    tokens, else (None, None, response)."""
    account = selectors.user_get(user)
    actor = session_user(request)
    if actor is None:
        return None, None, _forbidden(request, "Log in to manage API tokens.")
    if not permissions.may_manage_tokens(actor, user):
        return None, None, _forbidden(request, f"You may not manage the tokens of {user}.")
    return account, actor, None


@require_http_methods(["POST"])
def token_create(request, user):
    """The settings page's token form: the secret is shown once, on the page
    this POST answers with (never in a redirect or a stored message)."""
    account, actor, refused = _token_actor(request, user)
    if refused is not None:
        return refused
    if not permissions.may_create_token(actor, user):
        return _forbidden(request, f"You may not create tokens for {user}.")
    form = TokenCreateForm(request.POST)
    if form.is_valid():
        try:
            token, secret = token_services.api_token_create(owner=account,
                                                            data=form.token_data())
        except DevpiError as exc:
            form.add_error(None, exc.message)
        else:
            return _settings_page(request, account, actor, new_token={
                "id": token.public_id, "token": secret})
    return _settings_page(request, account, actor, token_form=form, status=400)


@require_http_methods(["POST"])
def token_revoke(request, user, token_id):
    account, actor, refused = _token_actor(request, user)
    if refused is not None:
        return refused
    token = token_services.api_token_revoke(owner=account, token_id=token_id)
    messages.success(request, f"Token {token.public_id} revoked.")
    return redirect(f"/{user}/+settings")


# -- indexes: create, edit, delete ---------------------------------------------

@require_http_methods(["GET", "HEAD", "POST"])
def index_create(request, user):
    owner = selectors.user_get(user)
    actor = session_user(request)
    if actor is None and request.method != "POST":
        return _login_redirect(request)
    if not permissions.may_create_index(actor, user):
        return _forbidden(request, f"You may not create indexes for {user}.")
    status = 200
    if request.method == "POST":
        form = IndexCreateForm(request.POST, initial=IndexCreateForm.initial_for(user))
        if form.is_valid():
            index_type = form.cleaned_data["type"]
            try:
                ix = index_services.index_create(owner=owner, name=form.cleaned_data["name"],
                                                 data=form.config_data(index_type))
            except DevpiError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"Index {ix.fullname} created.")
                return redirect(f"/{ix.fullname}")
        status = 400
    else:
        form = IndexCreateForm(initial=IndexCreateForm.initial_for(user))
    return render(request, "indexes/index_create.html", {
        "owner": owner, "form": form,
        "stage_fields": [form[k] for k in form.STAGE_FIELDS],
        "mirror_only_fields": [form[k] for k in form.MIRROR_FIELDS if k not in form.STAGE_FIELDS],
    }, status=status)


def _index_for_change(request, user, index):
    """(index, None) when the session's user may change it, else (None, response)."""
    ix = selectors.index_get(user, index)
    actor = session_user(request)
    if actor is None and request.method != "POST":
        return None, _login_redirect(request)
    if not permissions.may_modify_index(actor, ix):
        return None, _forbidden(request, f"You may not change the index {ix.fullname}.")
    return ix, None


@require_http_methods(["GET", "HEAD", "POST"])
def index_edit(request, user, index):
    ix, refused = _index_for_change(request, user, index)
    if refused is not None:
        return refused
    status = 200
    if request.method == "POST":
        form = IndexConfigForm(request.POST)
        if form.is_valid():
            try:
                index_services.index_modify(index=ix, data=form.config_data(ix.type))
            except DevpiError as exc:
                form.add_error(None, exc.message)
                ix.refresh_from_db()
            else:
                messages.success(request, f"Index {ix.fullname} saved.")
                return redirect(f"/{ix.fullname}")
        status = 400
    else:
        form = IndexConfigForm(initial=IndexConfigForm.initial_from(ix.config))
    return render(request, "indexes/index_edit.html", {
        "index": ix, "form": form, "fields": [form[k] for k in form.fields_for(ix.type)],
    }, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def index_delete(request, user, index):
    ix, refused = _index_for_change(request, user, index)
    if refused is not None:
        return refused
    error, status = None, 200
    if request.method == "POST":
        try:
            index_services.index_delete(index=ix)
        except DevpiError as exc:
            error, status = exc.message, 400
        else:
            messages.success(request, f"Index {ix.fullname} deleted.")
            return redirect(f"/{ix.owner.username}")
    children = [other.fullname for other in Index.objects.select_related("owner")
                if ix.fullname in other.bases]
    return render(request, "indexes/index_delete.html",
                  {"index": ix, "error": error, "children": children}, status=status)
