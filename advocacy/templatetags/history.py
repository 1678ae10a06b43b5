"""Audit entries among the rest of a history (a post's revisions and decisions), as ``advocacy.history`` sentences."""

from __future__ import annotations

from typing import Any

from django import template

from advocacy import history

register = template.Library()


@register.simple_tag(takes_context=True)
def readable_history(context: dict[str, Any], items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``items`` with each audit item's ``line`` (``{"kind": "audit", "entry": …}``), all resolved together."""
    membership = context["request"].membership
    audit = [item for item in items if item.get("kind") == "audit"]
    lines = history.lines([item["entry"] for item in audit], membership=membership)
    by_entry = {id(line.entry): line for line in lines}
    return [{**item, "line": by_entry[id(item["entry"])]} if item in audit else item for item in items]
