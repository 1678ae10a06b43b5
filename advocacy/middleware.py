"""The web entry point of the tenant scope, the language of each request, and the Content-Security-Policy."""

from collections.abc import Callable
from typing import cast
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone, translation

from advocacy.logging import log_organization_id
from advocacy.models import Membership, Organization, User
from advocacy.roles import Role
from advocacy.selectors import two_factor_missing
from advocacy.tenancy import organization_scope

ORG_KWARG = "org"


class UserLanguageMiddleware:
    """A signed-in user's chosen language wins over the browser's."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)


class OrganizationScopeMiddleware:
    """Resolve ``/o/<org>/…``, check membership, and run the view inside that organisation's scope.

    A visitor who is not an active member gets the same 404 as for an organisation that does not exist, so the
    URL space reveals nothing. Anonymous visitors are sent to sign in, whether the organisation exists or not.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.organization = None  # type: ignore[attr-defined]
        request.membership = None  # type: ignore[attr-defined]
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return self.get_response(request)
        slug = match.kwargs.get(ORG_KWARG)
        # The API and the signed webhooks enter the scope themselves (OrganizationAPIMixin), without a session.
        if slug is None or request.path_info.startswith(("/api/", "/hooks/")):
            return self.get_response(request)
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        organization = Organization.objects.filter(slug=slug, is_active=True).select_related("referent").first()
        if organization is None:
            raise Http404
        with organization_scope(organization):
            token = log_organization_id.set(organization.pk)
            try:
                return self._in_scope(request, organization)
            finally:
                log_organization_id.reset(token)

    def _in_scope(self, request: HttpRequest, organization: Organization) -> HttpResponse:
        user = cast(User, request.user)  # __call__ sent anonymous visitors to sign in
        membership = Membership.objects.filter(user=user).select_related("user").first()
        if membership is None:
            raise Http404
        _activate_language(request, user, organization)
        if not membership.is_active:
            # A suspended member is known to the organisation: tell them why and whom to ask, unlike outsiders.
            return _suspended_response(request, organization)
        request.organization = organization  # type: ignore[attr-defined]
        # The scope's organisation is the membership's: selectors reading membership.organization do not load it again.
        membership.organization = organization
        request.membership = membership  # type: ignore[attr-defined]
        if two_factor_missing(organization=organization, user=user):
            setup = reverse("two_factor_required")
            return HttpResponseRedirect(f"{setup}?{urlencode({'next': request.get_full_path()})}")
        # Dates on organisation pages are typed and shown in the organisation's time zone; the whole response,
        # template rendering included, happens inside get_response.
        with timezone.override(ZoneInfo(organization.time_zone)):
            return self.get_response(request)


def _activate_language(request: HttpRequest, user: User, organization: Organization) -> None:
    language = user.language or organization.language
    if language in dict(settings.LANGUAGES):
        translation.activate(language)
        request.LANGUAGE_CODE = language


def _suspended_response(request: HttpRequest, organization: Organization) -> HttpResponse:
    admins = (
        Membership.objects.filter(role=Role.ADMIN, status=Membership.Status.ACTIVE)
        .select_related("user")
        .order_by("user__full_name", "user__email")[:5]
    )
    context = {
        "suspended_organization": organization,
        "referent": organization.referent,
        "admins": [admin.user for admin in admins],
    }
    return render(request, "errors/suspended.html", context, status=403)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's policy, with the networks' sign-in pages added to ``form-action``.

    Connecting an account posts a form to Relais, which redirects to the network's consent page, and browsers check
    that redirect against ``form-action``. The origins are read per request: they are settings (the sandbox's or
    the real networks') that tests and the demo change at run time.
    """

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        origins = []
        for url in (settings.RELAIS_LINKEDIN_AUTH_URL, settings.RELAIS_X_AUTH_URL):
            split = urlsplit(url)
            if split.scheme and split.netloc:
                origins.append(f"{split.scheme}://{split.netloc}")
        update = dict(parts.update or {})
        update["form-action"] = [*update.get("form-action", []), *origins]
        parts.update = update
        return parts
