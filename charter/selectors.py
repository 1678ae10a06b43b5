"""Reads of the programme rules: the current charter, a member's standing under it (the share gate), the
acceptance report, training modules. Every function runs inside the organisation's scope and filters by it too."""

from __future__ import annotations

import calendar
import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, TypedDict
from zoneinfo import ZoneInfo

from django.db.models import Case, CharField, Count, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from advocacy.errors import ServiceError
from advocacy.models import Membership, Organization, User
from charter.models import CharterAcceptance, CharterVersion, ComplianceRules, TrainingCompletion, TrainingModule

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

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


class StandingFields(TypedDict):
    accepted_version: int | None
    accepted_at: datetime | None
    accepted_left_at: datetime | None
    charter_state: str


# A member with their latest acceptance and standing, as ``member_standings`` annotates them (a type only: the
# two-argument form does not exist at run time).
if TYPE_CHECKING:
    Standing = WithAnnotations[Membership, StandingFields]
else:
    Standing = Membership


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


def charter_standing(*, membership: Membership, now: datetime | None = None) -> tuple[str, str]:
    """(state, message) of ``membership`` under the current charter, as ``charter_status`` says them, in one query
    and without loading the charter's text: for the pages that only need to know whether the member may share."""
    now = now or timezone.now()
    organization_id = membership.organization_id
    published = CharterVersion.objects.filter(
        organization=organization_id, status=CharterVersion.Status.PUBLISHED, number__isnull=False
    )
    latest = CharterAcceptance.objects.filter(organization=organization_id, membership=OuterRef("pk")).order_by(
        "-accepted_at", "-pk"
    )
    months = ComplianceRules.objects.filter(organization=organization_id, programme__isnull=True).values(
        "reconsent_months"
    )[:1]
    row = (
        Membership.objects.filter(organization=organization_id, pk=membership.pk)
        .annotate(
            asked_again=Subquery(published.filter(requires_reacceptance=True).order_by("-number").values("number")[:1]),
            first_number=Subquery(published.order_by("number").values("number")[:1]),
            version_number=Subquery(latest.values("version__number")[:1]),
            accepted_at=Subquery(latest.values("accepted_at")[:1]),
            left_at=Subquery(latest.values("left_at")[:1]),
            months=Subquery(months),
        )
        .values("asked_again", "first_number", "version_number", "accepted_at", "left_at", "months")
        .first()
    )
    if row is None or row["first_number"] is None:
        return NO_CHARTER, _messages()[NO_CHARTER]
    state = _state(
        version_number=row["version_number"],
        accepted_at=row["accepted_at"],
        left_at=row["left_at"],
        # ``_reacceptance_floor``: the newest version that asked members to accept again, else the first one.
        floor=row["asked_again"] if row["asked_again"] is not None else row["first_number"],
        months=row["months"] or DEFAULT_RECONSENT_MONTHS,
        now=now,
    )
    return state, _messages()[state]


def charter_assert_can_share(*, membership: Membership, now: datetime | None = None) -> None:
    """The share gate: every share path (compose, schedule, publish) calls it server-side.

    Raises ``ServiceError(code="charter_required")`` with a message saying what to do unless the member has accepted
    the current charter and the acceptance has neither expired nor been superseded.
    """
    status = charter_status(membership=membership, now=now)
    if not status.can_share:
        raise ServiceError(status.message, code="charter_required")


def expired_acceptances(*, now: datetime, months: int) -> Q:
    """The acceptances at least ``months`` old at ``now`` (``_add_months(accepted_at, months) <= now``), as a
    filter on ``accepted_at`` that every database runs: the same instant ``months`` earlier, or, when that month is
    too short for the day (31 March − 1 month), everything before the month that follows it."""
    now = now.astimezone(UTC)
    month_index = now.month - 1 - months
    year, month = now.year + month_index // 12, month_index % 12 + 1
    if now.day <= calendar.monthrange(year, month)[1]:
        return Q(accepted_at__lte=now.replace(year=year, month=month))
    first = now.replace(year=year, month=month, day=1, hour=0, minute=0, second=0, microsecond=0)
    return Q(accepted_at__lt=(first + timedelta(days=32)).replace(day=1))


def member_standings(*, organization: Organization, version: CharterVersion | None = None) -> QuerySet[Standing]:
    """Active members with their latest acceptance and their standing, computed by the database so that the report
    filters, counts and paginates there: ``accepted_version`` (number), ``accepted_at``, ``charter_state``.

    ``version`` (default: the current one) is the version the standing is measured against, as if it were the
    current one; a member who accepted a later version counts as accepted. Runs two queries of its own (the rules,
    the published versions); the rows come with their user, ordered by name.
    """
    months = reconsent_months(organization=organization)
    versions = _published_numbers(organization)
    reference = version.number if version is not None else max((number for number, _r in versions), default=None)
    latest = CharterAcceptance.objects.filter(organization=organization, membership=OuterRef("pk")).order_by(
        "-accepted_at", "-pk"
    )
    members = (
        Membership.objects.filter(organization=organization, status=Membership.Status.ACTIVE)
        .select_related("user")  # the name and address shown on each row
        .annotate(
            accepted_version=Subquery(latest.values("version__number")[:1]),
            accepted_at=Subquery(latest.values("accepted_at")[:1]),
            accepted_left_at=Subquery(latest.values("left_at")[:1]),
        )
        .order_by("user__full_name", "user__email", "pk")
    )
    if reference is None:
        return members.annotate(charter_state=Value(NO_CHARTER))
    floor = _reacceptance_floor([(number, requires) for number, requires in versions if number <= reference])
    # The same order of tests as ``_state``.
    state = Case(
        When(accepted_at__isnull=True, then=Value(NOT_JOINED)),
        When(accepted_left_at__isnull=False, then=Value(LEFT)),
        When(accepted_version__lt=floor, then=Value(MUST_REACCEPT)),
        When(expired_acceptances(now=timezone.now(), months=months), then=Value(EXPIRED)),
        default=Value(ACCEPTED),
        output_field=CharField(),
    )
    return members.annotate(charter_state=state)


def acceptance_rows(memberships: Iterable[Standing]) -> list[AcceptanceRow]:
    """Report rows of members annotated by ``member_standings``."""
    return [
        AcceptanceRow(
            membership=membership,
            user=membership.user,
            version_number=membership.accepted_version,
            accepted_at=membership.accepted_at,
            state=membership.charter_state,
        )
        for membership in memberships
    ]


def report_members(
    *, organization: Organization, version: CharterVersion | None = None, state: str = "", search: str = ""
) -> QuerySet[Standing]:
    """The report's members (see ``member_standings``), only those in ``state`` and those whose name or address
    contains ``search`` when given. Lazy, so that the page paginates in the database."""
    members = member_standings(organization=organization, version=version)
    if state:
        members = members.filter(charter_state=state)
    search = search.strip()
    if search:
        members = members.filter(Q(user__email__icontains=search) | Q(user__full_name__icontains=search))
    return members


def acceptance_report(*, organization: Organization, version: CharterVersion | None = None) -> list[AcceptanceRow]:
    """One row per active member: the version they last accepted, when, and their standing (measured against
    ``version``, see ``member_standings``). Three queries whatever the member count."""
    return acceptance_rows(report_members(organization=organization, version=version))


def acceptance_counts(*, organization: Organization, version: CharterVersion | None = None) -> dict[str, int]:
    """How many active members stand in each state, every state present (zero included): one grouped query."""
    counts = dict.fromkeys(STATE_LABELS, 0)
    grouped = (
        member_standings(organization=organization, version=version)
        .order_by()
        .values("charter_state")
        .annotate(members=Count("pk"))
    )
    for row in grouped:
        counts[row["charter_state"]] = row["members"]
    return counts


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
