"""Rates and amounts of the earned media value, in the reader's number format."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.formats import number_format

from analytics.value import CENT, shown_rate

register = template.Library()


@register.filter
def rate(value: Decimal) -> str:
    """5 → "5.00" ("5,00" in French), 0.125 → "0.125"."""
    return number_format(shown_rate(value), use_l10n=True)


@register.filter
def amount(value: Decimal) -> str:
    """An amount to the cent, with the reader's separators (12345.5 → "12,345.50", "12 345,50" in French)."""
    return number_format(value.quantize(CENT), decimal_pos=2, use_l10n=True, force_grouping=True)
