"""Figures of the KPI pages in the reader's number format: counts, figures a network may not give, and the rates and
amounts of the earned media value."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.formats import get_format, number_format
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from analytics.dashboard import Figures
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


@register.filter
def count(value: int | str | None) -> str:
    """A whole number with the reader's thousands separator (12345 → "12,345", "12 345" in French); nothing for
    None. What ``floatformat:"0g"`` prints, without its detour through Decimal: a dashboard prints hundreds."""
    if value is None or value == "":
        return ""
    if type(value) is int and get_format("NUMBER_GROUPING") == 3:
        # The page's hundreds of counts: Python groups the digits, the language gives the separator.
        return f"{value:,}".replace(",", get_format("THOUSAND_SEPARATOR"))
    return number_format(value, use_l10n=True, force_grouping=True)


@register.simple_tag
def figure(value: int | None, known: int | None = None, shares: int | None = None) -> str:
    """A figure a network may not give: the number, or "not provided by the network"; with ``known`` and ``shares``,
    how many of the shares it is known for when not all."""
    if value is None:
        return format_html('<span class="text-body-secondary small">{}</span>', gettext("not provided by the network"))
    if known is None or not shares or known >= shares:
        return count(value)
    note = ngettext(
        "(known for %(counter)s share of %(shares)s)", "(known for %(counter)s shares of %(shares)s)", known
    ) % {"counter": known, "shares": count(shares)}
    return format_html('{} <span class="text-body-secondary small">{}</span>', count(value), note)


@register.simple_tag
def time_rows(buckets: list[tuple[str, list[tuple[str, Figures]]]]) -> SafeString:
    """The rows of the table over time: per bucket, each network's shares, unique clicks, engagement and impressions.
    Written here rather than by nested loops in the template, for the page's largest table (a year by week is 53 rows
    of eight cells): the dashboard with its figures kept went from 39 to 32 ms (bench/dashboard.py, 200,000 clicks)."""
    labels = (gettext("Shares"), gettext("Unique clicks"), gettext("Engagement"), gettext("Impressions"))
    openings: dict[str, list[str]] = {}
    rows = []
    for bucket, networks in buckets:
        cells = []
        for network, row in networks:
            if network not in openings:
                openings[network] = [f'<td data-label="{escape(label)} · {escape(network)}">' for label in labels]
            engagement = figure(row.engagement) if row.shares else "0"
            impressions = figure(row.impressions) if row.shares else "0"
            values = (count(row.shares), count(row.unique_clicks), engagement, impressions)
            cells += [
                f"{opening}{conditional_escape(value)}</td>"
                for opening, value in zip(openings[network], values, strict=True)
            ]
        rows.append(f'<tr><th scope="row">{escape(bucket)}</th>{"".join(cells)}</tr>')
    return mark_safe("\n".join(rows))  # noqa: S308 - every value above is escaped
