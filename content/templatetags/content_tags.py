"""The approvals badge of the top navigation."""

from typing import Any

from django import template

from content import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def approval_count(context: dict[str, Any]) -> int:
    """How many posts wait for the signed-in member's decision: one COUNT query, cached for the request."""
    request = context.get("request")
    membership = getattr(request, "membership", None)
    if request is None or membership is None:
        return 0
    return selectors.approvals_waiting_for_request(request, membership)
