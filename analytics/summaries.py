"""The weekly e-mail summary of the KPI dashboard, to every member holding ``analytics.view`` who has not turned it off.

It goes out on the member's own Monday morning (``SEND_HOUR`` in their time zone, else the organisation's), like the
ambassadors' digest: the next moment is kept in ``WeeklySummary.next_at`` so the beat's tick is one indexed range scan
(``analytics.ticks``), and each e-mail goes through ``advocacy.mail``'s send-once guard keyed by member and week, so a
tick run twice, or a batch retried, never sends two e-mails for one week. It gives the previous week's headline figures
(Monday to Sunday of the organisation's calendar, which the rollups count in) against the week before, the biggest
topic gap, and a link to the dashboard for that week; it carries a one-click unsubscribe (RFC 8058).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from advocacy.mail import Email, EmailBatch, Message, email_send_each
from advocacy.models import Membership, Organization, User
from advocacy.roles import PERMISSIONS
from advocacy.services import audit_log
from advocacy.unsubscribe import membership_from_token, membership_token, membership_url
from analytics.dashboard import Filters, Headline, Period, TopicGap, biggest_gaps, headline, topic_gaps
from analytics.models import WeeklySummary
from analytics.presentation import Change
from charter.compliance import member_zone

PERMISSION = "analytics.view"
# Monday, 08:00 in the member's time zone: before the Monday review the figures are meant for.
SEND_WEEKDAY = 0
SEND_HOUR = 8
# A summary found due later than this (workers down, a member back in a dashboard role after months) is not sent:
# last week's figures on a Thursday come after the review; the next Monday's will.
LATEST = timedelta(hours=24)
UNSUBSCRIBE_SALT = "relais.weekly-summary.unsubscribe"
FIGURES: dict[str, Promise] = {
    "shares": gettext_lazy("Shares"),
    "unique_clicks": gettext_lazy("Unique clicks"),
    "engagement": gettext_lazy("Engagement"),
    "active_ambassadors": gettext_lazy("Active ambassadors"),
}


def summary_roles() -> list[str]:
    """The roles that read the dashboard, hence get its summary."""
    return sorted(PERMISSIONS[PERMISSION])


# --- When ----------------------------------------------------------------------------------------------------------


def next_summary_at(zone: ZoneInfo, after: datetime) -> datetime:
    """The first Monday ``SEND_HOUR`` o'clock in ``zone`` strictly after ``after``, in UTC. The wall-clock hour is kept
    across a change of offset (08:00 in Paris is 07:00 UTC in winter, 06:00 UTC in summer)."""
    local = after.astimezone(zone).date()
    monday = local - timedelta(days=(local.weekday() - SEND_WEEKDAY) % 7)
    for week in range(2):
        candidate = datetime.combine(monday + timedelta(weeks=week), time(SEND_HOUR), tzinfo=zone).astimezone(UTC)
        if candidate > after:
            return candidate
    raise AssertionError("a Monday morning always comes within two weeks")


def summary_week(zone: ZoneInfo, due: datetime) -> Period:
    """The week a summary due at ``due`` gives: Monday to Sunday before that local Monday."""
    monday: date = due.astimezone(zone).date()
    monday -= timedelta(days=monday.weekday())
    return Period(monday - timedelta(days=7), monday - timedelta(days=1))


# --- Preference and unsubscribe ------------------------------------------------------------------------------------


def weekly_summary_for(*, membership: Membership) -> WeeklySummary:
    """The member's row, unsaved with the defaults (on) when the tick has not made it yet."""
    found = WeeklySummary.objects.filter(organization=membership.organization_id, membership=membership).first()
    return found or WeeklySummary(organization_id=membership.organization_id, membership=membership)


@transaction.atomic
def weekly_summary_save(
    *, membership: Membership, enabled: bool, by: User | None, now: datetime | None = None
) -> WeeklySummary:
    """Turn the member's weekly summary on (the next Monday morning in their time zone) or off. Only their own."""
    now = now or timezone.now()
    row, _created = WeeklySummary.objects.select_for_update().get_or_create(
        organization=membership.organization, membership=membership
    )
    was = row.enabled and row.next_at is not None
    row.enabled = enabled
    row.next_at = next_summary_at(member_zone(membership), now) if enabled else None
    row.save(update_fields=["enabled", "next_at", "updated_at"])
    if was != enabled:
        audit_log(
            organization=membership.organization,
            actor=by,
            action="weekly_summary.turned_on" if enabled else "weekly_summary.turned_off",
            target=row,
            data={},
        )
    return row


def unsubscribe_token(membership: Membership) -> str:
    return membership_token(membership, salt=UNSUBSCRIBE_SALT)


def unsubscribe_url(membership: Membership) -> str:
    return membership_url(membership, salt=UNSUBSCRIBE_SALT, url_name="weekly_summary_unsubscribe")


def unsubscribe_membership(token: str) -> Membership | None:
    return membership_from_token(token, salt=UNSUBSCRIBE_SALT)


# --- Building and sending ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WeekFigures:
    week: Period
    figures: Headline
    wanted: TopicGap | None
    ignored: TopicGap | None


def week_figures(organization: Organization, week: Period) -> WeekFigures:
    """The organisation's figures of the week against the week before, and its biggest topic gaps. Four queries."""
    filters = Filters(week)
    wanted, ignored = biggest_gaps(topic_gaps(organization, filters))
    return WeekFigures(week, headline(organization, filters), wanted, ignored)


def summary_key(membership: Membership, week: Period) -> str:
    """One e-mail per member and week."""
    return f"weekly-summary:{membership.pk}:{week.start.isoformat()}"


def summary_email(membership: Membership, week: WeekFigures) -> Email:
    user, organization = membership.user, membership.organization
    site = settings.RELAIS_SITE_URL.rstrip("/")
    unsubscribe = unsubscribe_url(membership)
    query = urlencode({"start": week.week.start.isoformat(), "end": week.week.end.isoformat()})
    current, previous = week.figures.current, week.figures.previous
    context = {
        "recipient": user,
        "organization": organization,
        "week": week.week,
        "rows": [(label, Change(getattr(current, name), getattr(previous, name))) for name, label in FIGURES.items()],
        "wanted": week.wanted,
        "ignored": week.ignored,
        "dashboard_url": f"{site}{reverse('analytics_dashboard', args=[organization.slug])}?{query}",
        "settings_url": site + reverse("notification_settings", args=[organization.slug]),
        "unsubscribe_url": unsubscribe,
    }
    with translation.override(membership.reading_language()):
        subject = _("Last week at %(organization)s: the advocacy figures") % {"organization": organization.name}
        body = render_to_string("emails/weekly_summary.txt", context)
        html = render_to_string("emails/weekly_summary.html", context)
    headers = {"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    return Email(subject=subject, body=body, to=user.email, headers=headers, html=html)


@dataclass
class SummaryRun:
    batch: EmailBatch
    scheduled: int = 0
    skipped_late: int = 0
    weeks: list[Period] = field(default_factory=list)


def _rows(organization: Organization, membership_ids: Sequence[int], now: datetime) -> tuple[list[WeeklySummary], int]:
    """The rows of the listed members who hold the permission, each with its membership; the missing ones made,
    scheduled for the member's next Monday morning (they are not due: returned apart as a count)."""
    members = list(
        Membership.objects.filter(
            organization=organization,
            pk__in=membership_ids,
            status=Membership.Status.ACTIVE,
            role__in=summary_roles(),
        ).select_related("user", "organization")
    )
    rows = {
        row.membership_id: row
        for row in WeeklySummary.objects.filter(organization=organization, membership__in=members)
    }
    missing = [
        WeeklySummary(organization=organization, membership=member, next_at=next_summary_at(member_zone(member), now))
        for member in members
        if member.pk not in rows
    ]
    # Two runs at once may both make a row: the unique constraint keeps the first.
    WeeklySummary.objects.bulk_create(missing, ignore_conflicts=True)
    by_pk = {member.pk: member for member in members}
    found = []
    for membership_id, row in rows.items():
        row.membership = by_pk[membership_id]
        found.append(row)
    return found, len(missing)


def weekly_summaries_send(
    *, organization_id: int, membership_ids: Sequence[int], now: datetime | None = None
) -> SummaryRun:
    """Send the due weekly summaries of a batch of members of one organisation and schedule the next ones; make and
    schedule the rows of members who have none. The organisation's figures are read once per week sent, whatever the
    number of members. A summary that could not be sent keeps its moment, for the retry."""
    now = now or timezone.now()
    organization = Organization.objects.get(pk=organization_id)
    rows, scheduled = _rows(organization, membership_ids, now)
    due = [row for row in rows if row.enabled and row.next_at is not None and row.next_at <= now]
    late = [row for row in due if now - row.next_at > LATEST]  # type: ignore[operator]
    on_time = [row for row in due if row not in late]
    weeks: dict[int, WeekFigures] = {}
    by_week: dict[Period, WeekFigures] = {}
    for row in on_time:
        week = summary_week(member_zone(row.membership), row.next_at)  # type: ignore[arg-type]
        if week not in by_week:
            by_week[week] = week_figures(organization, week)
        weeks[row.pk] = by_week[week]
    batch = email_send_each(
        organization=organization,
        messages=(
            Message(
                ref=row.membership_id,
                key=summary_key(row.membership, weeks[row.pk].week),
                compose=partial(summary_email, row.membership, weeks[row.pk]),
            )
            for row in on_time
        ),
    )
    failed = set(batch.failed)
    advanced = [row for row in due if row.membership_id not in failed]
    for row in advanced:
        row.next_at = next_summary_at(member_zone(row.membership), now)
    if advanced:
        WeeklySummary.objects.bulk_update(advanced, ["next_at"])
    return SummaryRun(batch=batch, scheduled=scheduled, skipped_late=len(late), weeks=sorted(by_week, key=str))
