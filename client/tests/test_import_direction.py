"""The client app's place in the import graph (its package docstring): it
never imports views, DRF or ``django.http``, and ``indexes`` never imports it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FORBIDDEN_IN_CLIENT = ("indexes.views", "rest_framework", "django.http")


def imported_modules(path: Path) -> set[str]:
    """Absolute names of the modules a file imports (relative ones resolved)."""
    package = ".".join(path.relative_to(REPO).with_suffix("").parts[:-1])
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def sources(app: str) -> list[Path]:
    return [p for p in sorted((REPO / app).rglob("*.py")) if "tests" not in p.parts]


def under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


@pytest.mark.parametrize("path", sources("client"), ids=lambda p: str(p.relative_to(REPO)))
def test_client_imports_no_http_layer(path):
    bad = sorted(
        n for n in imported_modules(path) if any(under(n, prefix) for prefix in FORBIDDEN_IN_CLIENT)
    )
    assert not bad, f"{path.relative_to(REPO)} imports {bad}"


def test_indexes_never_imports_client():
    bad = [
        str(p.relative_to(REPO))
        for p in sources("indexes")
        if any(under(n, "client") for n in imported_modules(p))
    ]
    assert not bad


def test_the_check_sees_relative_imports():
    assert "indexes.views.common" in imported_modules(REPO / "indexes" / "views" / "tokens.py")
