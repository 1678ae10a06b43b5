"""Writes of the analytics app: how an organisation's links are tracked, and the departures of its members (for the
retention figures). Each admin change has its audit entry."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models.functions import Lower, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from advocacy.errors import ServiceError
from advocacy.models import Membership, Organization, ProgrammeMember, User
from advocacy.services import audit_log, save_or_refuse
from ambassadors.models import Share
from analytics.links import utm_template_errors
from analytics.models import Departure, DepartureDay, TrackingSettings, email_digest


@transaction.atomic
def tracking_settings_save(*, organization: Organization, by: User | None, utm_template: str) -> TrackingSettings:
    """Set the parameters added to every shared link (empty: none). Links already made keep their destination."""
    utm_template = utm_template.strip()
    errors = utm_template_errors(utm_template)
    if errors:
        raise ServiceError(" ".join(errors), code="invalid", field="utm_template")
    row = TrackingSettings.objects.select_for_update().filter(organization=organization).first()
    row = row or TrackingSettings(organization=organization)
    row.utm_template = utm_template
    save_or_refuse(row, refusal=ServiceError(_("These settings were changed meanwhile; try again."), code="conflict"))
    audit_log(
        organization=organization,
        actor=by,
        action="tracking.updated",
        target=row,
        data={"utm_template": utm_template},
    )
    return row


# --- Departures ------------------------------------------------------------------------------------------------------


def _local_day(moment: datetime, zone: ZoneInfo) -> date:
    return timezone.localtime(moment, zone).date()


def _active_days(organization: Organization, membership_ids: Iterable[int]) -> dict[int, set[date]]:
    """The local days on which each member published at least one share, in one query."""
    zone = ZoneInfo(organization.time_zone)
    rows = (
        Share.objects.filter(
            organization=organization,
            membership__in=list(membership_ids),
            status=Share.Status.PUBLISHED,
            published_at__isnull=False,
        )
        .annotate(day=TruncDate("published_at", tzinfo=zone))
        .values_list("membership_id", "day")
        .distinct()
        .order_by()
    )
    days: dict[int, set[date]] = defaultdict(set)
    for membership_id, day in rows:
        days[membership_id].add(day)
    return days


def _programme_ids(organization: Organization, membership_ids: Iterable[int]) -> dict[int, list[int]]:
    links = ProgrammeMember.objects.filter(organization=organization, membership__in=list(membership_ids))
    programmes: dict[int, list[int]] = defaultdict(list)
    for membership_id, programme_id in links.order_by("programme_id").values_list("membership_id", "programme_id"):
        programmes[membership_id].append(programme_id)
    return programmes


def _keep_activity(organization: Organization, departures: Sequence[Departure]) -> None:
    """Copy the members' active days onto their (saved) departures, replacing what an earlier record kept."""
    by_member = {departure.membership_id: departure for departure in departures if departure.membership_id}
    days = _active_days(organization, by_member)
    DepartureDay.objects.filter(organization=organization, departure__in=[d.pk for d in departures]).delete()
    DepartureDay.objects.bulk_create(
        DepartureDay(organization=organization, departure=departure, day=day)
        for membership_id, departure in by_member.items()
        for day in sorted(days.get(membership_id, ()))
    )


@transaction.atomic
def departure_record_removal(*, membership: Membership) -> Departure:
    """Record that ``membership`` leaves, with the days on which it published a share and its programmes, before the
    membership and its shares are deleted (``analytics.receivers``, inside ``membership_remove``'s transaction).

    The member left today, unless an imported list already gave their departure date: the list says when they left
    the organisation, the removal only when Relais heard of it. Running it twice for one member records one departure.
    """
    organization = membership.organization
    zone = ZoneInfo(organization.time_zone)
    # Serialises this with an import naming the same member: each would otherwise create a departure.
    Membership.objects.select_for_update().filter(pk=membership.pk).first()
    departure = Departure.objects.filter(organization=organization, membership=membership).first()
    if departure is None:
        departure = Departure(
            organization=organization,
            membership=membership,
            email_digest=email_digest(organization.pk, membership.user.email),
            joined_on=_local_day(membership.created_at, zone),
            left_on=_local_day(timezone.now(), zone),
            source=Departure.Source.REMOVED,
        )
    departure.programme_ids = _programme_ids(organization, [membership.pk]).get(membership.pk, [])
    departure.save()
    _keep_activity(organization, [departure])
    return departure


@dataclass(frozen=True)
class Leaver:
    """One line of a list of leavers, checked by the form: an e-mail address and the day they left (not in the
    future). Each address appears once in a list."""

    line: int
    email: str
    left_on: date


@dataclass(frozen=True)
class LeaversImported:
    """What an import did. ``unknown`` and ``before_joining`` are line numbers of the lines skipped: an address that
    matches no member nor earlier departure, and a date before the member joined."""

    recorded: int
    updated: int
    unchanged: int
    unknown: tuple[int, ...]
    before_joining: tuple[int, ...]


@dataclass
class _Plan:
    new: list[tuple[Leaver, int, date]]  # (leaver, membership id, joined on)
    changed: list[Departure]
    unchanged: int = 0


def _plan_current_member(
    plan: _Plan, leaver: Leaver, membership_id: int, joined_on: date, linked: Departure | None
) -> bool:
    """Plan the departure of a member still in Relais; False when the date precedes their arrival."""
    if leaver.left_on < joined_on:
        return False
    if linked is None:
        plan.new.append((leaver, membership_id, joined_on))
    elif linked.left_on != leaver.left_on:
        linked.left_on, linked.source = leaver.left_on, Departure.Source.IMPORTED
        plan.changed.append(linked)
    else:
        plan.unchanged += 1
    return True


def _plan_earlier_departure(plan: _Plan, leaver: Leaver, earlier: list[Departure]) -> bool:
    """Correct the date of the latest earlier stay that began before ``leaver.left_on``; False when there is none."""
    stays = [departure for departure in earlier if departure.joined_on <= leaver.left_on]
    if not stays:
        return False
    departure = stays[-1]
    if departure.left_on != leaver.left_on:
        departure.left_on, departure.source = leaver.left_on, Departure.Source.IMPORTED
        plan.changed.append(departure)
    else:
        plan.unchanged += 1
    return True


@transaction.atomic
def departures_import(*, organization: Organization, by: User | None, leavers: Sequence[Leaver]) -> LeaversImported:
    """Record the departures of a list of leavers (an HR export), matched by e-mail address, lower-cased.

    A member still in Relais gets a departure on that date and keeps their membership (an admin removes them
    separately); a departure already recorded for the address (a member removed earlier, or this list imported
    before) takes the list's date. An address matching nobody is skipped: an HR list names everyone who left, most of
    whom never joined Relais. Importing the same list again changes nothing. The same few queries, plus the inserts
    and updates, whatever the list's length. The audit entry keeps the counts, never the addresses.
    """
    zone = ZoneInfo(organization.time_zone)
    by_email = {leaver.email.strip().lower(): leaver for leaver in leavers}
    # Locked: a removal of one of these members, or another import, waits for this one (one departure per member).
    members = {
        address: (pk, _local_day(created_at, zone))
        for pk, address, created_at in Membership.objects.select_for_update(of=("self",))
        .annotate(address=Lower("user__email"))
        .filter(organization=organization, address__in=list(by_email))
        .values_list("pk", "address", "created_at")
    }
    linked = {
        departure.membership_id: departure
        for departure in Departure.objects.filter(
            organization=organization, membership__in=[pk for pk, _joined in members.values()]
        )
    }
    # Members too: a member who came back may be listed for the stay before.
    digests = {email_digest(organization.pk, address): address for address in by_email}
    earlier: dict[str, list[Departure]] = defaultdict(list)
    for departure in (
        Departure.objects.select_for_update()
        .filter(organization=organization, membership__isnull=True, email_digest__in=list(digests))
        .order_by("joined_on", "pk")
    ):
        earlier[digests[departure.email_digest]].append(departure)

    plan = _Plan(new=[], changed=[])
    unknown: list[int] = []
    before_joining: list[int] = []
    for address, leaver in by_email.items():
        if address not in members and address not in earlier:
            unknown.append(leaver.line)
            continue
        matched = False
        if address in members:
            membership_id, joined_on = members[address]
            matched = _plan_current_member(plan, leaver, membership_id, joined_on, linked.get(membership_id))
        if not matched and address in earlier:
            matched = _plan_earlier_departure(plan, leaver, earlier[address])
        if not matched:
            before_joining.append(leaver.line)

    _record_new(organization, plan.new)
    now = timezone.now()
    for departure in plan.changed:
        departure.updated_at = now  # bulk_update leaves auto_now fields alone
    Departure.objects.bulk_update(plan.changed, ["left_on", "source", "updated_at"])
    result = LeaversImported(
        recorded=len(plan.new),
        updated=len(plan.changed),
        unchanged=plan.unchanged,
        unknown=tuple(sorted(unknown)),
        before_joining=tuple(sorted(before_joining)),
    )
    audit_log(
        organization=organization,
        actor=by,
        action="departures.imported",
        data={
            "lines": len(leavers),
            "recorded": result.recorded,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "skipped": len(result.unknown) + len(result.before_joining),
        },
    )
    return result


def _record_new(organization: Organization, new: list[tuple[Leaver, int, date]]) -> None:
    """Departures of members still in Relais, with their activity and programmes so far: should the membership go
    some other way than ``membership_remove``, the departure still knows whether they were active."""
    programmes = _programme_ids(organization, [membership_id for _leaver, membership_id, _joined in new])
    departures = Departure.objects.bulk_create(
        Departure(
            organization=organization,
            membership_id=membership_id,
            email_digest=email_digest(organization.pk, leaver.email),
            joined_on=joined_on,
            left_on=leaver.left_on,
            source=Departure.Source.IMPORTED,
            programme_ids=programmes.get(membership_id, []),
        )
        for leaver, membership_id, joined_on in new
    )
    _keep_activity(organization, departures)
