"""Reads of tracked links and clicks for the pages and the API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from analytics.models import Click, TrackedLink, TrackingSettings

if TYPE_CHECKING:
    from advocacy.models import Organization
    from ambassadors.models import Share


def tracking_settings(*, organization: Organization) -> TrackingSettings:
    """The organisation's settings; the defaults (unsaved: reading writes nothing) until an admin saves them."""
    found = TrackingSettings.objects.filter(organization=organization).first()
    return found if found is not None else TrackingSettings(organization=organization)


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
