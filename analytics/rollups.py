"""The daily rollups (``DailyStat``): an organisation's shares, engagement and clicks per local day, member, network,
topic and programme, so that dashboards never read raw clicks.

``rollup_days`` rewrites whole days from the raw rows, in one transaction: running it again gives the same rows.
``rollup_changed`` finds the days touched since its last run (``RollupState``) and rewrites only those. Both run inside
the organisation's scope.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from advocacy.models import Organization
from advocacy.tenancy import ScopeError, active_organization_id
from ambassadors.models import MetricSnapshot, Share
from analytics.models import Click, DailyStat, RollupState
from analytics.partitions import month_start
from content.models import PostProgramme, PostTopic

METRICS = ("likes", "comments", "reshares", "impressions", "reach")
# Rows read again before the watermark: a click reaches the table after the flusher's batch (seconds, minutes after
# an outage), and a share or snapshot row is stamped before its transaction commits. Clicks held back longer (a
# flusher stopped for hours) need ``manage.py analytics_rollup`` over their days.
LOOKBACK = timedelta(minutes=30)
INSERT_BATCH = 2000
Breakdown = DailyStat.Breakdown


class RollupRangeError(ValueError):
    """Days whose raw clicks retention has already dropped: rebuilding them would erase their clicks."""


@dataclass
class _Totals:
    shares: int = 0
    clicks: int = 0
    unique_clicks: int = 0
    sums: dict[str, int] = field(default_factory=lambda: dict.fromkeys(METRICS, 0))
    known: dict[str, int] = field(default_factory=lambda: dict.fromkeys(METRICS, 0))

    def add(self, other: _Totals) -> None:
        self.shares += other.shares
        self.clicks += other.clicks
        self.unique_clicks += other.unique_clicks
        for name in METRICS:
            self.sums[name] += other.sums[name]
            self.known[name] += other.known[name]


# (day, membership id, network, post id): the finest grain read from the raw rows, spread over the breakdowns.
_Base = tuple[date, int | None, str, int | None]
_Key = tuple[str, date, int | None, str, int | None, int | None, int | None]


def oldest_rebuildable_day(today: date) -> date:
    """The first day whose raw clicks are all still kept (analytics.partitions.drop_expired)."""
    return month_start(today, -int(settings.RELAIS_CLICKS_RETENTION_MONTHS))


def _require_own_scope(organization: Organization) -> None:
    """Refuse to run for another organisation than the active scope's: its rows would be filtered out and the days
    silently left empty."""
    if active_organization_id() != organization.pk:
        raise ScopeError(f"The rollups of organisation {organization.pk} run in its own scope only.")


def day_bounds(first_day: date, last_day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The instants where ``first_day`` starts and the day after ``last_day`` starts, in the organisation's zone: a
    day is 23 or 25 hours long when the clocks change."""
    return (
        datetime.combine(first_day, time.min, tzinfo=zone),
        datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=zone),
    )


@transaction.atomic
def rollup_days(*, organization: Organization, first_day: date, last_day: date) -> int:
    """Rewrite the organisation's ``DailyStat`` rows of ``first_day`` to ``last_day`` (local days, both included) from
    its shares, snapshots and clicks; return how many rows were written.

    Idempotent: the days' rows are deleted and written again in one transaction. Six queries whatever the amount of
    data, plus one insert per ``INSERT_BATCH`` rows (fewer rows per insert on SQLite). Runs in the organisation's
    scope; raises ``RollupRangeError`` for days older than the clicks kept.
    """
    _require_own_scope(organization)
    oldest = oldest_rebuildable_day(timezone.now().date())
    if first_day < oldest:
        raise RollupRangeError(f"clicks before {oldest} are no longer kept")
    zone = ZoneInfo(organization.time_zone)
    start, end = day_bounds(first_day, last_day, zone)
    base: dict[_Base, _Totals] = defaultdict(_Totals)
    _read_shares(organization, start, end, zone, base)
    _read_clicks(organization, start, end, zone, base)
    rows = [
        DailyStat(
            organization=organization,
            breakdown=breakdown,
            day=day,
            membership_id=membership_id,
            network=network,
            topic_id=topic_id,
            programme_id=programme_id,
            post_id=post_id,
            shares=totals.shares,
            clicks=totals.clicks,
            unique_clicks=totals.unique_clicks,
            **_metric_fields(totals),
        )
        for (breakdown, day, membership_id, network, topic_id, programme_id, post_id), totals in _spread(
            organization, base
        )
    ]
    DailyStat.objects.filter(organization=organization, day__gte=first_day, day__lte=last_day).delete()
    DailyStat.objects.bulk_create(rows, batch_size=INSERT_BATCH)
    return len(rows)


def _read_shares(
    organization: Organization, start: datetime, end: datetime, zone: ZoneInfo, base: dict[_Base, _Totals]
) -> None:
    """Count the shares published in the range, with the latest snapshot of each on its publication day."""
    published = {"status": Share.Status.PUBLISHED, "published_at__gte": start, "published_at__lt": end}
    shares = Share.objects.filter(organization=organization, **published).values_list(
        "pk", "published_at", "membership_id", "network", "post_id"
    )
    latest: dict[int, tuple[int | None, ...]] = {}
    # Ordered by time: the last row of a share wins, one pass and no per-share query.
    snapshots = (
        MetricSnapshot.objects.filter(organization=organization, **{f"share__{k}": v for k, v in published.items()})
        .order_by("share_id", "taken_at", "slot")
        .values_list("share_id", *METRICS)
    )
    for share_id, *figures in snapshots:
        latest[share_id] = tuple(figures)
    for share_id, published_at, membership_id, network, post_id in shares:
        assert published_at is not None  # filtered on its range
        totals = base[(published_at.astimezone(zone).date(), membership_id, network, post_id)]
        totals.shares += 1
        for name, value in zip(METRICS, latest.get(share_id, (None,) * len(METRICS)), strict=True):
            if value is not None:
                totals.sums[name] += value
                totals.known[name] += 1


def _read_clicks(
    organization: Organization, start: datetime, end: datetime, zone: ZoneInfo, base: dict[_Base, _Totals]
) -> None:
    """Count the range's clicks in the database, by local day: filtered ones (robots, previews) are not clicks. The
    time range lets PostgreSQL read only the months' partitions."""
    counted = (
        Click.objects.filter(organization=organization, clicked_at__gte=start, clicked_at__lt=end, filtered="")
        .annotate(day=TruncDate("clicked_at", tzinfo=zone))
        .values("day", "membership_id", "network", "post_id")
        .annotate(clicks=Count("event_id"), unique_clicks=Count("event_id", filter=Q(first_of_day=True)))
        .order_by()
    )
    for row in counted:
        totals = base[(row["day"], row["membership_id"], row["network"], row["post_id"])]
        totals.clicks += row["clicks"]
        totals.unique_clicks += row["unique_clicks"]


def _spread(organization: Organization, base: dict[_Base, _Totals]) -> Iterable[tuple[_Key, _Totals]]:
    """The finest-grain totals added up per breakdown: once in ``all``, once per topic and once per programme of the
    post (None when it has none), and once as they are, per post."""
    topics: dict[int, list[int]] = defaultdict(list)
    for post, topic in PostTopic.objects.filter(organization=organization).values_list("post_id", "topic_id"):
        topics[post].append(topic)
    programmes: dict[int, list[int]] = defaultdict(list)
    for post, programme in PostProgramme.objects.filter(organization=organization).values_list(
        "post_id", "programme_id"
    ):
        programmes[post].append(programme)
    rows: dict[_Key, _Totals] = defaultdict(_Totals)
    none: list[int | None] = [None]
    for (day, membership_id, network, post_id), totals in base.items():
        rows[(Breakdown.ALL, day, membership_id, network, None, None, None)].add(totals)
        rows[(Breakdown.POST, day, membership_id, network, None, None, post_id)].add(totals)
        post_topics: list[int | None] = list(topics.get(post_id or 0, ()))
        for topic_id in post_topics or none:
            rows[(Breakdown.TOPIC, day, membership_id, network, topic_id, None, None)].add(totals)
        post_programmes: list[int | None] = list(programmes.get(post_id or 0, ()))
        for programme_id in post_programmes or none:
            rows[(Breakdown.PROGRAMME, day, membership_id, network, None, programme_id, None)].add(totals)
    return rows.items()


def _metric_fields(totals: _Totals) -> dict[str, int | None]:
    values: dict[str, int | None] = {}
    for name in METRICS:
        values[name] = totals.sums[name] if totals.known[name] else None
        values[f"{name}_known"] = totals.known[name]
    return values


def changed_days(*, organization: Organization, since: datetime | None) -> set[date]:
    """The local days whose rollup rows the rows written since ``since`` (all rows when None) change: clicks on their
    day, shares (published, unpublished or edited) and snapshots on their share's publication day."""
    zone = ZoneInfo(organization.time_zone)
    clicks = Click.objects.filter(organization=organization)
    shares = Share.objects.filter(organization=organization, published_at__isnull=False)
    snapshots = MetricSnapshot.objects.filter(organization=organization, share__published_at__isnull=False)
    if since is not None:
        clicks = clicks.filter(clicked_at__gte=since)
        shares = shares.filter(updated_at__gte=since)
        snapshots = snapshots.filter(taken_at__gte=since)
    days: set[date] = set()
    for queryset, moment in ((clicks, "clicked_at"), (shares, "published_at"), (snapshots, "share__published_at")):
        days.update(
            queryset.annotate(day=TruncDate(moment, tzinfo=zone)).values_list("day", flat=True).distinct().order_by()
        )
    return days


def rollup_changed(*, organization: Organization, now: datetime | None = None) -> list[date]:
    """Rewrite the days changed since the last run (all days on the first), then move the watermark to ``now``;
    return the days rewritten. A run that fails leaves the watermark where it was, so the next one does its days
    again. Days older than the clicks kept are left as they are. Runs in the organisation's scope; the caller makes
    sure two runs for one organisation never overlap."""
    _require_own_scope(organization)
    now = now or timezone.now()
    state = RollupState.objects.filter(organization=organization).first()
    since = state.covered_until - LOOKBACK if state else None
    oldest = oldest_rebuildable_day(now.date())
    days = sorted(day for day in changed_days(organization=organization, since=since) if day >= oldest)
    for first_day, last_day in _runs(days):
        rollup_days(organization=organization, first_day=first_day, last_day=last_day)
    RollupState.objects.update_or_create(organization=organization, defaults={"covered_until": now})
    return days


def _runs(days: list[date]) -> list[tuple[date, date]]:
    """Sorted days as ranges of consecutive days: one rewrite per range."""
    runs: list[tuple[date, date]] = []
    for day in days:
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs
