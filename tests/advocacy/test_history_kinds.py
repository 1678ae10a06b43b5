"""Every audit kind the code writes has a sentence, in English and in French.

The kinds are read from the source, the way ``tests/content/test_post_routes.py`` finds post ids: every call of
``audit_log`` (and ``AuditEntry.objects.create``) in the apps, its ``action`` followed back through the helpers
that pass it on (``_audit(share, by, "cancelled")``, ``_end(run, Status.FAILED, …)``), so a new kind written
anywhere fails here until it is given its sentence.
"""

from __future__ import annotations

import ast
import enum
import importlib
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from advocacy import history

APPS = ("advocacy", "ambassadors", "analytics", "charter", "content")
WRITERS = {"audit_log", "create"}


class Unreadable(Exception):
    pass


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(settings.BASE_DIR).with_suffix("").parts)


def _functions(tree: ast.Module) -> dict[str, ast.FunctionDef]:
    return {node.name: node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}


def _enclosing(tree: ast.Module, target: ast.AST) -> ast.FunctionDef | None:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and any(child is target for child in ast.walk(node)):
            inner = [n for n in ast.walk(node) if isinstance(n, ast.FunctionDef) and n is not node]
            if not any(any(child is target for child in ast.walk(n)) for n in inner):
                return node
    return None


def _call_name(call: ast.Call) -> str:
    return call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", "")


def _parameter_values(node: ast.Name, tree: ast.Module, module_name: str) -> set[str]:
    """A parameter of the enclosing function, as every call of that function in the module passes it."""
    function = _enclosing(tree, node)
    params = [arg.arg for arg in function.args.args + function.args.kwonlyargs] if function else []
    if function is None or node.id not in params:
        raise Unreadable(f"{module_name}: {ast.unparse(node)}")
    positional = [arg.arg for arg in function.args.args]
    found: set[str] = set()
    for call in ast.walk(tree):
        if not isinstance(call, ast.Call) or _call_name(call) != function.name:
            continue
        for keyword in call.keywords:
            if keyword.arg == node.id:
                found |= _values(keyword.value, tree, module_name)
        if node.id in positional and positional.index(node.id) < len(call.args):
            found |= _values(call.args[positional.index(node.id)], tree, module_name)
    if not found:
        raise Unreadable(f"{module_name}: no call of {function.name} passes {node.id}")
    return found


def _values(node: ast.expr, tree: ast.Module, module_name: str) -> set[str]:
    """The strings ``node`` may hold: constants, both arms of a conditional, f-strings of those, parameters."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _values(node.body, tree, module_name) | _values(node.orelse, tree, module_name)
    if isinstance(node, ast.JoinedStr):
        results = {""}
        for part in node.values:
            inner = part.value if isinstance(part, ast.FormattedValue) else part
            results = {left + right for left in results for right in _values(inner, tree, module_name)}
        return results
    if isinstance(node, ast.Name):
        return _parameter_values(node, tree, module_name)
    if isinstance(node, ast.Attribute):
        value = eval(ast.unparse(node), vars(importlib.import_module(module_name)))  # noqa: S307 - our own source
        return {value.value if isinstance(value, enum.Enum) else str(value)}
    raise Unreadable(f"{module_name}: {ast.unparse(node)}")


def written_kinds() -> dict[str, str]:
    """Every action the apps write, with the first module that writes it."""
    kinds: dict[str, str] = {}
    for app in APPS:
        for path in sorted((Path(settings.BASE_DIR) / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(), filename=str(path))
            for call in ast.walk(tree):
                if not isinstance(call, ast.Call) or _call_name(call) not in WRITERS:
                    continue
                if _call_name(call) == "create" and "AuditEntry" not in ast.unparse(call.func):
                    continue
                for keyword in call.keywords:
                    if keyword.arg == "action":
                        for action in _values(keyword.value, tree, _module_name(path)):
                            kinds.setdefault(action, _module_name(path))
    return kinds


def test_the_scan_follows_actions_through_their_helpers():
    kinds = written_kinds()
    # One of each way an action reaches the writer: a constant, a conditional, a helper's positional argument, a
    # status passed to an f-string, a helper's last argument.
    for action in (
        "member.added",
        "programme.member_changed",
        "share.text_changed",
        "share.needs_action",
        "post.changes_requested",
    ):
        assert action in kinds


def test_every_written_kind_has_a_sentence_and_a_label():
    missing = {action: where for action, where in written_kinds().items() if history.kind(action) is None}
    assert missing == {}


@pytest.mark.parametrize("action", sorted(written_kinds()))
def test_every_sentence_and_label_is_translated_into_french(action):
    kind = history.kind(action)
    assert kind is not None
    with translation.override("en"):
        english = (str(kind.sentence), str(kind.label))
    with translation.override("fr"):
        french = (str(kind.sentence), str(kind.label))
    assert french[0] != english[0], f"{action}: no French sentence"
    assert french[1] != english[1], f"{action}: no French label"
