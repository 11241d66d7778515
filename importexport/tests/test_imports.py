"""The app's import rules (``importexport/__init__.py``): it never imports
views, DRF or ``django.http``, and ``indexes`` never imports it."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FORBIDDEN = ("rest_framework", "django.http", "indexes.views", "mirror.views", "toxresults.views")


def imported(path: Path) -> set[str]:
    """The modules a file imports, relative imports resolved."""
    package = path.relative_to(REPO).with_suffix("").parts[:-1]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else ()
            module = ".".join([*base, *([node.module] if node.module else [])])
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def test_importexport_imports_no_http_layer() -> None:
    for path in sorted((REPO / "importexport").rglob("*.py")):
        if "tests" in path.parts:
            continue
        bad = [
            name
            for name in imported(path)
            if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)
        ]
        assert not bad, f"{path.relative_to(REPO)} imports {bad}"


def test_indexes_never_imports_importexport() -> None:
    for path in sorted((REPO / "indexes").rglob("*.py")):
        if "tests" in path.parts:
            continue
        bad = [
            name
            for name in imported(path)
            if name == "importexport" or name.startswith("importexport.")
        ]
        assert not bad, f"{path.relative_to(REPO)} imports {bad}"
