"""Wording and chart data of the KPI pages: labels in the reader's language, the comparison with the previous period,
and the specifications ``static/js/charts.js`` draws with Chart.js. Each chart's figures are also in the table beside
it, drawn by the template from the same selectors."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from advocacy.models import Membership, Organization
from ambassadors.selectors import ranking_names
from analytics.dashboard import (
    Adoption,
    Bucket,
    Figures,
    Filters,
    Period,
    ProgrammeRow,
    TopicGap,
    biggest_gaps,
    bucket_size,
    headline,
    kpi_figures,
    over_time,
    top_ambassadors,
    top_posts,
    topic_gaps,
)
from analytics.referrals import cost_per_hire, referral_settings, referral_totals
from analytics.retention import quarter_of
from analytics.selectors import current_quarter, emv_rates, goal_progress
from analytics.value import NetworkFigures, earned_media_value
from content.models import Network

FUNNEL_LABELS: dict[str, Promise] = {
    "invited": pgettext_lazy("adoption funnel", "Invited"),
    "joined": pgettext_lazy("adoption funnel", "Joined"),
    "charter": pgettext_lazy("adoption funnel", "Accepted the charter"),
    "connected": pgettext_lazy("adoption funnel", "Connected an account"),
    "shared": pgettext_lazy("adoption funnel", "Shared at least once"),
    "active": pgettext_lazy("adoption funnel", "Shared in the last 30 days"),
}
NETWORK_COLOURS: dict[str, str] = {Network.LINKEDIN: "#0a66c2", Network.X: "#0f1419", Network.GENERIC: "#6c757d"}
SERIES_COLOURS = ("#1d4ed8", "#f59e0b")


def network_label(network: str) -> str:
    try:
        return str(Network(network).label)
    except ValueError:
        return network


@dataclass(frozen=True)
class Change:
    """A figure against the previous period's: ``percent`` is None when there is nothing to compare with."""

    current: int | None
    previous: int | None

    @property
    def percent(self) -> int | None:
        if self.current is None or not self.previous:
            return None
        return round(100 * (self.current - self.previous) / self.previous)

    @property
    def direction(self) -> str:
        if self.current is None or self.previous is None or self.current == self.previous:
            return "same"
        return "up" if self.current > self.previous else "down"


def network_figures(totals: Figures) -> NetworkFigures:
    """A network's totals as earned media value reads them."""
    return NetworkFigures(
        unique_clicks=totals.unique_clicks,
        likes=totals.likes,
        comments=totals.comments,
        reshares=totals.reshares,
        impressions=totals.impressions,
    )


def headline_changes(current: Figures, previous: Figures) -> dict[str, Change]:
    return {
        name: Change(getattr(current, name), getattr(previous, name))
        for name in ("shares", "unique_clicks", "clicks", "engagement", "impressions", "active_ambassadors")
    }


def quick_periods(today: date) -> list[tuple[str, Period]]:
    """The periods a manager picks most, one click each."""
    quarter_start, _quarter_end = quarter_of(today)
    last_quarter_start, last_quarter_end = quarter_of(quarter_start - timedelta(days=1))
    return [
        (_("Last 7 days"), Period(today - timedelta(days=6), today)),
        (_("Last 28 days"), Period(today - timedelta(days=27), today)),
        (_("Last 90 days"), Period(today - timedelta(days=89), today)),
        (_("This quarter"), Period(quarter_start, today)),
        (_("Last quarter"), Period(last_quarter_start, last_quarter_end)),
        (_("Last 12 months"), Period(today - timedelta(days=364), today)),
    ]


def bucket_label(bucket: Bucket, size: str) -> str:
    if size == "month":
        return date_format(bucket.first_day, "F Y")
    if size == "week":
        return _("Week of %(day)s") % {"day": date_format(bucket.first_day, "SHORT_DATE_FORMAT")}
    return date_format(bucket.first_day, "SHORT_DATE_FORMAT")


def _line(label: str, data: list[Any], colour: str) -> dict[str, Any]:
    return {"label": label, "data": data, "borderColor": colour, "backgroundColor": colour}


TIME_FIGURES: dict[str, Promise] = {
    "shares": gettext_lazy("Shares by network"),
    "unique_clicks": gettext_lazy("Unique clicks by network"),
    "engagement": gettext_lazy("Engagement by network"),
    "impressions": gettext_lazy("Impressions by network"),
}


def over_time_charts(buckets: list[Bucket], labels: list[str], figures: Iterable[str]) -> list[dict[str, Any]]:
    """One chart per figure, a line (or stacked bars, for shares) per network: ``{id, title, spec}``. A figure a
    network did not give is a gap (null), not a zero."""
    networks = list(buckets[0].by_network) if buckets else []
    charts = []
    for figure in figures:
        datasets = [
            _line(
                network_label(network),
                [getattr(bucket.by_network[network], figure) for bucket in buckets],
                NETWORK_COLOURS.get(network, "#6c757d"),
            )
            for network in networks
        ]
        spec = {
            "type": "bar" if figure == "shares" else "line",
            "labels": labels,
            "datasets": datasets,
            "stacked": figure == "shares",
        }
        charts.append({"id": f"chart-{figure}", "title": str(TIME_FIGURES[figure]), "spec": spec})
    return charts


def _over_time(buckets: list[Bucket], size: str, figures: Iterable[str]) -> dict[str, Any]:
    """The charts over time and the table beside them (a row per bucket, each network's figures under its name), the
    buckets' labels worked out once for both."""
    labels = [bucket_label(bucket, size) for bucket in buckets]
    names = {network: network_label(network) for network in (buckets[0].by_network if buckets else {})}
    return {
        "bucket_size": size,
        "networks": list(names.values()),
        "buckets": [
            (label, [(names[network], figures) for network, figures in bucket.by_network.items()])
            for label, bucket in zip(labels, buckets, strict=True)
        ],
        "time_charts": over_time_charts(buckets, labels, figures),
    }


def funnel_chart(adoption: Adoption) -> dict[str, Any]:
    return {
        "type": "bar",
        "horizontal": True,
        "labels": [str(FUNNEL_LABELS[stage]) for stage, _count in adoption.current.stages()],
        "datasets": [
            _line(_("Previous period"), [count for _stage, count in adoption.previous.stages()], "#9ca3af"),
            _line(_("This period"), [count for _stage, count in adoption.current.stages()], SERIES_COLOURS[0]),
        ],
    }


def topic_chart(gaps: list[TopicGap], no_topic: str) -> dict[str, Any]:
    return {
        "type": "bar",
        "horizontal": True,
        "percent": True,
        "labels": [gap.topic.name if gap.topic else no_topic for gap in gaps],
        "datasets": [
            _line(_("Part of the shares"), [round(gap.share_of_shares, 1) for gap in gaps], SERIES_COLOURS[0]),
            _line(_("Part of the unique clicks"), [round(gap.share_of_clicks, 1) for gap in gaps], SERIES_COLOURS[1]),
        ],
    }


def programme_chart(rows: list[ProgrammeRow]) -> dict[str, Any]:
    return {
        "type": "bar",
        "labels": [row.programme.name for row in rows],
        "datasets": [
            _line(_("Shares"), [row.figures.shares for row in rows], SERIES_COLOURS[0]),
            _line(_("Unique clicks"), [row.figures.unique_clicks for row in rows], SERIES_COLOURS[1]),
        ],
    }


def dashboard_context(organization: Organization, filters: Filters, *, viewer: Membership) -> dict[str, Any]:
    """Everything the dashboard template shows for these filters. ``viewer``: whom the ranking of ambassadors is
    shown to (members who did not choose to be named are not)."""
    kpi = kpi_figures(organization, filters)
    figures, ambassadors, buckets, funnel, gaps = (
        kpi.headline,
        kpi.ambassadors,
        kpi.buckets,
        kpi.adoption,
        kpi.topic_gaps,
    )
    period = filters.period
    referred = referral_totals(
        organization=organization, start=period.start, end=period.end, programme=filters.programme
    )
    names = ranking_names([ranked.id for ranked in ambassadors], viewer=viewer)
    wanted, ignored = biggest_gaps(gaps)
    programmes = kpi.programmes
    size = bucket_size(filters.period)
    return {
        "filters": filters,
        "period": filters.period,
        "previous": filters.period.previous(),
        "figures": figures.current,
        "previous_figures": figures.previous,
        "by_network": [
            (network_label(network), network_figures) for network, network_figures in figures.by_network.items()
        ],
        "changes": headline_changes(figures.current, figures.previous),
        "has_data": bool(figures.current.shares or figures.current.clicks or figures.previous.shares),
        **_over_time(buckets, size, TIME_FIGURES),
        "adoption": funnel,
        "funnel_rows": [
            (FUNNEL_LABELS[stage], count, Change(count, dict(funnel.previous.stages())[stage]))
            for stage, count in funnel.current.stages()
        ],
        "programme_funnels": [
            (programme, [(FUNNEL_LABELS[stage], count) for stage, count in programme_funnel.stages()])
            for programme, programme_funnel in funnel.by_programme
        ],
        "topic_gaps": gaps,
        "wanted_topic": wanted,
        "ignored_topic": ignored,
        "top_posts": kpi.top_posts,
        "top_ambassadors": [(names[ranked.id], ranked.figures) for ranked in ambassadors],
        "as_of": kpi.as_of,
        "referrals": referred,
        "hire_cost": cost_per_hire(
            settings=referral_settings(organization=organization),
            hires=referred.hires,
            start=period.start,
            end=period.end,
        ),
        "emv": earned_media_value(
            {network: network_figures(totals) for network, totals in figures.by_network.items()},
            emv_rates(organization=organization),
        ),
        "programmes": programmes,
        "charts": {
            "funnel": funnel_chart(funnel),
            "topics": topic_chart(gaps, _("No topic")),
            "programmes": programme_chart(programmes),
        },
    }


def impact_context(organization: Organization, filters: Filters) -> dict[str, Any]:
    """A member's own figures for "my impact": totals against the previous period, over time, best posts, topics."""
    figures = headline(organization, filters)
    buckets = over_time(organization, filters)
    size = bucket_size(filters.period)
    return {
        "filters": filters,
        "period": filters.period,
        "previous": filters.period.previous(),
        "figures": figures.current,
        "changes": headline_changes(figures.current, figures.previous),
        "has_data": bool(figures.current.shares or figures.current.clicks),
        "by_network": [(network_label(network), totals) for network, totals in figures.by_network.items()],
        **_over_time(buckets, size, ("shares", "unique_clicks")),
        "best_posts": top_posts(organization, filters, limit=5),
        "topic_gaps": topic_gaps(organization, filters),
    }


def community_context(organization: Organization, filters: Filters, *, viewer: Membership) -> dict[str, Any]:
    """The community insights: a programme's (or the organisation's) figures shared with its ambassadors, what their
    audiences click, what worked, the quarter's goals, and only the colleagues who chose to be named."""
    figures = headline(organization, filters)
    ambassadors = top_ambassadors(organization, filters, members=figures.members)
    names = ranking_names([ranked.id for ranked in ambassadors], viewer=viewer, hidden_left_out=True)
    progress = None
    if filters.programme is not None:
        year, quarter = current_quarter(organization=organization)
        progress = goal_progress(organization=organization, programme=filters.programme, year=year, quarter=quarter)
    gaps = topic_gaps(organization, filters)
    wanted, ignored = biggest_gaps(gaps)
    return {
        "filters": filters,
        "period": filters.period,
        "previous": filters.period.previous(),
        "figures": figures.current,
        "changes": headline_changes(figures.current, figures.previous),
        "has_data": bool(figures.current.shares or figures.current.clicks),
        "by_network": [(network_label(network), totals) for network, totals in figures.by_network.items()],
        "topic_gaps": sorted(gaps, key=lambda gap: -gap.share_of_clicks),
        "wanted_topic": wanted,
        "ignored_topic": ignored,
        "best_posts": top_posts(organization, filters, limit=5),
        "named_ambassadors": [(names[ranked.id], ranked.figures) for ranked in ambassadors if ranked.id in names],
        "progress": progress,
    }
