"""What the KPI dashboard shows. Figures come from the rollups (``DailyStat``), never from raw clicks; the adoption
funnel counts the members' own rows (memberships, acceptances, connections, shares), a few thousand at most.

Every function takes the organisation and the filters, runs in the organisation's scope and costs one or two queries
whatever the period. Totals read the organisation's rows (a few per day); what needs the member or the post (active
ambassadors, rankings) reads month rows and the days at the edges of the period (``Spans``), so the rows read do not
grow with the length of the period nor with clicks.
"""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import reduce
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncMonth, TruncWeek
from django.utils import timezone

from advocacy.models import Invitation, Membership, Organization, Programme, ProgrammeMember
from advocacy.tenancy import TenantQuerySet
from ambassadors.models import Share, SocialConnection
from analytics.models import DailyStat, RollupState
from analytics.partitions import month_start
from analytics.rollups import day_bounds, month_end
from charter.models import CharterAcceptance
from content.models import Network, Post, PostProgramme, PostTopic, Topic

Breakdown = DailyStat.Breakdown
ENGAGEMENT = ("likes", "comments", "reshares")
# Figures a network may not give: NULL sums in the rollup, with how many shares each is known for.
PARTIAL = (*ENGAGEMENT, "impressions", "reach")
# Two years and a day: the longest period the filters accept (a leap year included).
LONGEST_PERIOD = timedelta(days=731)
ACTIVE_DAYS = 30
TOP = 10
NETWORKS = (Network.LINKEDIN, Network.X)


@dataclass(frozen=True)
class Period:
    """Days of the organisation's calendar, both ends included."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same length just before: what the figures are compared with."""
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))


@dataclass(frozen=True)
class Filters:
    period: Period
    programme: Programme | None = None
    topic: Topic | None = None
    network: str = ""
    # One member's own figures ("my impact").
    member: Membership | None = None


@dataclass(frozen=True)
class Figures:
    """Totals over a period. A figure a network did not give is None when it is known for no share, and
    ``<figure>_known`` says for how many shares it is known."""

    shares: int = 0
    clicks: int = 0
    unique_clicks: int = 0
    active_ambassadors: int = 0
    likes: int | None = None
    comments: int | None = None
    reshares: int | None = None
    impressions: int | None = None
    reach: int | None = None
    likes_known: int = 0
    comments_known: int = 0
    reshares_known: int = 0
    impressions_known: int = 0
    reach_known: int = 0

    @property
    def engagement(self) -> int | None:
        """Reactions, comments and reshares, where the network gave them."""
        known = [value for value in (self.likes, self.comments, self.reshares) if value is not None]
        return sum(known) if known else None

    @property
    def engagement_known(self) -> int:
        return max(self.likes_known, self.comments_known, self.reshares_known)

    @property
    def potential_reach(self) -> int | None:
        """An estimate: the members reached where the network counted them, extrapolated to the shares it did not
        count. None when it counted none."""
        if not self.reach_known or self.reach is None:
            return None
        return round(self.reach * self.shares / self.reach_known)


SUMMED = ("shares", "clicks", "unique_clicks", *PARTIAL, *(f"{name}_known" for name in PARTIAL))


def _aggregated(rows: QuerySet[Any, Any]) -> list[dict[str, Any]]:
    """The rows of ``values().annotate()``, whose annotations the type stubs cannot follow."""
    return [dict(row) for row in rows]


def stats(organization: Organization, filters: Filters, period: Period | None = None) -> QuerySet[DailyStat]:
    """The rollup rows the filters select, each share counted once: the breakdown that holds the filter's dimension
    (``all`` when none, ``post`` when a programme and a topic apply together)."""
    period = period or filters.period
    rows = _narrowed(
        DailyStat.objects.filter(organization=organization, day__gte=period.start, day__lte=period.end), filters
    )
    if filters.programme and filters.topic:
        return _of_posts(rows.filter(breakdown=Breakdown.POST), filters)
    if filters.programme:
        return rows.filter(breakdown=Breakdown.PROGRAMME, programme=filters.programme)
    if filters.topic:
        return rows.filter(breakdown=Breakdown.TOPIC, topic=filters.topic)
    return rows.filter(breakdown=Breakdown.ALL)


def _narrowed(rows: QuerySet[DailyStat], filters: Filters) -> QuerySet[DailyStat]:
    """The network and member filters, which every breakdown carries."""
    if filters.network:
        rows = rows.filter(network=filters.network)
    if filters.member:
        rows = rows.filter(membership=filters.member)
    return rows


def _organization_grain(filters: Filters) -> tuple[str, dict[str, Any]] | None:
    """The organisation-grain breakdown (no member) that answers ``filters``, with its filter; None when only member
    rows can: one member's figures, or a programme and a topic together."""
    if filters.member or (filters.programme and filters.topic):
        return None
    if filters.programme:
        return Breakdown.ORG_PROGRAMME, {"programme": filters.programme}
    if filters.topic:
        return Breakdown.ORG_TOPIC, {"topic": filters.topic}
    return Breakdown.ORG, {}


def totals(organization: Organization, filters: Filters, period: Period | None = None) -> QuerySet[DailyStat]:
    """Rows that count each share once, at the coarsest grain the filters allow: a few per day for the organisation,
    the member rows of ``stats()`` otherwise."""
    period = period or filters.period
    grain = _organization_grain(filters)
    if grain is None:
        return stats(organization, filters, period)
    breakdown, dimension = grain
    rows = DailyStat.objects.filter(
        organization=organization, breakdown=breakdown, day__gte=period.start, day__lte=period.end, **dimension
    )
    return rows.filter(network=filters.network) if filters.network else rows


@dataclass(frozen=True)
class Spans:
    """A period as whole months read from month rows, plus days added from day rows and days taken away (those of
    its first or last month outside the period), whichever reads fewer days: a year is 13 months and a few days."""

    months: tuple[date, ...]
    added: tuple[Period, ...]
    removed: tuple[Period, ...]

    @classmethod
    def of(cls, period: Period, today: date) -> Spans:
        first_month, last_month = month_start(period.start), month_start(period.end)
        months: list[date] = []
        added: list[Period] = []
        removed: list[Period] = []

        def cost(days: Period | None) -> int:
            # Days after today have no rows yet: taking them away reads nothing.
            return 0 if days is None or days.start > today else (min(days.end, today) - days.start).days + 1

        def edge(month: date, inside: Period) -> None:
            before = Period(month, inside.start - timedelta(days=1)) if inside.start > month else None
            after = Period(inside.end + timedelta(days=1), month_end(month)) if inside.end < month_end(month) else None
            if cost(inside) <= cost(before) + cost(after):
                added.append(inside)
                return
            months.append(month)
            removed.extend(days for days in (before, after) if days is not None)

        if first_month == last_month:
            edge(first_month, period)
            return cls(tuple(months), tuple(added), tuple(removed))
        edge(first_month, Period(period.start, month_end(first_month)))
        month = month_start(first_month, 1)
        while month < last_month:
            months.append(month)
            month = month_start(month, 1)
        edge(last_month, Period(last_month, period.end))
        return cls(tuple(months), tuple(added), tuple(removed))


def _today(organization: Organization) -> date:
    return timezone.localdate(timezone.now(), ZoneInfo(organization.time_zone))


def _spanned(organization: Organization, period: Period, month_breakdown: str, day_breakdown: str) -> _Parts:
    """The month and day rows of ``Spans.of(period)``, and which of them are taken away."""
    spans = Spans.of(period, _today(organization))

    def days(periods: Iterable[Period]) -> list[Q]:
        return [Q(breakdown=day_breakdown, day__gte=p.start, day__lte=p.end) for p in periods]

    removed = days(spans.removed)
    wanted = [*days(spans.added), *removed]
    if spans.months:
        wanted.append(Q(breakdown=month_breakdown, day__in=spans.months))
    rows = DailyStat.objects.filter(reduce(operator.or_, wanted), organization=organization)
    return _Parts(rows, reduce(operator.or_, removed) if removed else None)


@dataclass(frozen=True)
class _Parts:
    rows: QuerySet[DailyStat]
    removed: Q | None

    def filter(self, *args: Any, **kwargs: Any) -> _Parts:
        return _Parts(self.rows.filter(*args, **kwargs), self.removed)

    def sums(self, *keys: str, figures: Iterable[str] = SUMMED) -> dict[Any, list[int | None]]:
        """The figures (in the order of ``figures``) per value of the key, or per tuple of the keys' values, the
        removed rows taken away. Grouped by whether a row is taken away, so the database tells the two apart once per
        row rather than once per figure; read as tuples, since a ranking reads a row per post or member. The ORM
        selects the rows, the sums over them are written here: Django's grouping of a dozen aggregates costs more to
        build than the database takes to run it."""
        figures = tuple(figures)
        part = Case(When(self.removed, then=Value(-1)), default=Value(1)) if self.removed else Value(1)
        rows = cast(TenantQuerySet[DailyStat], self.rows.annotate(part=part).values_list(*keys, "part", *figures))
        grouped = ", ".join([*(f"k{index}" for index in range(len(keys))), "part"])
        columns = ", ".join([grouped, *(f"f{index}" for index in range(len(figures)))])
        summed_figures = ", ".join(f"SUM(f{index})" for index in range(len(figures)))
        totals: dict[Any, list[int | None]] = {}
        width = len(keys)
        before = f"WITH parts ({columns}) AS ("
        after = f") SELECT {grouped}, {summed_figures} FROM parts GROUP BY {grouped}"
        for row in rows.order_by().cursor_rows(before, after):
            value = row[0] if width == 1 else row[:width]
            summed = row[width + 1 :]
            if row[width] < 0:
                summed = tuple(None if figure is None else -figure for figure in summed)
            into = totals.get(value)
            # Most keys have one row (no day taken away): its figures as they are.
            totals[value] = list(summed) if into is None else _added((into, summed))
        return totals


# Where ``_Parts.sums`` puts the figures a ranking sorts by.
SHARES, UNIQUE_CLICKS = SUMMED.index("shares"), SUMMED.index("unique_clicks")
Totals = dict[int, list[int | None]]


def _figures_of(totals: list[int | None]) -> Figures:
    """The figures of sums in the order of ``SUMMED``."""
    # A sum over no row is NULL: none of what is always known (shares, clicks, how many shares a figure is known for).
    values: dict[str, Any] = {
        name: value if name in PARTIAL else value or 0 for name, value in zip(SUMMED, totals, strict=True)
    }
    for name in PARTIAL:
        # Known for no share (month rows less their edge days may leave a sum of 0 known for none): unknown.
        if not values[f"{name}_known"]:
            values[name] = None
    return Figures(**values)


def _ranked(totals: Totals, limit: int) -> list[tuple[int, Figures]]:
    """The ``limit`` first by unique clicks, then shares, among those with either."""
    ranked = sorted(
        (item for item in totals.items() if item[1][SHARES] or item[1][UNIQUE_CLICKS]),
        key=lambda item: (-(item[1][UNIQUE_CLICKS] or 0), -(item[1][SHARES] or 0), item[0]),
    )
    return [(key, _figures_of(values)) for key, values in ranked[:limit]]


_MEMBER_GRAINS = {
    "": (Breakdown.MONTH, Breakdown.ALL),
    "topic": (Breakdown.MONTH_TOPIC, Breakdown.TOPIC),
    "programme": (Breakdown.MONTH_PROGRAMME, Breakdown.PROGRAMME),
}


def member_totals(
    organization: Organization, filters: Filters, period: Period | None = None, figures: Iterable[str] = SUMMED
) -> Totals:
    """Each member's figures over the period (the filters applied, in the order of ``figures``), for those with a row
    in it. One query."""
    period = period or filters.period
    if filters.programme and filters.topic:
        rows = stats(organization, filters, period).filter(membership__isnull=False)
        return _Parts(rows, None).sums("membership_id", figures=figures)
    dimension = "programme" if filters.programme else "topic" if filters.topic else ""
    parts = _spanned(organization, period, *_MEMBER_GRAINS[dimension])
    parts = _Parts(_narrowed(parts.rows, filters), parts.removed)
    if dimension:
        parts = parts.filter(**{dimension: getattr(filters, dimension)})
    # Rows without a member (clicks whose link no longer names one) are left out here rather than in the query: an
    # IS NOT NULL there makes PostgreSQL read the column's whole index.
    totals = parts.sums("membership_id", figures=figures)
    totals.pop(None, None)
    return totals


def active_ambassadors(totals: Totals) -> int:
    """Members who shared at least once in the period."""
    return sum(1 for figures in totals.values() if figures[SHARES])


def post_totals(organization: Organization, filters: Filters) -> Totals:
    """The period's figures per post (the filters applied, in the order of ``SUMMED``). One query."""
    if filters.member:
        return _Parts(post_rows(organization, filters), None).sums("post_id")
    parts = _spanned(organization, filters.period, Breakdown.MONTH_POST, Breakdown.ORG_POST)
    totals = _Parts(_of_posts(_narrowed(parts.rows, filters), filters), parts.removed).sums("post_id")
    # Left out here rather than in the query: an IS NOT NULL there makes PostgreSQL read the column's whole index.
    totals.pop(None, None)
    return totals


def _of_posts(rows: QuerySet[DailyStat], filters: Filters) -> QuerySet[DailyStat]:
    """Post rows of the programme's and the topic's posts, when filtered."""
    if filters.programme:
        rows = rows.filter(post__in=PostProgramme.objects.filter(programme=filters.programme).values("post"))
    if filters.topic:
        rows = rows.filter(post__in=PostTopic.objects.filter(topic=filters.topic).values("post"))
    return rows


@dataclass(frozen=True)
class Headline:
    current: Figures
    previous: Figures
    by_network: dict[str, Figures]
    # Each member's figures over the period, read for the active ambassadors: the ranking's too.
    members: Totals = field(default_factory=dict)


def headline(organization: Organization, filters: Filters) -> Headline:
    """The period's totals, the previous period's, and the period's per network (for earned media value), with the
    active ambassadors of both periods (not for one member's figures). One query, three with the ambassadors."""
    previous = filters.period.previous()
    # 1 and 0 rather than booleans: the rows are read as the driver gives them, and SQLite's has no booleans.
    is_current = Case(When(day__gte=filters.period.start, then=Value(1)), default=Value(0))
    both = totals(organization, filters, Period(previous.start, filters.period.end)).annotate(is_current=is_current)
    summed = _Parts(both, None).sums("is_current", "network")
    by_network = {network: _figures_of(values) for (current, network), values in sorted(summed.items()) if current}
    current, before = (
        _figures_of(_added(values for (of, _network), values in summed.items() if of == wanted)) for wanted in (1, 0)
    )
    if filters.member:
        return Headline(current=current, previous=before, by_network=by_network)
    members = member_totals(organization, filters)
    current = replace(current, active_ambassadors=active_ambassadors(members))
    # The previous period's members read for their shares only.
    sharing_before = member_totals(organization, filters, previous, figures=("shares",))
    before = replace(before, active_ambassadors=sum(1 for (shares,) in sharing_before.values() if shares))
    return Headline(current=current, previous=before, by_network=by_network, members=members)


def _added(totals: Iterable[Sequence[int | None]]) -> list[int | None]:
    """Figures added up, an unknown one staying unknown where it is unknown in all; all unknown without any."""
    added: list[int | None] | None = None
    for values in totals:
        if added is None:
            added = list(values)
            continue
        added = [
            mine if theirs is None else theirs if mine is None else mine + theirs
            for mine, theirs in zip(added, values, strict=True)
        ]
    return [None] * len(SUMMED) if added is None else added


@dataclass(frozen=True)
class Bucket:
    """A day, a week (starting on Monday) or a month of the chart over time."""

    first_day: date
    by_network: dict[str, Figures]


def bucket_size(period: Period) -> str:
    """Days up to two months, weeks up to a year, months beyond: about 60 points at most on a chart."""
    if period.days <= 62:
        return "day"
    return "week" if period.days <= 366 else "month"


def _bucket_start(day: date, size: str) -> date:
    if size == "week":
        return day - timedelta(days=day.weekday())
    if size == "month":
        return day.replace(day=1)
    return day


def over_time(organization: Organization, filters: Filters) -> list[Bucket]:
    """Shares, clicks, engagement and reach per bucket and network, every bucket of the period present (a quiet week
    is a zero on the chart, not a gap). One query, grouped by bucket in the database."""
    size = bucket_size(filters.period)
    starts = {"week": TruncWeek("day"), "month": TruncMonth("day")}
    rows = totals(organization, filters).annotate(bucket=starts.get(size, F("day")))
    sums = {
        (_as_date(day), network): values
        for (day, network), values in _Parts(rows, None).sums("bucket", "network").items()
    }
    networks = sorted({network for _, network in sums} or {n.value for n in NETWORKS})
    nothing: list[int | None] = [None] * len(SUMMED)
    buckets = []
    day = _bucket_start(filters.period.start, size)
    while day <= filters.period.end:
        by_network = {network: _figures_of(sums.get((day, network), nothing)) for network in networks}
        buckets.append(Bucket(day, by_network))
        day = _next_bucket(day, size)
    return buckets


def _as_date(day: date | datetime | str) -> date:
    """A bucket's first day as the driver gives it: PostgreSQL truncates a date to a timestamp (at midnight UTC, the
    connection's zone), SQLite gives the ISO text."""
    if isinstance(day, datetime):
        return day.date()
    return day if isinstance(day, date) else date.fromisoformat(day)


def _next_bucket(day: date, size: str) -> date:
    if size == "month":
        return (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return day + timedelta(days=7 if size == "week" else 1)


@dataclass(frozen=True)
class TopicGap:
    """One topic's part of the shares against its part of the unique clicks, in percent."""

    topic: Topic | None
    shares: int
    unique_clicks: int
    share_of_shares: float
    share_of_clicks: float

    @property
    def gap(self) -> float:
        """Positive: audiences click it more than ambassadors share it."""
        return self.share_of_clicks - self.share_of_shares


def post_rows(organization: Organization, filters: Filters) -> QuerySet[DailyStat]:
    """The per-post rollup rows of the period that the filters select."""
    rows = _narrowed(
        DailyStat.objects.filter(
            organization=organization,
            breakdown=Breakdown.POST,
            day__gte=filters.period.start,
            day__lte=filters.period.end,
            post__isnull=False,
        ),
        filters,
    )
    return _of_posts(rows, filters)


def topic_gaps(organization: Organization, filters: Filters) -> list[TopicGap]:
    """Per topic of the shared posts (the topic filter aside), its part of the shares and of the unique clicks, most
    shared first. A post with two topics counts in both, so the parts are of the topic rows. Two queries."""
    unfiltered = Filters(filters.period, filters.programme, None, filters.network, filters.member)
    counted: dict[int | None, list[int]] = defaultdict(lambda: [0, 0])
    if filters.programme:
        # No programme-by-topic rollup: the programme's posts' figures, spread over their topics here.
        per_post = {
            post: (totals[SHARES] or 0, totals[UNIQUE_CLICKS] or 0)
            for post, totals in post_totals(organization, unfiltered).items()
        }
        topics_of: dict[int, list[int | None]] = defaultdict(list)
        for post_id, its_topic in PostTopic.objects.filter(post__in=list(per_post)).values_list("post_id", "topic_id"):
            topics_of[post_id].append(its_topic)
        for post, (shares, unique) in per_post.items():
            for topic_id in topics_of.get(post) or [None]:
                counted[topic_id][0] += shares
                counted[topic_id][1] += unique
    else:
        rows = _narrowed(
            DailyStat.objects.filter(
                organization=organization,
                breakdown=Breakdown.TOPIC if filters.member else Breakdown.ORG_TOPIC,
                day__gte=filters.period.start,
                day__lte=filters.period.end,
            ),
            filters,
        )
        for row in _aggregated(rows.values("topic_id").annotate(**_share_and_click_sums()).order_by()):
            counted[row["topic_id"]] = [row["shares_sum"], row["unique_sum"]]
    all_shares = sum(shares for shares, _ in counted.values())
    all_clicks = sum(unique for _, unique in counted.values())
    if not all_shares and not all_clicks:
        return []
    topics = Topic.objects.in_bulk([topic_id for topic_id in counted if topic_id])
    gaps = [
        TopicGap(
            topic=topics.get(topic_id) if topic_id else None,
            shares=shares,
            unique_clicks=unique,
            share_of_shares=100 * shares / all_shares if all_shares else 0.0,
            share_of_clicks=100 * unique / all_clicks if all_clicks else 0.0,
        )
        for topic_id, (shares, unique) in counted.items()
    ]
    return sorted(gaps, key=lambda gap: (-gap.shares, -gap.unique_clicks, gap.topic.name if gap.topic else ""))


def biggest_gaps(gaps: Iterable[TopicGap], threshold: float = 5.0) -> tuple[TopicGap | None, TopicGap | None]:
    """The topic audiences click most beyond its part of the shares, and the one shared most beyond its part of the
    clicks; None where no gap reaches ``threshold`` points."""
    named = [gap for gap in gaps if gap.topic is not None]
    wanted = max(named, key=lambda gap: gap.gap, default=None)
    ignored = min(named, key=lambda gap: gap.gap, default=None)
    return (
        wanted if wanted and wanted.gap >= threshold else None,
        ignored if ignored and -ignored.gap >= threshold else None,
    )


def _share_and_click_sums() -> dict[str, Any]:
    return {
        "shares_sum": Coalesce(Sum("shares"), 0, output_field=IntegerField()),
        "unique_sum": Coalesce(Sum("unique_clicks"), 0, output_field=IntegerField()),
    }


@dataclass(frozen=True)
class Ranked:
    """A post, a member or a programme with its figures over the period."""

    id: int
    figures: Figures


def top_posts(organization: Organization, filters: Filters, limit: int = TOP) -> list[tuple[Post, Figures]]:
    """The posts whose shares brought the most unique clicks, then the most shared. Two queries."""
    ranked = _ranked(post_totals(organization, filters), limit)
    # A ranking shows the title only: the rest of the post is neither read nor kept in the cache.
    posts = Post.objects.only("title").in_bulk([post for post, _ in ranked])
    return [(posts[post], figures) for post, figures in ranked if post in posts]


def top_ambassadors(
    organization: Organization, filters: Filters, limit: int = TOP, members: Totals | None = None
) -> list[Ranked]:
    """The members whose shares brought the most unique clicks, then who shared most: from ``members`` (the
    headline's), else one query. How each is named is the member's choice (``ambassadors.selectors.ranking_names``)."""
    if members is None:
        members = member_totals(organization, filters)
    return [Ranked(member, figures) for member, figures in _ranked(members, limit)]


@dataclass(frozen=True)
class ProgrammeRow:
    programme: Programme
    members: int
    figures: Figures


def programmes_of(organization: Organization) -> list[tuple[Programme, int]]:
    """The organisation's programmes by name, each with how many members it has: what the comparison and the funnel
    per programme list. One query."""
    programmes = Programme.objects.filter(organization=organization).annotate(member_count=Count("members"))
    return [(programme, programme.member_count) for programme in programmes.order_by("name")]


def programme_comparison(
    organization: Organization, filters: Filters, programmes: list[tuple[Programme, int]] | None = None
) -> list[ProgrammeRow]:
    """Each programme's figures over the period (the programme filter aside) and its member count, most active
    first. Two queries, and ``programmes_of()`` when ``programmes`` are not given."""
    rows = DailyStat.objects.filter(
        organization=organization,
        breakdown=Breakdown.ORG_PROGRAMME,
        day__gte=filters.period.start,
        day__lte=filters.period.end,
    )
    if filters.network:
        rows = rows.filter(network=filters.network)
    summed = _Parts(rows, None).sums("programme_id")
    parts = _spanned(organization, filters.period, Breakdown.MONTH_PROGRAMME, Breakdown.PROGRAMME)
    if filters.network:
        parts = parts.filter(network=filters.network)
    active: dict[int, int] = defaultdict(int)
    for (programme_id, member), (shares,) in parts.sums("programme_id", "membership_id", figures=["shares"]).items():
        if programme_id is not None and member is not None and shares:
            active[programme_id] += 1
    compared = [
        ProgrammeRow(
            programme,
            members,
            replace(_figures_of(summed[programme.pk]), active_ambassadors=active.get(programme.pk, 0))
            if programme.pk in summed
            else Figures(),
        )
        for programme, members in (programmes_of(organization) if programmes is None else programmes)
    ]
    return sorted(compared, key=lambda row: (-row.figures.unique_clicks, -row.figures.shares, row.programme.name))


FUNNEL_STAGES = ("invited", "joined", "charter", "connected", "shared", "active")


@dataclass(frozen=True)
class Funnel:
    """How many people reached each step of adoption by a given day: invited (or joined without an invitation),
    joined, accepted the charter (still in force that day), connected an account, shared once, shared in the 30 days
    up to that day."""

    invited: int = 0
    joined: int = 0
    charter: int = 0
    connected: int = 0
    shared: int = 0
    active: int = 0

    def stages(self) -> list[tuple[str, int]]:
        return [(stage, getattr(self, stage)) for stage in FUNNEL_STAGES]


@dataclass(frozen=True)
class Adoption:
    current: Funnel
    previous: Funnel
    by_programme: list[tuple[Programme, Funnel]]


def _milestones(organization: Organization, instants: tuple[datetime, datetime]) -> TenantQuerySet[Membership]:
    """Per member: its id, when it joined, first connected an account and first shared (NULL: not yet); at each of
    the two ``instants``, whether its charter was in force and whether it had shared in the 30 days before; then the
    two instants, for the statement over these rows to compare with."""
    first_connection = SocialConnection.objects.filter(membership=OuterRef("pk")).order_by("created_at")
    first_share = Share.objects.filter(membership=OuterRef("pk"), status=Share.Status.PUBLISHED).order_by(
        "published_at"
    )
    then: dict[str, Any] = {}
    for index, at in enumerate(instants):
        in_force = CharterAcceptance.objects.filter(membership=OuterRef("pk"), accepted_at__lt=at).filter(
            Q(left_at__isnull=True) | Q(left_at__gte=at)
        )
        recent = Share.objects.filter(
            membership=OuterRef("pk"),
            status=Share.Status.PUBLISHED,
            published_at__lt=at,
            published_at__gte=at - timedelta(days=ACTIVE_DAYS),
        )
        then |= {f"in_force{index}": Exists(in_force), f"recent{index}": Exists(recent)}
    instant = {f"at{index}": Value(at, output_field=DateTimeField()) for index, at in enumerate(instants)}
    members = Membership.objects.filter(organization=organization).annotate(
        connected_at=Subquery(first_connection.values("created_at")[:1]),
        shared_at=Subquery(first_share.values("published_at")[:1]),
        **then,
        **instant,
    )
    columns = ("pk", "created_at", "connected_at", "shared_at", *then, *instant)
    return cast(TenantQuerySet[Membership], members.values_list(*columns).order_by())


def _steps_counted(at: str, in_force: str, recent: str) -> str:
    """SQL counting the members of ``milestones`` at each step after the invitation (``FUNNEL_STAGES[1:]``) at the
    instant in column ``at``: joined, accepted the charter (in force then), connected an account, shared once, shared
    lately."""
    reached = [
        "",
        f" AND {in_force}",
        f" AND connected_at < {at}",
        f" AND shared_at < {at}",
        f" AND {recent}",
    ]
    return ", ".join(f"SUM(CASE WHEN joined_at < {at}{step} THEN 1 ELSE 0 END)" for step in reached)


def _invitations_pending(at: datetime, suffix: str) -> dict[str, Count]:
    """Invitations sent before ``at`` and not accepted by then: people invited who had not joined."""
    sent = Q(created_at__lt=at) & (Q(accepted_at__isnull=True) | Q(accepted_at__gte=at))
    return {f"pending{suffix}": Count("pk", filter=sent)}


def _pending_invitations(
    organization: Organization, now_end: datetime, before_end: datetime
) -> tuple[int, int, dict[int, int]]:
    """Invitations pending at both instants, and per programme at the first. One query."""
    pending = (
        Invitation.objects.filter(organization=organization)
        .values("programme_id")
        .annotate(**_invitations_pending(now_end, ""), **_invitations_pending(before_end, "_before"))
        .order_by()
    )
    pending_now = pending_before = 0
    per_programme: dict[int, int] = {}
    for row in _aggregated(pending):
        pending_now += row["pending"]
        pending_before += row["pending_before"]
        if row["programme_id"] is not None:
            per_programme[row["programme_id"]] = row["pending"]
    return pending_now, pending_before, per_programme


def adoption(
    organization: Organization, filters: Filters, programmes: list[tuple[Programme, int]] | None = None
) -> Adoption:
    """The adoption funnel at the end of the period and of the previous one, and per programme at the end of the
    period. Two queries, and ``programmes_of()`` when ``programmes`` are not given: the members at each step, counted
    in the database from each member's milestones (read once, however many programmes count the member), and the
    pending invitations per programme. Members who left are no longer counted (their rows went with them)."""
    zone = ZoneInfo(organization.time_zone)
    _, now_end = day_bounds(filters.period.end, filters.period.end, zone)
    _, before_end = day_bounds(filters.period.previous().end, filters.period.previous().end, zone)
    steps = len(FUNNEL_STAGES) - 1
    # Each member's milestones read once for the organisation and for each of its programmes.
    with_milestones = (
        "WITH milestones (id, joined_at, connected_at, shared_at, in_force0, recent0, in_force1, recent1, at0, at1)"
        " AS ("
    )
    links = ProgrammeMember._meta.db_table
    at_end, at_previous_end = (
        _steps_counted("at0", "in_force0", "recent0"),
        _steps_counted("at1", "in_force1", "recent1"),
    )
    counting = (
        f") SELECT NULL, {at_end}, {at_previous_end} FROM milestones"
        f" UNION ALL SELECT link.programme_id, {at_end}, {', '.join(['0'] * steps)}"
        f" FROM milestones JOIN {links} link ON link.membership_id = milestones.id GROUP BY link.programme_id"
    )
    counted = {
        row[0]: [int(count or 0) for count in row[1:]]
        for row in _milestones(organization, (now_end, before_end)).cursor_rows(with_milestones, counting)
    }
    now, before = counted[None][:steps], counted[None][steps:]
    pending_now, pending_before, pending_per_programme = _pending_invitations(organization, now_end, before_end)

    def funnel(counts: list[int], invitations_pending: int) -> Funnel:
        return Funnel(counts[0] + invitations_pending, *counts)

    by_programme = [
        (programme, funnel(counted.get(programme.pk, [0] * steps)[:steps], pending_per_programme.get(programme.pk, 0)))
        for programme, _members in (programmes_of(organization) if programmes is None else programmes)
    ]
    return Adoption(funnel(now, pending_now), funnel(before, pending_before), by_programme)


@dataclass(frozen=True)
class KpiFigures:
    """Everything the dashboard reads from the rollups and the members' rows for one set of filters, as of the last
    rollup run (``as_of``; None before the first)."""

    headline: Headline
    ambassadors: list[Ranked]
    buckets: list[Bucket]
    adoption: Adoption
    topic_gaps: list[TopicGap]
    top_posts: list[tuple[Post, Figures]]
    programmes: list[ProgrammeRow]
    as_of: datetime | None


def kpi_figures(organization: Organization, filters: Filters) -> KpiFigures:
    """The dashboard's figures for ``filters``. The rollups change only when their job runs, so the figures are kept
    in the cache under the time of the last run: the next run's figures are read afresh, and a manager who comes back
    to the same period (or a colleague who opens it) gets them without a query over the rollups. At most
    ``RELAIS_DASHBOARD_CACHE_SECONDS`` old, for the funnel's live counts."""
    as_of = RollupState.objects.filter(organization=organization).values_list("covered_until", flat=True).first()
    key = f"analytics:kpi:{organization.pk}:{_filters_key(filters)}:{as_of.timestamp()}" if as_of else None
    cached = cache.get(key) if key else None
    if isinstance(cached, KpiFigures):
        return cached
    figures = headline(organization, filters)
    programmes = programmes_of(organization)
    kpi = KpiFigures(
        # The members' figures served the ranking; not kept.
        headline=replace(figures, members={}),
        ambassadors=top_ambassadors(organization, filters, members=figures.members),
        buckets=over_time(organization, filters),
        adoption=adoption(organization, filters, programmes),
        topic_gaps=topic_gaps(organization, filters),
        top_posts=top_posts(organization, filters),
        programmes=programme_comparison(organization, filters, programmes) if not filters.programme else [],
        as_of=as_of,
    )
    if key:
        cache.set(key, kpi, timeout=settings.RELAIS_DASHBOARD_CACHE_SECONDS)
    return kpi


def _filters_key(filters: Filters) -> str:
    chosen = (filters.programme, filters.topic, filters.member)
    ids = ":".join(str(row.pk) if row else "" for row in chosen)
    return f"{filters.period.start}:{filters.period.end}:{filters.network}:{ids}"


# An organisation whose dashboard nobody opened for this long is not worked out ahead of its readers.
WORK_AHEAD_FOR = timedelta(days=14)


def _opened_key(organization: Organization) -> str:
    return f"analytics:kpi-opened:{organization.pk}"


def note_dashboard_opened(organization: Organization) -> None:
    cache.set(_opened_key(organization), True, timeout=int(WORK_AHEAD_FOR.total_seconds()))


def work_out_ahead(organization: Organization, periods: Iterable[Period]) -> int:
    """After a rollup run, the dashboard's figures of ``periods`` (its quick periods) with no filter, for an
    organisation whose dashboard was opened lately: the first manager to open it after the run finds them ready.
    Returns how many periods were worked out."""
    if not cache.get(_opened_key(organization)):
        return 0
    worked = 0
    for period in periods:
        kpi_figures(organization, Filters(period))
        worked += 1
    return worked
