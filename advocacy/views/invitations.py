"""Accepting an invitation: the e-mailed link ``/invitations/<org_slug>/<token>/``.

This view is its own tenant entry point: the invitee is not a member yet, so it finds the organisation by slug and
enters that organisation's scope itself. An unknown organisation and a forged token get the same page.
"""

from typing import Any, cast

from allauth.account.internal.flows.login import record_authentication
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from advocacy import services
from advocacy.errors import ServiceError
from advocacy.forms_account import NewAccountForm
from advocacy.models import Invitation, Organization, User
from advocacy.tenancy import organization_scope

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def accept(request: HttpRequest, org_slug: str, token: str) -> HttpResponse:
    organization = Organization.objects.filter(slug=org_slug, is_active=True).select_related("referent").first()
    if organization is None:
        return _unusable(request, None, "unknown")
    _activate_language(request, organization)
    with organization_scope(organization):
        invitation = services.invitation_find(raw_token=token)
        problem = _problem(invitation)
        if invitation is not None and problem == "used" and _accepted_by_visitor(request, invitation):
            return redirect("org_home", org=organization.slug)  # the same person opening the link again
        if invitation is None or problem:
            return _unusable(request, invitation, problem or "unknown")
        invitee = get_user_model().objects.filter(email__iexact=invitation.email).first()
        if request.user.is_authenticated and request.user != invitee:
            return _page(request, invitation, "wrong_account")
        if invitee is None:
            return _new_account(request, invitation)
        if not request.user.is_authenticated:
            return _page(request, invitation, "sign_in")
        return _join(request, invitation)


def _activate_language(request: HttpRequest, organization: Organization) -> None:
    # The invitee's own choice first; otherwise the organisation's language, the one the e-mail was written in.
    language = getattr(request.user, "language", "") or request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if language not in dict(settings.LANGUAGES):
        language = organization.language
    translation.activate(language)
    request.LANGUAGE_CODE = language


def _accepted_by_visitor(request: HttpRequest, invitation: Invitation) -> bool:
    return request.user.is_authenticated and invitation.accepted_by_id == request.user.pk


def _problem(invitation: Invitation | None) -> str:
    if invitation is None:
        return "unknown"
    if invitation.revoked_at is not None:
        return "revoked"
    if invitation.accepted_at is not None:
        return "used"
    if invitation.expires_at <= timezone.now():
        return "expired"
    return ""


def _unusable(request: HttpRequest, invitation: Invitation | None, reason: str) -> HttpResponse:
    """Why the link cannot be used, and whom to ask. A forged token reveals nothing about the organisation."""
    context: dict[str, Any] = {"reason": reason}
    if invitation is not None:
        context.update(
            invited_organization=invitation.organization,
            inviter=invitation.invited_by,
            referent=invitation.organization.referent,
        )
    return render(request, "invitations/unusable.html", context, status=404 if reason == "unknown" else 410)


def _page(request: HttpRequest, invitation: Invitation, state: str, **extra: object) -> HttpResponse:
    context = {"invitation": invitation, "invited_organization": invitation.organization, "state": state, **extra}
    return render(request, "invitations/accept.html", context)


def _new_account(request: HttpRequest, invitation: Invitation) -> HttpResponse:
    form = NewAccountForm(request.POST or None, email=invitation.email)
    if request.method != "POST" or not form.is_valid():
        return _page(request, invitation, "new_account", form=form)
    try:
        membership = services.invitation_accept_with_new_account(
            invitation=invitation, full_name=form.cleaned_data["full_name"], password=form.cleaned_data["password1"]
        )
    except ServiceError as exc:
        form.add_error(None, exc.message)
        return _page(request, invitation, "new_account", form=form)
    login(request, membership.user, backend=MODEL_BACKEND)
    # The password was typed this very minute: tell allauth, so that setting up the two-factor an organisation may
    # require does not ask for it again at once.
    record_authentication(
        request, membership.user, method="password", email=membership.user.email, reauthenticated=True
    )
    return _welcome(request, invitation)


def _join(request: HttpRequest, invitation: Invitation) -> HttpResponse:
    if request.method != "POST":
        return _page(request, invitation, "join")
    try:
        services.invitation_accept(invitation=invitation, user=cast(User, request.user))  # accept() checked sign-in
    except ServiceError:
        invitation.refresh_from_db()
        return _unusable(request, invitation, _problem(invitation) or "used")
    return _welcome(request, invitation)


def _welcome(request: HttpRequest, invitation: Invitation) -> HttpResponse:
    messages.success(request, _("Welcome to %(organization)s!") % {"organization": invitation.organization.name})
    return redirect("org_home", org=invitation.organization.slug)
