"""Template helpers for pages outside the charter app (the organisation home): the member's charter standing and
their next training module. The tenancy core's views stay unaware of the charter app; the template asks."""

from __future__ import annotations

from typing import Any

from django import template

from charter import selectors
from charter.models import TrainingModule

register = template.Library()


@register.simple_tag(takes_context=True)
def charter_standing(context: dict[str, Any]) -> selectors.CharterStatus | None:
    """``{% charter_standing as charter %}``: the signed-in member's status under the charter, or None outside."""
    membership = context.get("membership")
    return selectors.charter_status(membership=membership) if membership is not None else None


@register.simple_tag(takes_context=True)
def next_training(context: dict[str, Any]) -> TrainingModule | None:
    """``{% next_training as module %}``: the next novice module the member has not completed."""
    membership = context.get("membership")
    return selectors.next_training_module(membership=membership) if membership is not None else None
