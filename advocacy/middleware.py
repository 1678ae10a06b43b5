"""The web entry point of the tenant scope, and the language of each request."""

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import Resolver404, resolve, reverse
from django.utils import translation

from advocacy.logging import log_organization_id
from advocacy.models import Membership, Organization
from advocacy.tenancy import organization_scope

ORG_KWARG = "org"


def _has_two_factor(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


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
        if slug is None or request.path_info.startswith("/api/"):
            return self.get_response(request)
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        organization = Organization.objects.filter(slug=slug, is_active=True).first()
        if organization is None:
            raise Http404
        with organization_scope(organization):
            token = log_organization_id.set(organization.pk)
            try:
                return self._in_scope(request, organization)
            finally:
                log_organization_id.reset(token)

    def _in_scope(self, request: HttpRequest, organization: Organization) -> HttpResponse:
        membership = (
            Membership.objects.filter(user=request.user, status=Membership.Status.ACTIVE).select_related("user").first()
        )
        if membership is None:
            raise Http404
        request.organization = organization  # type: ignore[attr-defined]
        request.membership = membership  # type: ignore[attr-defined]
        if organization.require_two_factor and not _has_two_factor(request.user):
            setup = reverse("mfa_activate_totp")
            return HttpResponseRedirect(f"{setup}?{urlencode({'next': request.get_full_path()})}")
        language = request.user.language or organization.language
        if language in dict(settings.LANGUAGES):
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
