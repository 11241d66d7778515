"""Rules about the code itself, read with ``ast`` (nothing is imported):

- every public function of the domain has annotations for its parameters
  and its return (mypy checks that they are right: pyproject.toml);
- no module outside tests and migrations is over 400 lines, and no
  function is over 60 lines;
- imports point one way (docs/architecture.md): the domain never imports
  the HTTP layer (views, Django REST framework, ``django.http``), and the
  index core never imports the apps that plug into it or use it
  (``client``, ``importexport``, ``mirror``, ``toxresults``); nor do the
  other apps import those above them (``NEVER_IMPORTS``).

An import-linter contract would say the last rule too, but it builds its
graph by importing nothing and parsing everything, which is what this file
does in a few lines, without another tool to pin; it also sees imports
inside functions (the way the apps' ``ready()`` and lazy imports are
written here), and it names the rule's exceptions next to the rule.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SKIP_DIRS = {
    ".venv",
    "var",
    "build",
    "dist",
    "node_modules",
    "static",
    "templates",
    "deploy",
    "docs",
    ".git",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
}

MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60

# Over the limits and waiting to be split: empty since the issue 16 merge (a
# name may stand here only with a dated reason; a new offender fails at once)
PENDING_SPLIT: set[str] = set()

# The domain: its public functions are fully annotated.
TYPED_DOMAIN = [
    "indexes/selectors.py",
    "indexes/resolution.py",
    "indexes/distribution/*.py",
    "indexes/models.py",
    "indexes/permissions.py",
    "indexes/storage.py",
    "indexes/config.py",
    "indexes/project_status.py",
    "indexes/audit.py",
    "indexes/tokens.py",
    "indexes/throttle.py",
    "indexes/services/*.py",
    "indexes/services/*/*.py",
    "indexes/versiondata.py",
    "indexes/serverstate.py",
    "indexes/lookups.py",
    "mirror/common.py",
    "mirror/files.py",
    "mirror/listing.py",
    "mirror/metadata.py",
    "mirror/pages.py",
    "mirror/parsing.py",
    "mirror/refresh.py",
    "mirror/services.py",
    "toxresults/models.py",
    "toxresults/services.py",
    "toxresults/selectors.py",
    "toxresults/reports.py",
]
# modules of the domain not yet fully annotated (none since the issue 16 merge)
TYPED_PENDING: set[str] = set()

# Modules that hold rules and data, never HTTP.
HTTP_FREE_DOMAIN = [
    "indexes/serverstate.py",
    "indexes/lookups.py",
    "indexes/services/*.py",
    "indexes/services/*/*.py",
    "indexes/versiondata.py",
    "indexes/distribution/*.py",
    "indexes/selectors.py",
    "indexes/resolution.py",
    "indexes/models.py",
    "indexes/permissions.py",
    "indexes/storage.py",
    "mirror/services.py",
    "mirror/common.py",
    "mirror/locks.py",
    "mirror/upstream.py",
    "mirror/kind.py",
    "mirror/models.py",
    "mirror/tasks.py",
    "indexes/fileserving.py",
    "mirror/files.py",
    "mirror/listing.py",
    "mirror/metadata.py",
    "mirror/pages.py",
    "mirror/refresh.py",
    "mirror/parsing.py",
    "toxresults/services.py",
    # the programs beside the server: the devpi-client workflow and devpi's
    # export format never answer HTTP requests
    "client/*.py",
    "client/*/*.py",
    "client/*/*/*.py",
    "importexport/*.py",
]
HTTP_MODULES = ("django.http", "rest_framework")
# (module, HTTP module) pairs excused from the rule: none. The mirror's file
# service says what to serve (``indexes.fileserving``); the +f view answers.
HTTP_IMPORT_ALLOWED: set[tuple[str, str]] = set()
# app -> the apps it never imports (each app's docstring says why): the
# index core never imports the apps that plug into it or use it
NEVER_IMPORTS = {
    "indexes": ("client", "importexport", "mirror", "toxresults"),
    "mirror": ("client", "importexport", "toxresults"),
    "toxresults": ("client", "mirror"),
    "ops": ("client", "importexport"),
    "devpi_django": ("client", "importexport", "indexes", "mirror", "toxresults"),
    "importexport": ("client",),
}


def python_files() -> Iterator[Path]:
    for path in sorted(REPO.rglob("*.py")):
        parts = path.relative_to(REPO).parts
        if not SKIP_DIRS.intersection(parts):
            yield path


def rel(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


def is_test_or_migration(path: str) -> bool:
    parts = path.split("/")
    return (
        "tests" in parts[:-1]
        or "migrations" in parts[:-1]
        or parts[-1].startswith("test_")
        or parts[-1] == "conftest.py"
    )


def matches(path: str, patterns: list[str] | set[str]) -> bool:
    return any(
        Path(path).match(pattern) and path.count("/") == pattern.count("/") for pattern in patterns
    )


def functions(
    tree: ast.AST, prefix: str = ""
) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """(qualified name, node) of every function and method, nested ones too."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield prefix + node.name, node
            yield from functions(node, prefix + node.name + ".")
        elif isinstance(node, ast.ClassDef):
            yield from functions(node, prefix + node.name + ".")
        elif not isinstance(node, ast.expr):
            yield from functions(node, prefix)


def public_functions(
    tree: ast.Module,
) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """Module-level functions and methods of module-level classes whose
    names are public (dunder methods count: ``__str__`` is public)."""

    def public(name: str) -> bool:
        return not name.startswith("_") or (name.startswith("__") and name.endswith("__"))

    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and public(node.name):
            yield node.name, node
        elif isinstance(node, ast.ClassDef) and public(node.name):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and public(item.name):
                    yield f"{node.name}.{item.name}", item


def missing_annotations(node: ast.FunctionDef | ast.AsyncFunctionDef, is_method: bool) -> list[str]:
    args = node.args
    params = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    if is_method and params and params[0].arg in ("self", "cls"):
        params = params[1:]
    params += [a for a in (args.vararg, args.kwarg) if a is not None]
    missing = [p.arg for p in params if p.annotation is None]
    if node.returns is None and node.name != "__init__":
        missing.append("return")
    return missing


def imported_modules(tree: ast.Module, module: str) -> Iterator[tuple[str, int]]:
    """(absolute module name, line) of every import, relative ones resolved
    against ``module`` (the importing module's dotted name)."""
    package = module.split(".")
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            yield name, node.lineno
            for alias in node.names:  # ``from . import views`` imports a module too
                yield f"{name}.{alias.name}", node.lineno


def dotted(path: str) -> str:
    name = path.removesuffix(".py").replace("/", ".")
    return name.removesuffix(".__init__")


def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def is_view_module(name: str) -> bool:
    parts = name.split(".")
    return "views" in parts or (len(parts) > 1 and parts[-1] == "views")


# -- the rules --------------------------------------------------------------------


def test_every_public_function_of_the_domain_is_annotated():
    found = []
    checked = 0
    for path in python_files():
        name = rel(path)
        if not matches(name, TYPED_DOMAIN) or name in TYPED_PENDING:
            continue
        checked += 1
        for qualname, node in public_functions(parse(path)):
            missing = missing_annotations(node, is_method="." in qualname)
            if missing:
                found.append(f"{name}:{node.lineno} {qualname}: {', '.join(missing)}")
    assert checked > 20
    assert not found, "unannotated public functions:\n" + "\n".join(found)


def test_no_module_over_400_lines_and_no_function_over_60():
    found = []
    for path in python_files():
        name = rel(path)
        if is_test_or_migration(name):
            continue
        text = path.read_text()
        lines = len(text.splitlines())
        if lines > MAX_MODULE_LINES and name not in PENDING_SPLIT:
            found.append(f"{name}: {lines} lines")
        for qualname, node in functions(parse(path)):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > MAX_FUNCTION_LINES and f"{name}::{qualname}" not in PENDING_SPLIT:
                found.append(f"{name}::{qualname}: {length} lines")
    assert not found, (
        f"over {MAX_MODULE_LINES} lines a module or {MAX_FUNCTION_LINES} a "
        "function (split it along its seams):\n" + "\n".join(found)
    )


def test_the_domain_never_imports_http():
    found = []
    for path in python_files():
        name = rel(path)
        if not matches(name, HTTP_FREE_DOMAIN):
            continue
        for module, line in imported_modules(parse(path), dotted(name)):
            http = (
                module.startswith(HTTP_MODULES)
                or module == "indexes.wire"
                or is_view_module(module)
            )
            if not http:
                continue
            key = next((m for m in (*HTTP_MODULES, "indexes.wire") if module.startswith(m)), module)
            if any(
                name == allowed or matches(name, [allowed])
                for allowed, what in HTTP_IMPORT_ALLOWED
                if what == key
            ):
                continue
            found.append(f"{name}:{line} imports {module}")
    assert not found, "the domain imports the HTTP layer:\n" + "\n".join(found)


def test_apps_never_import_the_apps_above_them():
    found = []
    for path in python_files():
        name = rel(path)
        app = name.split("/")[0]
        if app not in NEVER_IMPORTS or is_test_or_migration(name):
            continue
        for module, line in imported_modules(parse(path), dotted(name)):
            if module.split(".")[0] in NEVER_IMPORTS[app]:
                found.append(f"{name}:{line} imports {module}")
    assert not found, (
        "an app imports one above it (plug in through indexes.kinds or "
        "indexes.registry instead):\n" + "\n".join(found)
    )


# the layers inside indexes: resolution (and the versions listing built on it)
# sit below the selectors, and find an index through indexes.lookups
BELOW_SELECTORS = ("indexes/resolution.py", "indexes/versiondata.py", "indexes/lookups.py")


def test_resolution_never_imports_the_selectors():
    found = []
    for name in BELOW_SELECTORS:
        for module, line in imported_modules(parse(REPO / name), dotted(name)):
            if module in ("indexes.selectors", "indexes.web_selectors") or module.startswith(
                ("indexes.selectors.", "indexes.web_selectors.")
            ):
                found.append(f"{name}:{line} imports {module}")
    assert not found, "a cycle with the selectors:\n" + "\n".join(found)


# -- the checks check --------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "missing"),
    [
        ("def f(a: int) -> int: ...", []),
        ("def f(a, *, b: int = 1) -> None: ...", ["a"]),
        ("def f(a: int): ...", ["return"]),
        ("def f(*args, **kwargs) -> None: ...", ["args", "kwargs"]),
    ],
)
def test_missing_annotations_sees_what_is_missing(source, missing):
    node = ast.parse(source).body[0]
    assert isinstance(node, ast.FunctionDef)
    assert missing_annotations(node, is_method=False) == missing


def test_imports_are_resolved_relative_to_the_importing_module():
    tree = ast.parse(
        "from ..views import api\nfrom . import views\nimport rest_framework\n"
        "def f():\n    from django.http import HttpResponse\n"
    )
    found = {name for name, _ in imported_modules(tree, "indexes.services.uploads")}
    assert {
        "indexes.views",
        "indexes.views.api",
        "indexes.services.views",
        "rest_framework",
        "django.http",
        "django.http.HttpResponse",
    } <= found
    assert is_view_module("indexes.views.api") and is_view_module("toxresults.views")
    assert not is_view_module("indexes.viewsets_like_name")


def test_the_pending_lists_name_files_that_exist_or_are_being_moved():
    """A name in PENDING_SPLIT that no longer exists is left over: drop it."""
    for entry in PENDING_SPLIT | TYPED_PENDING:
        path = entry.split("::")[0]
        assert (REPO / path).exists(), entry
