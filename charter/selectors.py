"""Reads of the programme rules: the current charter, a member's standing under it (the share gate), the
acceptance report, training modules. Every function runs inside the organisation's scope and filters by it too."""

from __future__ import annotations

import calendar
import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from advocacy.errors import ServiceError
from advocacy.models import Membership, Organization, User
from charter.models import CharterAcceptance, CharterVersion, ComplianceRules, TrainingCompletion, TrainingModule

DEFAULT_RECONSENT_MONTHS = 12

NO_CHARTER = "no_charter"
NOT_JOINED = "not_joined"
ACCEPTED = "accepted"
MUST_REACCEPT = "must_reaccept"
EXPIRED = "expired"
LEFT = "left"

STATE_LABELS = {
    NO_CHARTER: gettext_lazy("No charter published"),
    NOT_JOINED: gettext_lazy("Not joined"),
    ACCEPTED: gettext_lazy("Accepted"),
    MUST_REACCEPT: gettext_lazy("Must accept the new version"),
    EXPIRED: gettext_lazy("Acceptance expired"),
    LEFT: gettext_lazy("Left the programme"),
}

# States whose member is asked to accept the current charter (a reminder goes to them; "left" chose to leave).
STATES_TO_REMIND = frozenset({NOT_JOINED, MUST_REACCEPT, EXPIRED})


@dataclass(frozen=True)
class CharterStatus:
    state: str
    current: CharterVersion | None
    acceptance: CharterAcceptance | None
    can_share: bool
    message: str


@dataclass(frozen=True)
class AcceptanceRow:
    membership: Membership
    user: User
    version_number: int | None
    accepted_at: datetime | None
    state: str

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS[self.state])


def _add_months(moment: datetime, months: int) -> datetime:
    """``moment`` plus calendar months, the day clamped to the target month's length (31 Jan + 1 → 28/29 Feb)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def reconsent_months(*, organization: Organization) -> int:
    """Months an acceptance stays valid: the organisation's default rules say, else 12."""
    months = (
        ComplianceRules.objects.filter(organization=organization, programme__isnull=True)
        .values_list("reconsent_months", flat=True)
        .first()
    )
    return months or DEFAULT_RECONSENT_MONTHS


def charter_current(*, organization: Organization) -> CharterVersion | None:
    """The latest published version, or None before the first publication."""
    return (
        CharterVersion.objects.filter(organization=organization, status=CharterVersion.Status.PUBLISHED)
        .order_by("-number")
        .first()
    )


def charter_versions(*, organization: Organization) -> QuerySet[CharterVersion]:
    """Published versions, newest first (old versions stay readable)."""
    return CharterVersion.objects.filter(organization=organization, status=CharterVersion.Status.PUBLISHED).order_by(
        "-number"
    )


def _reacceptance_floor(versions: Sequence[tuple[int, bool]]) -> int:
    """The oldest version number an acceptance may be of and still count: the newest version that asked members
    to accept again (minor edits after it keep earlier acceptances valid). The first version always counts as such."""
    numbers = [number for number, requires in versions if requires]
    return max(numbers, default=min((number for number, _requires in versions), default=0))


def _state(
    *,
    version_number: int | None,
    accepted_at: datetime | None,
    left_at: datetime | None,
    floor: int | None,
    months: int,
    now: datetime,
) -> str:
    """The standing of one member from their latest acceptance; ``floor`` is None when no charter is published."""
    if floor is None:
        return NO_CHARTER
    if version_number is None or accepted_at is None:
        return NOT_JOINED
    if left_at is not None:
        return LEFT
    if version_number < floor:
        return MUST_REACCEPT
    if _add_months(accepted_at, months) <= now:
        return EXPIRED
    return ACCEPTED


def _messages() -> dict[str, str]:
    return {
        NO_CHARTER: _("The organisation has not published its charter yet: sharing opens once it is published."),
        NOT_JOINED: _("Read and accept the charter to join the programme: you can then share."),
        ACCEPTED: _("You accepted the charter: you can share."),
        MUST_REACCEPT: _("The charter has changed: read the summary of changes and accept the new version to share."),
        EXPIRED: _("Your acceptance of the charter has expired: read it and accept it again to share."),
        LEFT: _("You left the programme: accept the charter again to rejoin and share."),
    }


def _published_numbers(organization: Organization) -> list[tuple[int, bool]]:
    rows = CharterVersion.objects.filter(
        organization=organization, status=CharterVersion.Status.PUBLISHED, number__isnull=False
    ).values_list("number", "requires_reacceptance")
    return [(number, requires) for number, requires in rows if number is not None]


def charter_status(*, membership: Membership, now: datetime | None = None) -> CharterStatus:
    """Where ``membership`` stands under the current charter, and whether it may share."""
    now = now or timezone.now()
    organization = membership.organization
    current = charter_current(organization=organization)
    acceptance = (
        CharterAcceptance.objects.filter(organization=organization, membership=membership)
        .select_related("version")
        .order_by("-accepted_at", "-pk")
        .first()
    )
    floor = _reacceptance_floor(_published_numbers(organization)) if current is not None else None
    state = _state(
        version_number=acceptance.version.number if acceptance else None,
        accepted_at=acceptance.accepted_at if acceptance else None,
        left_at=acceptance.left_at if acceptance else None,
        floor=floor,
        months=reconsent_months(organization=organization),
        now=now,
    )
    return CharterStatus(
        state=state,
        current=current,
        acceptance=acceptance,
        can_share=state == ACCEPTED,
        message=_messages()[state],
    )


def charter_assert_can_share(*, membership: Membership, now: datetime | None = None) -> None:
    """The share gate: every share path (compose, schedule, publish) calls it server-side.

    Raises ``ServiceError(code="charter_required")`` with a message saying what to do unless the member has accepted
    the current charter and the acceptance has neither expired nor been superseded.
    """
    status = charter_status(membership=membership, now=now)
    if not status.can_share:
        raise ServiceError(status.message, code="charter_required")


def acceptance_report(*, organization: Organization, version: CharterVersion | None = None) -> list[AcceptanceRow]:
    """One row per active member: the version they last accepted, when, and their standing.

    ``version`` (default: the current one) is the version the standing is measured against, as if it were the
    current one; a member who accepted a later version counts as accepted. Four queries whatever the member count:
    the rules, the published versions, the members with their users and latest acceptance id, those acceptances.
    """
    now = timezone.now()
    months = reconsent_months(organization=organization)
    versions = _published_numbers(organization)
    reference = version.number if version is not None else max((number for number, _r in versions), default=None)
    floor = None
    if reference is not None:
        floor = _reacceptance_floor([(number, requires) for number, requires in versions if number <= reference])
    latest = (
        CharterAcceptance.objects.filter(organization=organization, membership=OuterRef("pk"))
        .order_by("-accepted_at", "-pk")
        .values("pk")[:1]
    )
    memberships = list(
        Membership.objects.filter(organization=organization, status=Membership.Status.ACTIVE)
        .select_related("user")  # one row per member with the name and address shown
        .annotate(latest_acceptance_id=Subquery(latest))
        .order_by("user__full_name", "user__email", "pk")
    )
    acceptance_ids = [m.latest_acceptance_id for m in memberships if m.latest_acceptance_id is not None]
    acceptances = (
        CharterAcceptance.objects.filter(organization=organization, pk__in=acceptance_ids)
        .select_related("version")
        .in_bulk()
        if acceptance_ids
        else {}
    )
    rows = []
    for membership in memberships:
        acceptance = acceptances.get(membership.latest_acceptance_id)
        number = acceptance.version.number if acceptance else None
        state = _state(
            version_number=number,
            accepted_at=acceptance.accepted_at if acceptance else None,
            left_at=acceptance.left_at if acceptance else None,
            floor=floor,
            months=months,
            now=now,
        )
        rows.append(
            AcceptanceRow(
                membership=membership,
                user=membership.user,
                version_number=number,
                accepted_at=acceptance.accepted_at if acceptance else None,
                state=state,
            )
        )
    return rows


def _csv_cell(value: str) -> str:
    """Keep a spreadsheet from running a name that starts like a formula (CSV injection)."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _csv_line(values: Sequence[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([_csv_cell(value) for value in values])
    return buffer.getvalue()


def acceptance_report_csv(*, organization: Organization) -> Iterator[str]:
    """The acceptance report as CSV lines (header first), times in the organisation's time zone."""
    zone = ZoneInfo(organization.time_zone)
    yield _csv_line([_("Name"), _("E-mail"), _("Role"), _("Accepted version"), _("Accepted at"), _("Status")])
    for row in acceptance_report(organization=organization):
        yield _csv_line(
            [
                row.user.full_name,
                row.user.email,
                str(row.membership.get_role_display()),
                str(row.version_number) if row.version_number is not None else "",
                row.accepted_at.astimezone(zone).isoformat(timespec="seconds") if row.accepted_at else "",
                row.state_label,
            ]
        )


def training_modules(*, organization: Organization, level: str | None = None) -> QuerySet[TrainingModule]:
    """The organisation's modules (drafts included: callers showing them to members filter ``published``)."""
    modules = TrainingModule.objects.filter(organization=organization)
    if level is not None:
        modules = modules.filter(level=level)
    return modules.order_by("level", "position", "pk")


def next_training_module(*, membership: Membership) -> TrainingModule | None:
    """The first published module of the member's level not completed yet, for the onboarding checklist.

    Members have no level of their own until the ambassador profile exists, so this is the novice track.
    """
    completed = TrainingCompletion.objects.filter(organization=membership.organization_id, membership=membership)
    return (
        training_modules(organization=membership.organization, level=TrainingModule.Level.NOVICE)
        .filter(published=True)
        .exclude(pk__in=completed.values("module_id"))
        .first()
    )
