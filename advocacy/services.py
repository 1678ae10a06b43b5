"""Writes of the tenancy core: organisations, members, invitations, programmes, API tokens, audit.

Every service is keyword-only and atomic, runs inside the organisation's scope (the caller's entry point
entered it), writes an audit entry, and raises ``ServiceError`` with a translated message when a rule refuses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, models, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from advocacy.errors import ServiceError
from advocacy.logging import acting_api_token
from advocacy.mail import Email, EmailBatch, Message, email_send_each
from advocacy.models import (
    ApiToken,
    AuditEntry,
    Invitation,
    Membership,
    Organization,
    Programme,
    ProgrammeMember,
    User,
)
from advocacy.roles import Role
from advocacy.signals import member_removed
from advocacy.tenancy import organization_scope

MAX_INVITATIONS_PER_REQUEST = 500


def audit_log(
    *,
    organization: Organization,
    actor: User | None,
    action: str,
    target: models.Model | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Record who did what. ``action`` is dotted, e.g. ``member.role_changed``."""
    actor = actor if actor is not None and actor.pk else None
    return AuditEntry.objects.create(
        organization=organization,
        actor=actor,
        actor_name=actor.display_name[:150] if actor is not None else "",
        api_token_name=acting_api_token.get() or "",
        action=action,
        object_type=target._meta.label_lower if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
        data=data or {},
    )


def save_or_refuse(instance: models.Model, *, refusal: ServiceError, update_fields: list[str] | None = None) -> None:
    """Save in a savepoint and turn a unique-constraint clash into ``refusal``.

    Callers check for the duplicate first to give the usual message; the constraint catches two people saving at
    the same moment, and the savepoint keeps the caller's transaction usable.
    """
    try:
        with transaction.atomic():
            instance.save(update_fields=update_fields)
    except IntegrityError as exc:
        raise refusal from exc


def _validate_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError as exc:
        choices = ", ".join(Role.values)
        raise ServiceError(
            _("“%(role)s” is not a role. Choose one of: %(choices)s.") % {"role": role, "choices": choices},
            code="invalid_role",
            field="role",
        ) from exc


@transaction.atomic
def organization_create(*, slug: str, name: str, admin_email: str, language: str = "fr") -> Organization:
    """Create an organisation and its first admin (creating the user when the address is new).

    Runs outside any request, so it enters the new organisation's scope itself.
    """
    if Organization.objects.filter(slug=slug).exists():
        raise ServiceError(_("An organisation with the address “%(slug)s” already exists.") % {"slug": slug})
    organization = Organization.objects.create(slug=slug, name=name, language=language)
    user, _created = get_user_model().objects.get_or_create(email=admin_email.strip().lower())
    with organization_scope(organization):
        membership = Membership.objects.create(organization=organization, user=user, role=Role.ADMIN)
        audit_log(organization=organization, actor=None, action="organization.created", target=organization)
        audit_log(organization=organization, actor=None, action="member.added", target=membership)
    return organization


@dataclass
class InvitationResult:
    invited: list[str] = field(default_factory=list)
    already_members: list[str] = field(default_factory=list)
    already_invited: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)


def parse_email_list(text: str) -> tuple[list[str], list[str]]:
    """Split a pasted list (commas, semicolons, spaces, new lines, ``Name <a@b>``) into (valid, invalid)."""
    valid: list[str] = []
    invalid: list[str] = []
    for raw in re.split(r"[\s,;]+", text):
        candidate = raw.strip().strip("<>\"'").lower()
        if "@" not in candidate:
            continue  # the display-name half of "Name <a@b>"
        try:
            validate_email(candidate)
        except ValidationError:
            invalid.append(candidate)
            continue
        if candidate not in valid:
            valid.append(candidate)
    return valid, invalid


def invitation_url(organization: Organization, raw_token: str) -> str:
    path = reverse("invitation_accept", kwargs={"org_slug": organization.slug, "token": raw_token})
    return settings.RELAIS_SITE_URL.rstrip("/") + path


def invitation_email(*, invitation: Invitation) -> Email:
    """The invitation's e-mail, with a link issued now: only its digest is stored, so the link never waits in a
    queue, and a link issued earlier for this invitation stops working."""
    organization = invitation.organization
    raw, digest = Invitation.new_token()
    Invitation.objects.filter(pk=invitation.pk).update(token_digest=digest)
    inviter = invitation.invited_by
    # The mail goes out in the organisation's language: the invitee has no preference yet.
    with translation.override(organization.language):
        context = {
            "organization": organization,
            "inviter": inviter,
            "invitation": invitation,
            "url": invitation_url(organization, raw),
        }
        subject = _("%(inviter)s invites you to %(organization)s on Relais") % {
            # An API token invites on behalf of the organisation itself.
            "inviter": inviter.display_name if inviter is not None else organization.name,
            "organization": organization.name,
        }
        body = render_to_string("emails/invitation.txt", context)
    return Email(subject=subject, body=body, to=invitation.email)


def invitations_email(*, organization_id: int, invitation_ids: list[int]) -> EmailBatch:
    """E-mail the pending invitations among ``invitation_ids``, each once (``advocacy.mail``), one failure not
    stopping the others. Runs in a worker (``advocacy.send_invitations``), in the organisation's scope."""
    pending = Invitation.objects.filter(
        organization=organization_id,
        pk__in=invitation_ids,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).select_related("organization", "invited_by")  # each e-mail names both
    organization = Organization.objects.get(pk=organization_id)
    return email_send_each(
        organization=organization,
        messages=(
            Message(
                ref=invitation.pk,
                key=f"invitation:{invitation.pk}",
                compose=partial(invitation_email, invitation=invitation),
            )
            for invitation in pending.order_by("pk")
        ),
    )


@transaction.atomic
def invitation_create_many(
    *,
    organization: Organization,
    inviter: User | None,
    emails: list[str],
    role: str,
    programme: Programme | None = None,
) -> InvitationResult:
    """Invite addresses; skip current members and addresses with a pending invitation. The e-mails go out from one
    task for the batch, enqueued after commit (``advocacy.send_invitations``)."""
    role = _validate_role(role)
    if len(emails) > MAX_INVITATIONS_PER_REQUEST:
        raise ServiceError(
            _("At most %(limit)d addresses at once.") % {"limit": MAX_INVITATIONS_PER_REQUEST}, field="emails"
        )
    result = InvitationResult()
    now = timezone.now()
    member_emails = set(Membership.objects.filter(user__email__in=emails).values_list("user__email", flat=True))
    pending_emails = set(
        Invitation.objects.filter(
            email__in=emails, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
        ).values_list("email", flat=True)
    )
    expires_at = now + timedelta(days=settings.RELAIS_INVITATION_DAYS)
    created: list[int] = []
    for email in emails:
        if email in member_emails:
            result.already_members.append(email)
            continue
        if email in pending_emails:
            result.already_invited.append(email)
            continue
        # The link is issued when the e-mail is sent; this digest only fills the unique column meanwhile.
        _raw, digest = Invitation.new_token()
        invitation = Invitation.objects.create(
            organization=organization,
            email=email,
            role=role,
            programme=programme,
            token_digest=digest,
            invited_by=inviter,
            expires_at=expires_at,
        )
        audit_log(
            organization=organization,
            actor=inviter,
            action="invitation.sent",
            target=invitation,
            data={"email": email, "role": role},
        )
        created.append(invitation.pk)
        result.invited.append(email)
    if created:
        from advocacy.tasks import send_invitations

        transaction.on_commit(
            partial(
                send_invitations.apply_async,
                kwargs={"organization_id": organization.pk, "invitation_ids": created},
            )
        )
    return result


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, by: User) -> None:
    updated = Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if not updated:
        raise ServiceError(_("This invitation was already accepted or revoked."))
    audit_log(organization=invitation.organization, actor=by, action="invitation.revoked", target=invitation)


def invitation_find(*, raw_token: str) -> Invitation | None:
    """The invitation for a token, in the active scope, whatever its state (the caller explains why it fails)."""
    return Invitation.objects.filter(token_digest=Invitation.digest(raw_token)).select_related("invited_by").first()


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """Use an invitation once: create the membership (or reactivate nothing: a suspended member stays suspended).

    The single use is a compare-and-set on ``accepted_at``, so two tabs accepting at once make one membership.
    """
    if invitation.email.lower() != user.email.lower():
        raise ServiceError(_("This invitation was sent to another e-mail address."), code="wrong_user")
    now = timezone.now()
    claimed = Invitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
    ).update(accepted_at=now, accepted_by=user)
    if not claimed:
        raise ServiceError(_("This invitation has expired or was already used."), code="not_pending")
    existing = Membership.objects.filter(user=user).first()
    if existing is not None:
        return existing
    membership = Membership.objects.create(organization=invitation.organization, user=user, role=invitation.role)
    if invitation.programme_id is not None:
        ProgrammeMember.objects.create(
            organization=invitation.organization, programme_id=invitation.programme_id, membership=membership
        )
    audit_log(
        organization=invitation.organization,
        actor=user,
        action="invitation.accepted",
        target=membership,
        data={"invitation": invitation.pk, "role": invitation.role},
    )
    return membership


def _lock_admins(organization: Organization) -> int:
    # Locking the admin rows serialises concurrent demotions/removals, so two admins removing each other at
    # once cannot leave the organisation without any.
    admins = list(
        Membership.objects.select_for_update()
        .filter(role=Role.ADMIN, status=Membership.Status.ACTIVE)
        .values_list("pk", flat=True)
    )
    return len(admins)


def _refuse_losing_last_admin(membership: Membership) -> None:
    if membership.role == Role.ADMIN and membership.status == Membership.Status.ACTIVE:
        if _lock_admins(membership.organization) <= 1:
            raise ServiceError(
                _("%(name)s is the last administrator. Make someone else an administrator first.")
                % {"name": membership.user.display_name},
                code="last_admin",
            )


@transaction.atomic
def membership_change_role(*, membership: Membership, role: str, by: User | None) -> Membership:
    new_role = _validate_role(role)
    if new_role == membership.role:
        return membership
    if new_role != Role.ADMIN:
        _refuse_losing_last_admin(membership)
    old_role = membership.role
    membership.role = new_role
    membership.save(update_fields=["role"])
    audit_log(
        organization=membership.organization,
        actor=by,
        action="member.role_changed",
        target=membership,
        data={"from": old_role, "to": new_role},
    )
    return membership


@transaction.atomic
def membership_suspend(*, membership: Membership, by: User | None) -> Membership:
    if membership.status == Membership.Status.SUSPENDED:
        return membership
    _refuse_losing_last_admin(membership)
    membership.status = Membership.Status.SUSPENDED
    membership.save(update_fields=["status"])
    audit_log(organization=membership.organization, actor=by, action="member.suspended", target=membership)
    return membership


@transaction.atomic
def membership_reactivate(*, membership: Membership, by: User | None) -> Membership:
    if membership.status == Membership.Status.ACTIVE:
        return membership
    membership.status = Membership.Status.ACTIVE
    membership.save(update_fields=["status"])
    audit_log(organization=membership.organization, actor=by, action="member.reactivated", target=membership)
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, by: User | None) -> None:
    """Remove a member from the organisation. Their user account and other organisations are untouched. Announced
    through ``advocacy.signals.member_removed`` before the delete, while the member's shares still exist."""
    _refuse_losing_last_admin(membership)
    audit_log(
        organization=membership.organization,
        actor=by,
        action="member.removed",
        target=membership,
        data={"email": membership.user.email, "role": membership.role},
    )
    member_removed.send(sender=Membership, membership=membership, by=by)
    membership.delete()


def _slug_taken(slug: str) -> ServiceError:
    return ServiceError(_("A programme with the address “%(slug)s” already exists.") % {"slug": slug}, field="slug")


@transaction.atomic
def programme_create(
    *,
    organization: Organization,
    name: str,
    slug: str,
    description: str,
    by: User | None,
    open_to_volunteers: bool = False,
) -> Programme:
    programme = Programme(
        organization=organization,
        name=name,
        slug=slug,
        description=description,
        open_to_volunteers=open_to_volunteers,
    )
    save_or_refuse(programme, refusal=_slug_taken(slug))
    audit_log(organization=organization, actor=by, action="programme.created", target=programme)
    return programme


@transaction.atomic
def programme_update(*, programme: Programme, by: User | None, **changes: str | bool) -> Programme:
    allowed = {"name", "slug", "description", "open_to_volunteers"}
    unknown = set(changes) - allowed
    if unknown:
        raise ServiceError(_("These fields cannot be changed: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    for name, value in changes.items():
        setattr(programme, name, value)
    save_or_refuse(programme, refusal=_slug_taken(programme.slug))
    audit_log(
        organization=programme.organization,
        actor=by,
        action="programme.updated",
        target=programme,
        data={"fields": sorted(changes)},
    )
    return programme


@transaction.atomic
def programme_delete(*, programme: Programme, by: User | None) -> None:
    audit_log(
        organization=programme.organization,
        actor=by,
        action="programme.deleted",
        target=programme,
        data={"name": programme.name},
    )
    programme.delete()


@transaction.atomic
def programme_set_member(
    *, programme: Programme, membership: Membership, is_admin: bool, by: User | None
) -> ProgrammeMember:
    if membership.organization_id != programme.organization_id:
        raise ServiceError(_("This member does not belong to the organisation."))
    link, created = ProgrammeMember.objects.update_or_create(
        programme=programme,
        membership=membership,
        defaults={"is_admin": is_admin, "organization": programme.organization},
    )
    audit_log(
        organization=programme.organization,
        actor=by,
        action="programme.member_added" if created else "programme.member_changed",
        target=link,
        data={"membership": membership.pk, "is_admin": is_admin},
    )
    return link


@transaction.atomic
def programme_remove_member(*, programme: Programme, membership: Membership, by: User | None) -> None:
    deleted, _unused = ProgrammeMember.objects.filter(programme=programme, membership=membership).delete()
    if deleted:
        audit_log(
            organization=programme.organization,
            actor=by,
            action="programme.member_removed",
            target=programme,
            data={"membership": membership.pk},
        )


@transaction.atomic
def organization_update(*, organization: Organization, by: User, changes: dict[str, Any]) -> Organization:
    """Save settings already validated by the form; the audit entry lists what changed."""
    allowed = {"name", "language", "time_zone", "brand_colour", "logo", "require_two_factor", "referent"}
    unknown = set(changes) - allowed
    if unknown:
        raise ServiceError(_("These fields cannot be changed: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    for name, value in changes.items():
        setattr(organization, name, value)
    organization.save()
    audit_log(
        organization=organization,
        actor=by,
        action="organization.updated",
        target=organization,
        data={"fields": sorted(changes)},
    )
    return organization


@transaction.atomic
def api_token_create(*, organization: Organization, name: str, role: str, by: User | None) -> tuple[ApiToken, str]:
    """Create a token and return it with its secret, which is shown once and never stored."""
    valid_role = _validate_role(role)
    raw, digest, hint = ApiToken.new_secret()
    token = ApiToken.objects.create(
        organization=organization, name=name, role=valid_role, token_digest=digest, hint=hint, created_by=by
    )
    audit_log(
        organization=organization,
        actor=by,
        action="api_token.created",
        target=token,
        data={"name": name, "role": valid_role},
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, token: ApiToken, by: User) -> None:
    updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    if updated:
        audit_log(organization=token.organization, actor=by, action="api_token.revoked", target=token)


@transaction.atomic
def invitation_accept_with_new_account(*, invitation: Invitation, full_name: str, password: str) -> Membership:
    """Create the invitee's account and accept the invitation, all or nothing.

    The address counts as verified: the invitee proved they read it by opening the e-mailed link. If the
    invitation cannot be used any more, or the address got an account meanwhile (two tabs), nothing is created.
    """
    email = invitation.email.strip().lower()
    users = get_user_model().objects
    taken = ServiceError(
        _("An account already exists for this address: sign in to accept the invitation."), code="account_exists"
    )
    if users.filter(email__iexact=email).exists():
        raise taken
    try:
        with transaction.atomic():
            user = users.create_user(email=email, password=password, full_name=full_name.strip())
    except IntegrityError as exc:
        raise taken from exc
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return invitation_accept(invitation=invitation, user=user)
