"""The core (``advocacy``) is the bottom layer: feature apps import it, never the other way round."""

from __future__ import annotations

import ast
from pathlib import Path

import advocacy

FEATURE_APPS = {"content", "ambassadors", "charter", "analytics"}


def _imported_apps(source: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(), filename=str(source))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & FEATURE_APPS


def test_advocacy_imports_no_feature_app():
    root = Path(advocacy.__file__).parent
    offenders = {
        str(source.relative_to(root.parent)): sorted(apps)
        for source in sorted(root.rglob("*.py"))
        if (apps := _imported_apps(source))
    }
    assert offenders == {}
