"""The daily rollups (``DailyStat``): an organisation's shares, engagement and clicks per local day, member, network,
topic and programme, so that dashboards never read raw clicks.

``rollup_days`` rewrites whole days from the raw rows, in one transaction: running it again gives the same rows.
``rollup_changed`` finds the days touched since its last run (``RollupState``) and rewrites only those. Both run inside
the organisation's scope.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, OuterRef, Q, Subquery
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
Breakdown = DailyStat.Breakdown


class RollupRangeError(ValueError):
    """Days whose raw clicks retention has already dropped: rebuilding them would erase their clicks."""


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


def month_end(day: date) -> date:
    return month_start(day, 1) - timedelta(days=1)


@transaction.atomic
def rollup_days(*, organization: Organization, first_day: date, last_day: date) -> int:
    """Rewrite the organisation's ``DailyStat`` rows of ``first_day`` to ``last_day`` (local days, both included) from
    its shares, snapshots and clicks, and the month rows of the months they fall in; return how many day rows were
    written.

    Idempotent: the days' rows are deleted and written again in one transaction. The database does the counting:
    a dozen ``INSERT … SELECT`` whatever the amount of data. Runs in the organisation's scope; raises
    ``RollupRangeError`` for days older than the clicks kept.
    """
    _require_own_scope(organization)
    oldest = oldest_rebuildable_day(timezone.now().date())
    if first_day < oldest:
        raise RollupRangeError(f"clicks before {oldest} are no longer kept")
    DailyStat.objects.filter(
        organization=organization, breakdown=Breakdown.POST, day__gte=first_day, day__lte=last_day
    ).delete()
    written = _insert_posts(organization, first_day, last_day)
    return written + derive_breakdowns(organization=organization, first_day=first_day, last_day=last_day)


# Within rollup_days' transaction without a savepoint of its own; in one transaction when called alone.
@transaction.atomic(savepoint=False)
def derive_breakdowns(*, organization: Organization, first_day: date, last_day: date) -> int:
    """Rewrite every breakdown of the days from their ``post`` rows, and the months the days fall in; return how many
    day rows were written. Runs in the organisation's scope."""
    _require_own_scope(organization)
    DailyStat.objects.filter(
        organization=organization, breakdown__in=DERIVED, day__gte=first_day, day__lte=last_day
    ).delete()
    written = sum(
        _insert_derived(organization, breakdown, source, kept, first_day, last_day)
        for breakdown, (source, kept) in DERIVED.items()
    )
    rollup_months(organization=organization, first_day=first_day, last_day=last_day)
    return written


def rollup_months(*, organization: Organization, first_day: date, last_day: date) -> None:
    """Rewrite the month rows of every month ``first_day`` to ``last_day`` touch, from the day rows."""
    first_month, last_month = month_start(first_day), month_start(last_day)
    DailyStat.objects.filter(
        organization=organization, breakdown__in=MONTHS, day__gte=first_month, day__lte=last_month
    ).delete()
    for breakdown, (source, kept) in MONTHS.items():
        _insert_derived(organization, breakdown, source, kept, first_month, month_end(last_month), by_month=True)


# The columns every insert writes, in this order.
_KEY = ("organization_id", "breakdown", "day", "membership_id", "network", "topic_id", "programme_id", "post_id")
_FIGURES = ("shares", "clicks", "unique_clicks", *(c for name in METRICS for c in (name, f"{name}_known")))
_TABLE = DailyStat._meta.db_table


def _execute(sql: str, params: list[Any]) -> int:
    """Run an ``INSERT … SELECT``; return how many rows it wrote."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


def _insert_posts(organization: Organization, first_day: date, last_day: date) -> int:
    """The finest grain, from the raw rows: the shares published on each day with their latest snapshot, and the
    clicks of each day (robots and previews left out), per member, network and post."""
    zone = ZoneInfo(organization.time_zone)
    start, end = day_bounds(first_day, last_day, zone)
    latest = MetricSnapshot.objects.filter(share=OuterRef("pk")).order_by("-taken_at", "-slot").values("pk")[:1]
    shares_sql, shares_params = (
        Share.objects.filter(
            organization=organization, status=Share.Status.PUBLISHED, published_at__gte=start, published_at__lt=end
        )
        .annotate(local_day=TruncDate("published_at", tzinfo=zone), snapshot=Subquery(latest))
        .values("local_day", "membership_id", "network", "post_id", "snapshot")
        .order_by()
        .query.sql_with_params()
    )
    # The time range lets PostgreSQL read only the months' partitions.
    clicks_sql, clicks_params = (
        Click.objects.filter(organization=organization, clicked_at__gte=start, clicked_at__lt=end, filtered="")
        .annotate(local_day=TruncDate("clicked_at", tzinfo=zone))
        .values("local_day", "membership_id", "network", "post_id")
        .annotate(counted=Count("event_id"), firsts=Count("event_id", filter=Q(first_of_day=True)))
        .order_by()
        .query.sql_with_params()
    )
    snapshot_table = MetricSnapshot._meta.db_table
    share_figures = ", ".join(
        f"m.{name} AS {name}, CASE WHEN m.{name} IS NULL THEN 0 ELSE 1 END AS {name}_known" for name in METRICS
    )
    click_figures = ", ".join(f"NULL AS {name}, 0 AS {name}_known" for name in METRICS)
    sums = ", ".join(f"SUM(b.{column})" for column in _FIGURES)
    sql = (
        f"INSERT INTO {_TABLE} ({', '.join(_KEY + _FIGURES)}) "
        f"SELECT %s, %s, b.local_day, b.membership_id, b.network, NULL, NULL, b.post_id, {sums} FROM ("
        f" SELECT s.local_day, s.membership_id, s.network, s.post_id, 1 AS shares, 0 AS clicks, 0 AS unique_clicks,"
        f" {share_figures} FROM ({shares_sql}) s LEFT JOIN {snapshot_table} m ON m.id = s.snapshot"
        f" UNION ALL"
        f" SELECT c.local_day, c.membership_id, c.network, c.post_id, 0, c.counted, c.firsts, {click_figures}"
        f" FROM ({clicks_sql}) c"
        f") b GROUP BY b.local_day, b.membership_id, b.network, b.post_id"
    )
    return _execute(sql, [organization.pk, Breakdown.POST, *shares_params, *clicks_params])


# Each derived breakdown: the breakdown it adds up, and the column it keeps besides day and network ("membership",
# "topic" or "programme" from the post's links, "post"), in the order they are written.
DERIVED: dict[str, tuple[str, tuple[str, ...]]] = {
    Breakdown.ALL: (Breakdown.POST, ("membership",)),
    Breakdown.TOPIC: (Breakdown.POST, ("membership", "topic")),
    Breakdown.PROGRAMME: (Breakdown.POST, ("membership", "programme")),
    Breakdown.ORG: (Breakdown.ALL, ()),
    Breakdown.ORG_TOPIC: (Breakdown.TOPIC, ("topic",)),
    Breakdown.ORG_PROGRAMME: (Breakdown.PROGRAMME, ("programme",)),
    Breakdown.ORG_POST: (Breakdown.POST, ("post",)),
}
MONTHS: dict[str, tuple[str, tuple[str, ...]]] = {
    Breakdown.MONTH: (Breakdown.ALL, ("membership",)),
    Breakdown.MONTH_TOPIC: (Breakdown.TOPIC, ("membership", "topic")),
    Breakdown.MONTH_PROGRAMME: (Breakdown.PROGRAMME, ("membership", "programme")),
    Breakdown.MONTH_POST: (Breakdown.ORG_POST, ("post",)),
}


def _insert_derived(
    organization: Organization,
    breakdown: str,
    source: str,
    kept: tuple[str, ...],
    first_day: date,
    last_day: date,
    *,
    by_month: bool = False,
) -> int:
    """Add ``source`` rows of the days up into ``breakdown`` rows (per month with ``by_month``). A topic or a
    programme read from the post rows comes from the post's links: a share counts once for each of them, and once
    with none when its post has none."""
    joins = ""
    columns = {"membership": "NULL", "topic": "NULL", "programme": "NULL", "post": "NULL"}
    for name in kept:
        if source == Breakdown.POST and name in ("topic", "programme"):
            link = (PostTopic if name == "topic" else PostProgramme)._meta.db_table
            joins += f" LEFT JOIN {link} {name}_link ON {name}_link.post_id = d.post_id"
            columns[name] = f"{name}_link.{name}_id"
        else:
            columns[name] = f"d.{name}_id"
    day = _month_of("d.day") if by_month else "d.day"
    grouped = [day, "d.network", *(columns[name] for name in kept)]
    sums = ", ".join(f"SUM(d.{column})" for column in _FIGURES)
    sql = (
        f"INSERT INTO {_TABLE} ({', '.join(_KEY + _FIGURES)}) "
        f"SELECT %s, %s, {day}, {columns['membership']}, d.network, {columns['topic']}, {columns['programme']},"
        f" {columns['post']}, {sums} FROM {_TABLE} d{joins}"
        f" WHERE d.organization_id = %s AND d.breakdown = %s AND d.day >= %s AND d.day <= %s"
        f" GROUP BY {', '.join(grouped)}"
    )
    return _execute(sql, [organization.pk, breakdown, organization.pk, source, first_day, last_day])


def _month_of(column: str) -> str:
    """The first day of the column's month, in this database's dialect."""
    if connection.vendor == "postgresql":
        return f"CAST(date_trunc('month', {column}) AS date)"
    return f"date({column}, 'start of month')"


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
