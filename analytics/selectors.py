"""Reads of tracked links and clicks, earned media value rates, programme goals and a member's exports, for the pages
and the API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from advocacy.models import Membership, Programme
from analytics.models import Click, DailyStat, EmvRates, Export, ProgrammeGoal, TrackedLink, TrackingSettings
from analytics.referrals import referral_totals

if TYPE_CHECKING:
    from advocacy.models import Organization
    from ambassadors.models import Share


def tracking_settings(*, organization: Organization) -> TrackingSettings:
    """The organisation's settings; the defaults (unsaved: reading writes nothing) until an admin saves them."""
    found = TrackingSettings.objects.filter(organization=organization).first()
    return found if found is not None else TrackingSettings(organization=organization)


def emv_rates(*, organization: Organization) -> EmvRates:
    """The organisation's earned media value rates; the defaults (unsaved) until an admin saves their own."""
    found = EmvRates.objects.filter(organization=organization).first()
    return found if found is not None else EmvRates(organization=organization)


@dataclass(frozen=True)
class ShareLinks:
    """A share's tracked links in one line: the code its text carries (its first link's) and their clicks."""

    code: str
    clicks: int
    unique: int


def summarise_links(links: Iterable[TrackedLink]) -> dict[int, ShareLinks]:
    """``{share_id: ShareLinks}`` from links read oldest first (``share_links``, ``share_link_summaries``)."""
    summaries: dict[int, ShareLinks] = {}
    for link in links:
        known = summaries.get(link.share_id)
        if known is None:
            summaries[link.share_id] = ShareLinks(link.code, link.clicks, link.unique_clicks)
        else:
            summaries[link.share_id] = ShareLinks(
                known.code, known.clicks + link.clicks, known.unique + link.unique_clicks
            )
    return summaries


def share_link_summaries(share_ids: Iterable[int]) -> dict[int, ShareLinks]:
    """The links of a page of shares, summarised, in one query."""
    links = (
        TrackedLink.objects.filter(share__in=list(share_ids))
        .order_by("created_at", "pk")
        .only("share", "code", "clicks", "unique_clicks")
    )
    return summarise_links(links)


def share_links(share: Share) -> list[TrackedLink]:
    return list(TrackedLink.objects.filter(share=share).order_by("created_at", "pk"))


@dataclass(frozen=True)
class DayClicks:
    day: dt.date
    clicks: int
    unique: int


def clicks_per_day(share: Share, tz: dt.tzinfo, days: int = 30) -> list[DayClicks]:
    """The share's counted clicks of the last ``days`` days in ``tz``, per day: only days with clicks, newest first."""
    today = timezone.localtime(timezone.now(), tz).date()
    first_day = today - dt.timedelta(days=days - 1)
    since = dt.datetime.combine(first_day, dt.time.min, tzinfo=tz)
    rows = (
        Click.objects.filter(organization=share.organization_id, share=share, filtered="", clicked_at__gte=since)
        .annotate(day=TruncDate("clicked_at", tzinfo=tz))
        .values("day")
        .annotate(clicks=Count("event_id"), unique=Count("event_id", filter=Q(first_of_day=True)))
        .order_by("-day")
    )
    return [DayClicks(day=row["day"], clicks=row["clicks"], unique=row["unique"]) for row in rows]


@dataclass(frozen=True)
class TargetProgress:
    """A goal's target (None: none set) and what was done so far (None: not measured)."""

    target: int | None
    actual: int | None

    @property
    def percent(self) -> int | None:
        """How far along, in whole percent (over 100 once passed); None without a target or a measure."""
        if not self.target or self.actual is None:
            return None
        return self.actual * 100 // self.target


@dataclass(frozen=True)
class GoalProgress:
    """A programme's goals for one quarter and the actual figures so far, from the programme rows of the daily
    rollups (every network). ``goal`` is None when the quarter has none (the targets are then None).

    Referrals are the applications, hires and leads credited to the programme's members (``analytics.referrals``).
    ``days_elapsed`` of ``days_total``: the quarter's days already begun in the organisation's
    time zone, so a page can say whether the programme is on pace."""

    year: int
    quarter: int
    first_day: dt.date
    last_day: dt.date
    days_elapsed: int
    goal: ProgrammeGoal | None
    active_ambassadors: TargetProgress
    shares: TargetProgress
    unique_clicks: TargetProgress
    referrals: TargetProgress

    @property
    def days_total(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def targets(self) -> list[tuple[str, TargetProgress]]:
        """(target name, progress) in the order of ``ProgrammeGoal.TARGETS``."""
        return [(name, getattr(self, name)) for name in ProgrammeGoal.TARGETS]


def quarter_days(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    """The first and last day of a quarter (1 to 4)."""
    if quarter not in (1, 2, 3, 4):
        raise ValueError(f"A quarter is 1 to 4, not {quarter!r}")
    first = dt.date(year, 3 * quarter - 2, 1)
    following = dt.date(year + 1, 1, 1) if quarter == 4 else dt.date(year, 3 * quarter + 1, 1)
    return first, following - dt.timedelta(days=1)


def current_quarter(*, organization: Organization) -> tuple[int, int]:
    """(year, quarter) of today in the organisation's time zone."""
    today = timezone.localtime(timezone.now(), ZoneInfo(organization.time_zone)).date()
    return today.year, (today.month - 1) // 3 + 1


def goal_progress(*, organization: Organization, programme: Programme, year: int, quarter: int) -> GoalProgress:
    """A programme's goals for a quarter and the figures so far, in three queries (the goal, the rollups, the
    referrals).

    Active ambassadors: members with at least one share in the quarter; shares and unique clicks: the sums of the
    programme's rollup rows of the quarter's days (organisation-local dates, as the rollups keep them)."""
    first_day, last_day = quarter_days(year, quarter)
    goal = ProgrammeGoal.objects.filter(
        organization=organization, programme=programme, year=year, quarter=quarter
    ).first()
    done = DailyStat.objects.filter(
        organization=organization,
        breakdown=DailyStat.Breakdown.PROGRAMME,
        programme=programme,
        day__gte=first_day,
        day__lte=last_day,
    ).aggregate(
        # Aliases other than the fields' names: the filter below reads the field ``shares``.
        total_shares=Sum("shares"),
        total_unique_clicks=Sum("unique_clicks"),
        active=Count("membership", distinct=True, filter=Q(shares__gt=0)),
    )
    today = timezone.localtime(timezone.now(), ZoneInfo(organization.time_zone)).date()
    elapsed = (min(today, last_day) - first_day).days + 1 if today >= first_day else 0

    def target(name: str) -> int | None:
        return getattr(goal, name) if goal is not None else None

    return GoalProgress(
        year=year,
        quarter=quarter,
        first_day=first_day,
        last_day=last_day,
        days_elapsed=elapsed,
        goal=goal,
        active_ambassadors=TargetProgress(target("active_ambassadors"), done["active"]),
        shares=TargetProgress(target("shares"), done["total_shares"] or 0),
        unique_clicks=TargetProgress(target("unique_clicks"), done["total_unique_clicks"] or 0),
        referrals=TargetProgress(
            target("referrals"),
            referral_totals(organization=organization, start=first_day, end=last_day, programme=programme).total,
        ),
    )


def programme_goals(*, organization: Organization, programme: Programme) -> list[ProgrammeGoal]:
    """A programme's goals, the latest quarter first."""
    goals = ProgrammeGoal.objects.filter(organization=organization, programme=programme)
    return list(goals.order_by("-year", "-quarter"))


def insight_programmes(*, membership: Membership) -> QuerySet[Programme]:
    """The programmes whose figures ``membership`` may read on the community insights page: every programme for those
    who read the dashboard, else the programmes they belong to."""
    programmes = Programme.objects.filter(organization=membership.organization_id)
    if membership.has_perm("analytics.view"):
        return programmes
    return programmes.filter(members__membership=membership)


def member_exports(*, organization: Organization, membership: Membership) -> QuerySet[Export]:
    """The exports a member asked for in the organisation, newest first (the ``export_org_member`` index); nobody
    else's."""
    return Export.objects.filter(organization=organization, requested_by=membership).order_by("-created_at", "-pk")


def reusable_export(
    *,
    organization: Organization,
    membership: Membership,
    table: str,
    file_format: str,
    filters: dict[str, Any],
    now: dt.datetime | None = None,
) -> Export | None:
    """The member's export of the same table, format and filters (as ``analytics.exports.filters_to_json`` writes
    them) that is waiting, being written or ready, and not expired: asking for it again hands it back rather than
    writing the same file twice."""
    return (
        member_exports(organization=organization, membership=membership)
        .filter(table=table, file_format=file_format, filters=filters, expires_at__gt=now or timezone.now())
        .exclude(status=Export.Status.FAILED)
        .first()
    )
