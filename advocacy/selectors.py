"""Reads of the organisation admin pages: members, invitations, programmes, tokens, audit.

Each selector runs inside the organisation's scope and still filters by ``organization`` explicitly (two locks).
Each one owns its ``select_related`` / ``prefetch_related`` so list pages run a fixed number of queries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from allauth.mfa.models import Authenticator
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from advocacy.models import ApiToken, AuditEntry, Invitation, Membership, Organization, Programme, ProgrammeMember, User
from advocacy.roles import Role

MEMBER_SORTS: dict[str, tuple[str, ...]] = {
    "name": ("user__full_name", "user__email", "pk"),
    "-name": ("-user__full_name", "-user__email", "-pk"),
    "joined": ("created_at", "pk"),
    "-joined": ("-created_at", "-pk"),
}
REFERENT_ROLES = (Role.ADMIN, Role.EDITOR)
# What a row of the members list shows; ``member_rows`` loads nothing else.
MEMBER_COLUMNS = ("role", "status", "created_at", "user__full_name", "user__email")


def two_factor_missing(*, organization: Organization, user: User) -> bool:
    """The organisation requires two-factor and this person has not set it up: the pages send them to the set-up,
    the API refuses their session. One rule for both."""
    if not organization.require_two_factor:
        return False
    return not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def member_list(
    *,
    organization: Organization,
    search: str = "",
    role: str = "",
    status: str = "",
    programme: Programme | int | None = None,
    sort: str = "name",
) -> QuerySet[Membership]:
    """Members matching the filters. Users are joined and programme links prefetched: one query per page."""
    members = _filtered_members(organization=organization, search=search, role=role, status=status, programme=programme)
    links = ProgrammeMember.objects.filter(organization=organization).select_related("programme")
    members = members.select_related("user").prefetch_related(
        Prefetch("programme_links", queryset=links.order_by("programme__name"))
    )
    return members.order_by(*MEMBER_SORTS.get(sort, MEMBER_SORTS["name"]))


def member_rows(*, organization: Organization, sort: str = "name", **filters: Any) -> QuerySet[Membership]:
    """The members list's rows: ``member_list``'s members in its order, loading only the columns the table shows
    (name, e-mail, role, status, date joined) and each member's programmes by name."""
    links = (
        ProgrammeMember.objects.filter(organization=organization)
        .select_related("programme")
        .only("membership_id", "is_admin", "programme__name")
        .order_by("programme__name")
    )
    return (
        _filtered_members(organization=organization, **filters)
        .select_related("user")
        .only(*MEMBER_COLUMNS)
        .prefetch_related(Prefetch("programme_links", queryset=links))
        .order_by(*MEMBER_SORTS.get(sort, MEMBER_SORTS["name"]))
    )


def member_choices(*, organization: Organization) -> list[tuple[int, int, str]]:
    """``(membership id, user id, name)`` of the organisation's members in name order, for a filter's select."""
    rows = (
        Membership.objects.filter(organization=organization)
        .order_by("user__full_name", "user__email")
        .values_list("pk", "user_id", "user__full_name", "user__email")
    )
    return [(pk, user_id, User(full_name=name, email=email).display_name) for pk, user_id, name, email in rows]


def programme_choices(*, organization: Organization) -> list[tuple[int, str]]:
    """``(id, name)`` of the organisation's programmes in name order, for a filter's select."""
    return list(Programme.objects.filter(organization=organization).order_by("name").values_list("pk", "name"))


def _filtered_members(
    *,
    organization: Organization,
    search: str = "",
    role: str = "",
    status: str = "",
    programme: Programme | int | None = None,
) -> QuerySet[Membership]:
    members = Membership.objects.filter(organization=organization)
    if search:
        members = members.filter(Q(user__full_name__icontains=search) | Q(user__email__icontains=search))
    if role:
        members = members.filter(role=role)
    if status:
        members = members.filter(status=status)
    if programme is not None:
        members = members.filter(programme_links__programme=programme)
    return members


def pending_invitations(*, organization: Organization) -> QuerySet[Invitation]:
    # The programme and the inviter are shown on each row.
    return (
        Invitation.objects.filter(
            organization=organization,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .select_related("programme", "invited_by")
        .order_by("expires_at", "pk")
    )


def programme_list(*, organization: Organization) -> QuerySet[Programme]:
    # The member count is an annotation, so the list is one query whatever the number of programmes.
    return Programme.objects.filter(organization=organization).annotate(member_count=Count("members")).order_by("name")


def programme_links(*, programme: Programme) -> QuerySet[ProgrammeMember]:
    # Each row shows the member's name and e-mail.
    return (
        ProgrammeMember.objects.filter(organization_id=programme.organization_id, programme=programme)
        .select_related("membership__user")
        .order_by("membership__user__full_name", "membership__user__email", "pk")
    )


def members_outside_programme(*, programme: Programme) -> QuerySet[Membership]:
    """Active members of the programme's organisation who are not yet in it: the choices of the "add" form."""
    return (
        Membership.objects.filter(organization_id=programme.organization_id, status=Membership.Status.ACTIVE)
        .exclude(programme_links__programme=programme)
        .select_related("user")
        .order_by("user__full_name", "user__email")
    )


@dataclass(frozen=True)
class ProgrammeAccess:
    can_view: bool
    can_manage_members: bool
    can_manage: bool


def programme_access(*, membership: Membership, programme: Programme) -> ProgrammeAccess:
    """What a member may do with one programme: the role table, plus that programme's own admins, who may see it
    and change its members (and only its members)."""
    can_manage = membership.has_perm("programmes.manage")
    is_programme_admin = (
        membership.is_active
        and ProgrammeMember.objects.filter(
            organization_id=programme.organization_id, programme=programme, membership=membership, is_admin=True
        ).exists()
    )
    return ProgrammeAccess(
        can_view=membership.has_perm("programmes.view") or is_programme_admin,
        can_manage_members=can_manage or is_programme_admin,
        can_manage=can_manage,
    )


def referent_candidates(*, organization: Organization) -> QuerySet[User]:
    """Users who may be the organisation's referent: its active admins and editors."""
    return (
        User.objects.filter(
            memberships__organization=organization,
            memberships__role__in=REFERENT_ROLES,
            memberships__status=Membership.Status.ACTIVE,
        )
        .order_by("full_name", "email")
        .distinct()
    )


def api_token_list(*, organization: Organization) -> QuerySet[ApiToken]:
    # The creator's name is shown on each row.
    return ApiToken.objects.filter(organization=organization).select_related("created_by").order_by("-created_at")


def audit_entries(
    *,
    organization: Organization,
    actor: int | None = None,
    action: str = "",
    since: datetime | None = None,
    before: datetime | None = None,
) -> QuerySet[AuditEntry]:
    """The organisation's log, by one user (``actor`` is a user id), of one kind, from ``since`` to before
    ``before``."""
    entries = AuditEntry.objects.filter(organization=organization)
    if actor is not None:
        entries = entries.filter(actor=actor)
    if action:
        entries = entries.filter(action=action)
    if since is not None:
        entries = entries.filter(created_at__gte=since)
    if before is not None:
        entries = entries.filter(created_at__lt=before)
    # The actor's name is shown on each row; newest first, with the id as a stable tie-break for paging.
    return entries.select_related("actor").order_by("-created_at", "-pk")


def status_counts(rows: QuerySet[Any], statuses: Iterable[str]) -> dict[str, int]:
    """How many of ``rows`` are in each of ``statuses`` (every one present, 0 when none), in one grouped query."""
    counts = dict.fromkeys(statuses, 0)
    for status, count in rows.order_by().values_list("status").annotate(count=Count("pk")):
        counts[status] = count
    return counts


def member_counts(*, organization: Organization) -> dict[str, int]:
    """Active and suspended members (one grouped query) and the invitations still open (one count)."""
    counts = status_counts(Membership.objects.filter(organization=organization), Membership.Status.values)
    counts["invited"] = pending_invitations(organization=organization).count()
    return counts
