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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import reduce
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from advocacy.models import Invitation, Membership, Organization, Programme, ProgrammeMember
from ambassadors.models import Share, SocialConnection
from analytics.models import DailyStat
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


def _sums(*, distinct_members: bool = False, sign: Any = None) -> dict[str, Any]:
    """The figures added up over rows; with ``sign`` (an expression of 1 or -1), each row added or taken away."""
    sums: dict[str, Any] = {}
    if distinct_members:
        # First, while "shares" still names the column: the later annotations of the same name are the sums.
        sums["active_ambassadors"] = Count("membership", filter=Q(shares__gt=0), distinct=True)

    def total(name: str) -> Sum:
        return Sum(F(name) * sign) if sign is not None else Sum(name)

    for name in ("shares", "clicks", "unique_clicks"):
        sums[name] = Coalesce(total(name), 0, output_field=IntegerField())
    for name in PARTIAL:
        sums[name] = total(name)
        sums[f"{name}_known"] = Coalesce(total(f"{name}_known"), 0, output_field=IntegerField())
    return sums


def _aggregated(rows: QuerySet[Any, Any]) -> list[dict[str, Any]]:
    """The rows of ``values().annotate()``, whose annotations the type stubs cannot follow."""
    return [dict(row) for row in rows]


def _figures(row: Mapping[str, Any]) -> Figures:
    values = {name: row[name] for name in Figures.__dataclass_fields__ if name in row}
    for name in PARTIAL:
        # Known for no share (month rows less their edge days may leave a sum of 0 known for none): unknown.
        if not values.get(f"{name}_known"):
            values[name] = None
    return Figures(**values)


def stats(organization: Organization, filters: Filters, period: Period | None = None) -> QuerySet[DailyStat]:
    """The rollup rows the filters select, each share counted once: the breakdown that holds the filter's dimension
    (``all`` when none, ``post`` when a programme and a topic apply together)."""
    period = period or filters.period
    rows = _narrowed(
        DailyStat.objects.filter(organization=organization, day__gte=period.start, day__lte=period.end), filters
    )
    if filters.programme and filters.topic:
        return rows.filter(
            breakdown=Breakdown.POST,
            post__in=PostProgramme.objects.filter(programme=filters.programme).values("post"),
        ).filter(post__in=PostTopic.objects.filter(topic=filters.topic).values("post"))
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


def _spanned(
    organization: Organization, period: Period, month_breakdown: str, day_breakdown: str
) -> tuple[QuerySet[DailyStat], Any]:
    """The month and day rows of ``Spans.of(period)`` and the sign (1 or -1) each is summed with."""
    spans = Spans.of(period, _today(organization))

    def days(periods: Iterable[Period]) -> list[Q]:
        return [Q(breakdown=day_breakdown, day__gte=p.start, day__lte=p.end) for p in periods]

    removed = days(spans.removed)
    wanted = [*days(spans.added), *removed]
    if spans.months:
        wanted.append(Q(breakdown=month_breakdown, day__in=spans.months))
    rows = DailyStat.objects.filter(reduce(operator.or_, wanted), organization=organization)
    sign = Case(When(reduce(operator.or_, removed), then=Value(-1)), default=Value(1)) if removed else Value(1)
    return rows, sign


_MEMBER_GRAINS = {
    "": (Breakdown.MONTH, Breakdown.ALL),
    "topic": (Breakdown.MONTH_TOPIC, Breakdown.TOPIC),
    "programme": (Breakdown.MONTH_PROGRAMME, Breakdown.PROGRAMME),
}


def member_figures(organization: Organization, filters: Filters, period: Period | None = None) -> dict[int, Figures]:
    """Each member's figures over the period (the filters applied), for those with a row in it. One query."""
    period = period or filters.period
    if filters.programme and filters.topic:
        rows, sums = stats(organization, filters, period), _sums()
    else:
        dimension = "programme" if filters.programme else "topic" if filters.topic else ""
        rows, sign = _spanned(organization, period, *_MEMBER_GRAINS[dimension])
        rows = _narrowed(rows, filters)
        if dimension:
            rows = rows.filter(**{dimension: getattr(filters, dimension)})
        sums = _sums(sign=sign)
    grouped = rows.filter(membership__isnull=False).values("membership_id").annotate(**sums).order_by()
    return {row["membership_id"]: _figures(row) for row in _aggregated(grouped)}


def active_ambassadors(figures: Mapping[int, Figures]) -> int:
    """Members who shared at least once in the period."""
    return sum(1 for member in figures.values() if member.shares > 0)


def post_figures(organization: Organization, filters: Filters) -> QuerySet[Any, Any]:
    """The period's figures per post (the filters applied), as ``values("post_id")`` rows with the sums, unordered."""
    if filters.member:
        return post_rows(organization, filters).values("post_id").annotate(**_sums()).order_by()
    rows, sign = _spanned(organization, filters.period, Breakdown.MONTH_POST, Breakdown.ORG_POST)
    rows = _of_posts(_narrowed(rows.filter(post__isnull=False), filters), filters)
    return rows.values("post_id").annotate(**_sums(sign=sign)).order_by()


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
    members: Mapping[int, Figures] = field(default_factory=dict)


def headline(organization: Organization, filters: Filters) -> Headline:
    """The period's totals, the previous period's, and the period's per network (for earned media value), with the
    active ambassadors of both periods (not for one member's figures). Two queries, four with the ambassadors."""
    previous = filters.period.previous()
    is_current = Case(When(day__gte=filters.period.start, then=Value(True)), default=Value(False))
    both = totals(organization, filters, Period(previous.start, filters.period.end))
    figures = {
        row["is_current"]: _figures(row)
        for row in both.annotate(is_current=is_current).values("is_current").annotate(**_sums()).order_by()
    }
    by_network = {
        row["network"]: _figures(row)
        for row in totals(organization, filters).values("network").annotate(**_sums()).order_by("network")
    }
    current, before = figures.get(True, Figures()), figures.get(False, Figures())
    if filters.member:
        return Headline(current=current, previous=before, by_network=by_network)
    members = member_figures(organization, filters)
    current = replace(current, active_ambassadors=active_ambassadors(members))
    before = replace(before, active_ambassadors=active_ambassadors(member_figures(organization, filters, previous)))
    return Headline(current=current, previous=before, by_network=by_network, members=members)


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
    is a zero on the chart, not a gap). One query."""
    size = bucket_size(filters.period)
    sums: dict[tuple[date, str], dict[str, int | None]] = defaultdict(dict)
    for row in _aggregated(totals(organization, filters).values("day", "network").annotate(**_sums()).order_by()):
        key = (_bucket_start(row["day"], size), row["network"])
        into = sums[key]
        for name, value in row.items():
            if name in ("day", "network") or value is None:
                continue
            into[name] = (into.get(name) or 0) + value
    networks = sorted({network for _, network in sums} or {n.value for n in NETWORKS})
    buckets = []
    day = _bucket_start(filters.period.start, size)
    while day <= filters.period.end:
        by_network = {network: _figures(dict.fromkeys(PARTIAL) | sums.get((day, network), {})) for network in networks}
        buckets.append(Bucket(day, by_network))
        day = _next_bucket(day, size)
    return buckets


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
    if filters.programme:
        rows = rows.filter(post__in=PostProgramme.objects.filter(programme=filters.programme).values("post"))
    if filters.topic:
        rows = rows.filter(post__in=PostTopic.objects.filter(topic=filters.topic).values("post"))
    return rows


def topic_gaps(organization: Organization, filters: Filters) -> list[TopicGap]:
    """Per topic of the shared posts (the topic filter aside), its part of the shares and of the unique clicks, most
    shared first. A post with two topics counts in both, so the parts are of the topic rows. Two queries."""
    unfiltered = Filters(filters.period, filters.programme, None, filters.network, filters.member)
    counted: dict[int | None, list[int]] = defaultdict(lambda: [0, 0])
    if filters.programme:
        # No programme-by-topic rollup: the programme's posts' figures, spread over their topics here.
        per_post = {
            row["post_id"]: (row["shares"], row["unique_clicks"])
            for row in _aggregated(post_figures(organization, unfiltered))
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
    ranked = list(post_figures(organization, filters).order_by("-unique_clicks", "-shares", "post_id")[:limit])
    posts = Post.objects.in_bulk([row["post_id"] for row in ranked])
    return [(posts[row["post_id"]], _figures(row)) for row in ranked if row["post_id"] in posts]


def top_ambassadors(
    organization: Organization, filters: Filters, limit: int = TOP, members: Mapping[int, Figures] | None = None
) -> list[Ranked]:
    """The members whose shares brought the most unique clicks, then who shared most: from ``members`` (the
    headline's), else one query. How each is named is the member's choice (``ambassadors.selectors.ranking_names``)."""
    if members is None:
        members = member_figures(organization, filters)
    ranked = sorted(
        (Ranked(member, figures) for member, figures in members.items()),
        key=lambda row: (-row.figures.unique_clicks, -row.figures.shares, row.id),
    )
    return [row for row in ranked if row.figures.shares or row.figures.unique_clicks][:limit]


@dataclass(frozen=True)
class ProgrammeRow:
    programme: Programme
    members: int
    figures: Figures


def programme_comparison(organization: Organization, filters: Filters) -> list[ProgrammeRow]:
    """Each programme's figures over the period (the programme filter aside) and its member count, most active
    first. Four queries."""
    rows = DailyStat.objects.filter(
        organization=organization,
        breakdown=Breakdown.ORG_PROGRAMME,
        day__gte=filters.period.start,
        day__lte=filters.period.end,
        programme__isnull=False,
    )
    if filters.network:
        rows = rows.filter(network=filters.network)
    figures = {row["programme_id"]: _figures(row) for row in rows.values("programme_id").annotate(**_sums()).order_by()}
    members_rows, sign = _spanned(organization, filters.period, Breakdown.MONTH_PROGRAMME, Breakdown.PROGRAMME)
    shared = (
        _narrowed(members_rows, Filters(filters.period, network=filters.network))
        .filter(programme__isnull=False, membership__isnull=False)
        .values("programme_id", "membership_id")
        .annotate(shared=Coalesce(Sum(F("shares") * sign), 0, output_field=IntegerField()))
        .filter(shared__gt=0)
        .values_list("programme_id", flat=True)
        .order_by()
    )
    active: dict[int, int] = defaultdict(int)
    for programme_id in shared:
        active[programme_id] += 1
    figures = {pk: replace(row, active_ambassadors=active.get(pk, 0)) for pk, row in figures.items()}
    members = dict(
        ProgrammeMember.objects.filter(organization=organization)
        .values("programme_id")
        .annotate(count=Count("pk"))
        .values_list("programme_id", "count")
        .order_by()
    )
    programmes = Programme.objects.filter(organization=organization).order_by("name")
    compared = [
        ProgrammeRow(programme, members.get(programme.pk, 0), figures.get(programme.pk, Figures()))
        for programme in programmes
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


def _member_stages(at: datetime, suffix: str) -> dict[str, Count]:
    """Conditional counts of the members at each stage at the instant ``at``."""
    joined = Q(created_at__lt=at)
    accepted = CharterAcceptance.objects.filter(membership=OuterRef("pk"), accepted_at__lt=at).filter(
        Q(left_at__isnull=True) | Q(left_at__gte=at)
    )
    connected = SocialConnection.objects.filter(membership=OuterRef("pk"), created_at__lt=at)
    published = Share.objects.filter(membership=OuterRef("pk"), status=Share.Status.PUBLISHED, published_at__lt=at)
    recent = published.filter(published_at__gte=at - timedelta(days=ACTIVE_DAYS))
    return {
        f"joined{suffix}": Count("pk", filter=joined, distinct=True),
        f"charter{suffix}": Count("pk", filter=joined & Q(Exists(accepted)), distinct=True),
        f"connected{suffix}": Count("pk", filter=joined & Q(Exists(connected)), distinct=True),
        f"shared{suffix}": Count("pk", filter=joined & Q(Exists(published)), distinct=True),
        f"active{suffix}": Count("pk", filter=joined & Q(Exists(recent)), distinct=True),
    }


def _invitations_pending(at: datetime, suffix: str) -> dict[str, Count]:
    """Invitations sent before ``at`` and not accepted by then: people invited who had not joined."""
    sent = Q(created_at__lt=at) & (Q(accepted_at__isnull=True) | Q(accepted_at__gte=at))
    return {f"pending{suffix}": Count("pk", filter=sent)}


def adoption(organization: Organization, filters: Filters) -> Adoption:
    """The adoption funnel at the end of the period and of the previous one, and per programme at the end of the
    period. Four queries. Members who left are no longer counted (their rows went with them)."""
    zone = ZoneInfo(organization.time_zone)
    _, now_end = day_bounds(filters.period.end, filters.period.end, zone)
    _, before_end = day_bounds(filters.period.previous().end, filters.period.previous().end, zone)
    members = Membership.objects.filter(organization=organization)
    counts = members.aggregate(**_member_stages(now_end, ""), **_member_stages(before_end, "_before"))
    invitations = Invitation.objects.filter(organization=organization)
    pending = invitations.aggregate(**_invitations_pending(now_end, ""), **_invitations_pending(before_end, "_before"))

    def funnel(suffix: str) -> Funnel:
        stages = {stage: counts[f"{stage}{suffix}"] for stage in FUNNEL_STAGES if stage != "invited"}
        return Funnel(invited=stages["joined"] + pending[f"pending{suffix}"], **stages)

    per_programme_members: dict[int, Mapping[str, Any]] = {
        row["programme_links__programme"]: row
        for row in members.filter(programme_links__isnull=False)
        .values("programme_links__programme")
        .annotate(**_member_stages(now_end, ""))
        .order_by()
    }
    per_programme_pending = {
        row["programme_id"]: row["pending"]
        for row in _aggregated(
            invitations.filter(programme__isnull=False)
            .values("programme_id")
            .annotate(**_invitations_pending(now_end, ""))
            .order_by()
        )
    }
    by_programme = []
    for programme in Programme.objects.filter(organization=organization).order_by("name"):
        row = per_programme_members.get(programme.pk, {})
        stages = {stage: row.get(stage, 0) for stage in FUNNEL_STAGES if stage != "invited"}
        by_programme.append(
            (programme, Funnel(invited=stages["joined"] + per_programme_pending.get(programme.pk, 0), **stages))
        )
    return Adoption(current=funnel(""), previous=funnel("_before"), by_programme=by_programme)
