"""Retention: among the people who were members at the end of a period, did the active ambassadors of the period
leave the organisation less often, in the months after it, than the other members?

Current members come from their memberships and shares; people who left since, from their ``Departure`` (its
active days stand in for the shares deleted with the membership). A group's figures are given only when it holds at
least ``min_group`` people: with fewer, a rate could point at one person. The horizon and the minimum default to the
settings ``RELAIS_RETENTION_HORIZON_DAYS`` and ``RELAIS_RETENTION_MIN_GROUP``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery

from advocacy.models import Membership, Organization
from ambassadors.models import Share
from analytics.models import Departure, DepartureDay
from analytics.rollups import day_bounds


@dataclass(frozen=True)
class RetentionGroup:
    """A group's size and, when it is large enough to show, how many of it left within the horizon (``None``
    otherwise: too few to show)."""

    size: int
    left: int | None

    @property
    def shown(self) -> bool:
        return self.left is not None

    @property
    def rate(self) -> float | None:
        """The share of the group who left, from 0 to 1."""
        return None if self.left is None else self.left / self.size

    @property
    def percent(self) -> float | None:
        return None if self.rate is None else 100 * self.rate


@dataclass(frozen=True)
class Retention:
    start: date
    end: date
    horizon_days: int
    min_group: int
    active: RetentionGroup
    others: RetentionGroup

    @property
    def horizon_end(self) -> date:
        """The last day on which a departure counts as leaving "afterwards"."""
        return self.end + timedelta(days=self.horizon_days)

    @property
    def is_empty(self) -> bool:
        return self.active.size + self.others.size == 0


def _group(size: int, left: int, min_group: int) -> RetentionGroup:
    return RetentionGroup(size=size, left=left if size >= max(min_group, 1) else None)


def _count_groups(people: QuerySet[Any], horizon_end: date) -> dict[str, int]:
    """Sizes and leavers of the two groups among ``people`` (annotated ``was_active`` and ``left_on``), in one query."""
    active, left = Q(was_active=True), Q(left_on__lte=horizon_end)
    counted: dict[str, int] = people.aggregate(
        active=Count("pk", filter=active),
        active_left=Count("pk", filter=active & left),
        others=Count("pk", filter=~active),
        others_left=Count("pk", filter=~active & left),
    )
    return counted


def retention(
    *,
    organization: Organization,
    start: date,
    end: date,
    horizon_days: int | None = None,
    min_group: int | None = None,
) -> Retention:
    """Who was a member on ``end`` (joined by then, not gone yet), split into the active ambassadors (at least one
    share published from ``start`` to ``end``, days in the organisation's time zone) and the other members; for
    each group, how many left after ``end`` and no later than ``horizon_days`` after it. Two queries."""
    horizon_days = settings.RELAIS_RETENTION_HORIZON_DAYS if horizon_days is None else horizon_days
    min_group = settings.RELAIS_RETENTION_MIN_GROUP if min_group is None else min_group
    zone = ZoneInfo(organization.time_zone)
    period_start, after_end = day_bounds(start, end, zone)
    horizon_end = end + timedelta(days=horizon_days)
    # A member still in Relais may already have left according to an imported list (its date wins).
    current = (
        Membership.objects.filter(organization=organization, created_at__lt=after_end)
        .annotate(
            left_on=Subquery(
                Departure.objects.filter(organization=organization, membership=OuterRef("pk")).values("left_on")[:1]
            ),
            was_active=Exists(
                Share.objects.filter(
                    organization=organization,
                    membership=OuterRef("pk"),
                    status=Share.Status.PUBLISHED,
                    published_at__gte=period_start,
                    published_at__lt=after_end,
                )
            ),
        )
        .filter(Q(left_on__isnull=True) | Q(left_on__gt=end))
    )
    gone = Departure.objects.filter(
        organization=organization, membership__isnull=True, joined_on__lte=end, left_on__gt=end
    ).annotate(
        was_active=Exists(
            DepartureDay.objects.filter(
                organization=organization, departure=OuterRef("pk"), day__gte=start, day__lte=end
            )
        )
    )
    totals = _count_groups(current, horizon_end)
    for name, value in _count_groups(gone, horizon_end).items():
        totals[name] += value
    return Retention(
        start=start,
        end=end,
        horizon_days=horizon_days,
        min_group=min_group,
        active=_group(totals["active"], totals["active_left"], min_group),
        others=_group(totals["others"], totals["others_left"], min_group),
    )


# --- Periods ---------------------------------------------------------------------------------------------------------


def quarter_of(day: date) -> tuple[date, date]:
    """The first and last days of the calendar quarter holding ``day``."""
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = date(day.year, first_month, 1)
    next_start = date(day.year + 1, 1, 1) if first_month == 10 else date(day.year, first_month + 3, 1)
    return start, next_start - timedelta(days=1)


def past_quarters(today: date, count: int = 12) -> list[tuple[date, date]]:
    """The last ``count`` quarters over before ``today``, newest first."""
    quarters: list[tuple[date, date]] = []
    start, _end = quarter_of(today)
    for _step in range(count):
        quarters.append(quarter_of(start - timedelta(days=1)))
        start = quarters[-1][0]
    return quarters


def default_quarter(today: date, horizon_days: int | None = None) -> tuple[date, date]:
    """The last quarter whose horizon is over before ``today``: its figures will not change any more."""
    horizon_days = settings.RELAIS_RETENTION_HORIZON_DAYS if horizon_days is None else horizon_days
    last_day = today - timedelta(days=horizon_days + 1)
    start, end = quarter_of(last_day)
    return (start, end) if end <= last_day else quarter_of(start - timedelta(days=1))
