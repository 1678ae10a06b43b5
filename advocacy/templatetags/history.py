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
    entries = [item["entry"] for item in items if item.get("kind") == "audit"]
    by_entry = {line.entry.pk: line for line in history.lines(entries, membership=membership)}
    return [{**item, "line": by_entry[item["entry"].pk]} if item.get("kind") == "audit" else item for item in items]
