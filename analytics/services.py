"""Changes to how an organisation's links are tracked, what its reach is worth, what its programmes aim for, to its
referrals and to the record of its members' departures (for the retention figures), each admin change with its audit
entry; dashboard exports queued, written and deleted once expired."""

from __future__ import annotations

import datetime as dt
import secrets
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.functions import Lower, TruncDate
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_variables

from advocacy.errors import ServiceError
from advocacy.media import organization_prefix
from advocacy.models import Membership, Organization, Programme, ProgrammeMember, User
from advocacy.services import audit_log, save_or_refuse
from ambassadors.crypto import seal
from ambassadors.models import Share
from ambassadors.notifications import notify_member
from analytics.dashboard import Filters
from analytics.exports import (
    EXPORT_SECONDS,
    csv_lines,
    download_name,
    filters_from_json,
    filters_to_json,
    sheets,
    write_xlsx,
)
from analytics.links import referral_code, utm_template_errors
from analytics.models import (
    Currency,
    Departure,
    DepartureDay,
    EmvRates,
    Export,
    ProgrammeGoal,
    ReferralCode,
    ReferralEvent,
    ReferralSettings,
    TrackedLink,
    TrackingSettings,
    email_digest,
)
from analytics.referrals import SECRET_PREFIX, secret_binding
from analytics.selectors import reusable_export
from content.models import Post

EXPORT_READY = "export_ready"


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


def _check_currency(currency: str, *, saved: str | None) -> None:
    """A currency from the list, or the one already saved (kept when it predates the list)."""
    if currency not in Currency.values and currency != saved:
        raise ServiceError(_("Pick a currency from the list."), code="invalid_currency", field="currency")


def _rates_data(row: EmvRates) -> dict[str, str]:
    # Text, not numbers: JSON would turn 0.1 into a float that prints 0.1000000000000000055…
    return {"currency": row.currency, **{name: str(getattr(row, name)) for name in EmvRates.RATE_FIELDS}}


@transaction.atomic
def emv_rates_save(
    *, organization: Organization, by: User | None, currency: str, rates: Mapping[str, Decimal]
) -> EmvRates:
    """Set the currency (one of ``Currency``, or the one saved) and the six rates (``EmvRates.RATE_FIELDS``, each 0 or
    more). The audit entry keeps the old and the new rates; saving the same rates again changes and records nothing."""
    if set(rates) != set(EmvRates.RATE_FIELDS):
        raise ValueError(f"emv_rates_save needs exactly the rates {EmvRates.RATE_FIELDS}")
    for name, rate in rates.items():
        if rate < 0:
            raise ServiceError(_("A rate cannot be negative."), code="negative_rate", field=name)
    row = EmvRates.objects.select_for_update().filter(organization=organization).first()
    row = row or EmvRates(organization=organization)
    _check_currency(currency, saved=row.currency if row.pk else None)
    old = _rates_data(row)
    row.currency = currency
    for name, rate in rates.items():
        setattr(row, name, rate)
    # Compared as numbers: "5.00" and "5.0000" are the same rate.
    if (
        row.pk is not None
        and old["currency"] == currency
        and all(Decimal(old[name]) == rates[name] for name in EmvRates.RATE_FIELDS)
    ):
        return row
    save_or_refuse(row, refusal=ServiceError(_("These settings were changed meanwhile; try again."), code="conflict"))
    row.refresh_from_db()
    audit_log(
        organization=organization,
        actor=by,
        action="emv_rates.updated",
        target=row,
        data={"old": old, "new": _rates_data(row)},
    )
    return row


@transaction.atomic
def programme_goal_save(
    *,
    programme: Programme,
    by: User | None,
    year: int,
    quarter: int,
    targets: Mapping[str, int | None],
) -> ProgrammeGoal | None:
    """Set a programme's targets for one quarter (``ProgrammeGoal.TARGETS``, each None or 1 or more). With every
    target empty the quarter's goal is removed (None is returned). Audited with the old and new targets."""
    if quarter not in ProgrammeGoal.Quarter.values:
        raise ServiceError(_("Pick a quarter from 1 to 4."), code="invalid_quarter", field="quarter")
    if set(targets) != set(ProgrammeGoal.TARGETS):
        raise ValueError(f"programme_goal_save needs exactly the targets {ProgrammeGoal.TARGETS}")
    for name, value in targets.items():
        if value is not None and value < 1:
            raise ServiceError(_("A target is a whole number of 1 or more."), code="invalid_target", field=name)
    organization = programme.organization
    row = (
        ProgrammeGoal.objects.select_for_update()
        .filter(organization=organization, programme=programme, year=year, quarter=quarter)
        .first()
    )
    old = {name: getattr(row, name) for name in ProgrammeGoal.TARGETS} if row is not None else None
    data = {"name": programme.name, "programme": programme.pk, "year": year, "quarter": quarter, "old": old}
    if all(value is None for value in targets.values()):
        if row is None:
            return None
        row.delete()
        audit_log(organization=organization, actor=by, action="programme_goal.removed", target=programme, data=data)
        return None
    if old == dict(targets):
        return row
    row = row or ProgrammeGoal(organization=organization, programme=programme, year=year, quarter=quarter)
    for name, value in targets.items():
        setattr(row, name, value)
    save_or_refuse(row, refusal=ServiceError(_("These goals were changed meanwhile; try again."), code="conflict"))
    audit_log(
        organization=organization,
        actor=by,
        action="programme_goal.saved",
        target=programme,
        data={**data, "new": dict(targets)},
    )
    return row


# --- Referrals -----------------------------------------------------------------------------------------------------


def _locked_referral_settings(organization: Organization) -> ReferralSettings:
    row = ReferralSettings.objects.select_for_update().filter(organization=organization).first()
    return row or ReferralSettings(organization=organization)


@transaction.atomic
def referral_settings_save(
    *,
    organization: Organization,
    by: User | None,
    agency_fee: Decimal | None,
    programme_cost_per_month: Decimal | None,
    currency: str,
) -> ReferralSettings:
    """Set the figures of the cost-per-hire comparison (None: not set) and their currency (one of ``Currency``, or the
    one saved). The secret is left as it is."""
    for field, value in (("agency_fee", agency_fee), ("programme_cost_per_month", programme_cost_per_month)):
        if value is not None and value < 0:
            raise ServiceError(_("Enter an amount of zero or more."), code="invalid", field=field)
    row = _locked_referral_settings(organization)
    _check_currency(currency, saved=row.currency if row.pk else None)
    row.agency_fee, row.programme_cost_per_month, row.currency = agency_fee, programme_cost_per_month, currency
    save_or_refuse(row, refusal=ServiceError(_("These settings were changed meanwhile; try again."), code="conflict"))
    audit_log(
        organization=organization,
        actor=by,
        action="referrals.settings_updated",
        target=row,
        data={
            "agency_fee": None if agency_fee is None else str(agency_fee),
            "programme_cost_per_month": None if programme_cost_per_month is None else str(programme_cost_per_month),
            "currency": currency,
        },
    )
    return row


@sensitive_variables("secret")
@transaction.atomic
def referral_secret_rotate(*, organization: Organization, by: User | None) -> str:
    """Generate the webhook secret, replacing the previous one at once, and return it: the only time it is readable
    (stored sealed; the audit entry says that it changed, never what it is)."""
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    row = _locked_referral_settings(organization)
    replaced = bool(row.webhook_secret_sealed)
    row.webhook_secret_sealed = seal(secret, binding=secret_binding(organization))
    row.secret_rotated_at = timezone.now()
    save_or_refuse(row, refusal=ServiceError(_("These settings were changed meanwhile; try again."), code="conflict"))
    audit_log(
        organization=organization,
        actor=by,
        action="referrals.secret_rotated",
        target=row,
        data={"replaced": replaced},
    )
    return secret


@transaction.atomic
def referral_event_record(
    *,
    organization: Organization,
    by: User | None,
    kind: str,
    membership: Membership,
    post: Post | None,
    occurred_at: dt.datetime,
    note: str = "",
) -> ReferralEvent:
    """An admin records an application, a hire or a lead by hand, credited to ``membership`` (their referral code is
    created if they had none)."""
    if kind not in ReferralEvent.Kind.values:
        raise ServiceError(_("Choose an application, a hire or a lead."), code="invalid", field="kind")
    if membership.organization_id != organization.pk:
        raise ServiceError(_("Choose a member of this organisation."), code="invalid", field="membership")
    if post is not None and post.organization_id != organization.pk:
        raise ServiceError(_("Choose a post of this organisation."), code="invalid", field="post")
    if occurred_at > timezone.now():
        raise ServiceError(_("The date cannot be in the future."), code="invalid", field="occurred_on")
    event = ReferralEvent.objects.create(
        organization=organization,
        kind=kind,
        membership=membership,
        referral_code=referral_code(membership),
        post=post,
        occurred_at=occurred_at,
        source=ReferralEvent.Source.MANUAL,
        recorded_by=by,
        note=note.strip(),
    )
    audit_log(
        organization=organization,
        actor=by,
        action="referrals.event_recorded",
        target=event,
        data={"kind": kind, "membership": membership.pk, "post": post.pk if post is not None else None},
    )
    return event


def _post_for_link(organization: Organization, link: str) -> Post | None:
    """The post a reported link names: its tracked link (``/r/<code>``), else the post whose link is the same page
    (query and fragment ignored: the reported link carries the referral code), the newest campaign first."""
    parts = urlsplit(link.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    segments = parts.path.strip("/").split("/")
    if len(segments) == 2 and segments[0] == "r":
        tracked = TrackedLink.objects.filter(organization=organization, code=segments[1]).select_related("post")
        found = tracked.first()
        if found is not None:
            return found.post
    page = f"{parts.netloc.lower()}{parts.path.rstrip('/')}"
    candidates = Post.objects.filter(
        organization=organization, link__icontains=parts.netloc, link__contains=parts.path.rstrip("/")
    ).order_by("-campaign", "-created_at")[:50]
    for post in candidates:
        own = urlsplit(post.link)
        if f"{own.netloc.lower()}{own.path.rstrip('/')}" == page:
            return post
    return None


@transaction.atomic
def referral_event_receive(
    *,
    organization: Organization,
    kind: str,
    code: str,
    occurred_at: dt.datetime | None,
    post_id: int | None,
    link: str,
    idempotency_key: str,
    digest: str,
) -> tuple[ReferralEvent, bool]:
    """Record an event the careers site or the CRM reported through the signed webhook; ``(event, created)``.

    Idempotent on ``idempotency_key``: a retry with the same key and body (``digest``) returns the first event with
    ``created`` False; another body under a used key raises ``ServiceError`` ``idempotency_key_reused``. A code
    that is not one of this organisation's raises ``unknown_code``, a post id that is not one of its posts
    ``unknown_post``. The post comes from ``post_id``, else from ``link``, else there is none (the event counts for
    the ambassador only).
    """
    existing = ReferralEvent.objects.filter(organization=organization, idempotency_key=idempotency_key).first()
    if existing is not None:
        return _replayed(existing, digest), False
    found = ReferralCode.objects.filter(organization=organization, code=code).select_related("membership").first()
    if found is None:
        raise ServiceError(
            _("No member of this organisation has this referral code."), code="unknown_code", field="referral_code"
        )
    post = None
    if post_id is not None:
        post = Post.objects.filter(organization=organization, pk=post_id).first()
        if post is None:
            raise ServiceError(_("This organisation has no post with this id."), code="unknown_post", field="post")
    elif link:
        post = _post_for_link(organization, link)
    event = ReferralEvent(
        organization=organization,
        kind=kind,
        membership=found.membership,
        referral_code=code,
        post=post,
        occurred_at=occurred_at or timezone.now(),
        source=ReferralEvent.Source.WEBHOOK,
        idempotency_key=idempotency_key,
        body_digest=digest,
    )
    try:
        with transaction.atomic():
            event.save()
    except IntegrityError:
        # The same key arrived twice at once: the other request recorded it.
        first = ReferralEvent.objects.get(organization=organization, idempotency_key=idempotency_key)
        return _replayed(first, digest), False
    return event, True


def _replayed(event: ReferralEvent, digest: str) -> ReferralEvent:
    if event.body_digest != digest:
        raise ServiceError(
            _("This Idempotency-Key was already used for another event: use a new key for each event."),
            code="idempotency_key_reused",
        )
    return event


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


@transaction.atomic
def export_request(
    *,
    organization: Organization,
    membership: Membership,
    filters: Filters,
    table: str,
    file_format: str,
    rows_total: int,
) -> Export:
    """Queue an export too large for the request; a worker writes it (``analytics.tasks.build_export``, enqueued
    after commit on the ``exports`` queue). The member finds it on its status page and is told when it is ready."""
    export = Export.objects.create(
        organization=organization,
        requested_by=membership,
        table=table,
        file_format=file_format,
        filters=filters_to_json(filters),
        rows_total=rows_total,
        download_name=download_name(organization, filters, table, file_format),
        expires_at=timezone.now() + timedelta(days=settings.RELAIS_EXPORT_DAYS),
    )
    from analytics.tasks import build_export

    transaction.on_commit(
        partial(build_export.apply_async, kwargs={"organization_id": organization.pk, "export_id": export.pk})
    )
    return export


def export_request_or_reuse(
    *,
    organization: Organization,
    membership: Membership,
    filters: Filters,
    table: str,
    file_format: str,
    rows_total: int,
) -> Export:
    """The member's export of the same table, format and filters while it is waiting, being written or ready
    (``analytics.selectors.reusable_export``), else a new one (``export_request``): the API asks with a GET, which a
    client may send again, and the same file is not written twice."""
    found = reusable_export(
        organization=organization,
        membership=membership,
        table=table,
        file_format=file_format,
        filters=filters_to_json(filters),
    )
    if found is not None:
        return found
    return export_request(
        organization=organization,
        membership=membership,
        filters=filters,
        table=table,
        file_format=file_format,
        rows_total=rows_total,
    )


def export_build(*, export: Export, now: datetime | None = None) -> bool:
    """Write an export's file, mark it ready and tell the member who asked. Returns whether this run wrote it.

    Safe to run twice: a run first claims the export with a compare-and-set (waiting → in progress, or in progress
    for longer than a task may live, when its worker died), so a second run finds it claimed or done and returns
    False. An error marks the export failed and is raised again for the worker's log."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=EXPORT_SECONDS)
    waiting = Q(status=Export.Status.QUEUED) | Q(status=Export.Status.RUNNING, started_at__lt=stale)
    if not Export.objects.filter(waiting, pk=export.pk).update(
        status=Export.Status.RUNNING, started_at=now, rows_done=0
    ):
        return False
    membership = Membership.objects.select_related("user", "organization").get(pk=export.requested_by_id)
    try:
        with translation.override(membership.reading_language()):
            stored = _export_write(export)
    except Exception:
        Export.objects.filter(pk=export.pk).update(status=Export.Status.FAILED, finished_at=timezone.now())
        raise
    with transaction.atomic():
        Export.objects.filter(pk=export.pk).update(
            status=Export.Status.DONE, stored_name=stored, rows_done=F("rows_total"), finished_at=timezone.now()
        )
        notify_member(
            membership=membership,
            kind=EXPORT_READY,
            message=gettext_lazy("Your export “%(name)s” is ready to download."),
            url=reverse("analytics_export_status", args=[membership.organization.slug, export.pk]),
            params={"name": export.download_name},
        )
    return True


def _export_write(export: Export) -> str:
    """Write the file to a temporary file, then into the storage under a name nobody can guess; its name there."""
    organization = export.organization
    filters = filters_from_json(organization, export.filters)

    def progress(rows: int) -> None:
        Export.objects.filter(pk=export.pk).update(rows_done=F("rows_done") + rows)

    with tempfile.TemporaryFile() as handle:
        if export.file_format == Export.Format.XLSX:
            write_xlsx(sheets(organization, filters, export.table), handle, progress)
        else:
            for piece in csv_lines(next(sheets(organization, filters, export.table)), progress):
                handle.write(piece.encode())
        handle.seek(0)
        name = f"{organization_prefix(organization)}exports/{secrets.token_urlsafe(24)}.{export.file_format}"
        return str(default_storage.save(name, File(handle)))


@transaction.atomic
def exports_delete_expired(*, organization: Organization, now: datetime | None = None) -> int:
    """Delete the organisation's exports past their expiry, files first (a file left by a failed delete is found
    again next time through its row). Returns how many."""
    expired = list(
        Export.objects.filter(organization=organization, expires_at__lte=now or timezone.now()).values_list(
            "pk", "stored_name"
        )
    )
    for _pk, name in expired:
        if name:
            default_storage.delete(name)
    Export.objects.filter(organization=organization, pk__in=[pk for pk, _name in expired]).delete()
    return len(expired)
