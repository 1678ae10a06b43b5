"""The API entry point of the tenant scope: every ``/api/v1/o/<org>/`` view derives from ``OrganizationAPIMixin``."""

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, permissions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from advocacy.logging import acting_api_token, log_organization_id
from advocacy.models import ApiToken, Membership, Organization
from advocacy.selectors import two_factor_missing
from advocacy.tenancy import organization_scope

if TYPE_CHECKING:
    from rest_framework.permissions import _PermissionClass


class TwoFactorRequired(exceptions.PermissionDenied):
    default_detail = _(
        "Your organisation requires two-factor authentication: set it up in your account before using the API "
        "from a signed-in session."
    )
    default_code = "two_factor_required"


class OrganizationPermission(permissions.BasePermission):
    """Anonymous → 401; not a member of this organisation (or no such organisation) → 404; a member's session while
    the organisation requires two-factor they have not set up → 403 ``two_factor_required``; wrong role → 403.
    A token carries no person, so the two-factor rule does not apply to it."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not (request.user and request.user.is_authenticated):
            raise exceptions.NotAuthenticated()
        organization = getattr(request, "organization", None)
        if organization is None:
            raise exceptions.NotFound(_("Not found."))
        required = view.required_permission(request.method or "GET")  # type: ignore[attr-defined]
        if isinstance(request.auth, ApiToken):
            return request.auth.has_perm(required)
        membership = (
            Membership.objects.filter(user=request.user, status=Membership.Status.ACTIVE).select_related("user").first()
        )
        if membership is None:
            raise exceptions.NotFound(_("Not found."))
        if two_factor_missing(organization=organization, user=membership.user):
            raise TwoFactorRequired()
        request._request.membership = membership  # type: ignore[attr-defined]
        return membership.has_perm(required)


class OrganizationAPIMixin:
    """Resolves the organisation from the URL and runs the whole request inside its scope.

    Subclasses declare ``permission`` (reads) and ``write_permission`` (unsafe methods; defaults to
    ``permission``). Querysets still filter on ``organization`` explicitly: two locks, not one.
    """

    permission: str = ""
    write_permission: str = ""
    permission_classes: "Sequence[_PermissionClass]" = [OrganizationPermission]

    def required_permission(self, method: str) -> str:
        if method in permissions.SAFE_METHODS:
            return self.permission
        return self.write_permission or self.permission

    @property
    def organization(self) -> Organization:
        return self.request.organization  # type: ignore[attr-defined, no-any-return]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Response:
        organization = Organization.objects.filter(slug=kwargs.get("org", ""), is_active=True).first()
        request.organization = organization  # type: ignore[attr-defined]
        request.membership = None  # type: ignore[attr-defined]
        if organization is None:
            # No scope to enter: authentication and OrganizationPermission answer 401 or 404 before any query.
            return super().dispatch(request, *args, **kwargs)  # type: ignore[misc, no-any-return]
        with organization_scope(organization):
            token = log_organization_id.set(organization.pk)
            api_token = acting_api_token.set(None)
            try:
                return super().dispatch(request, *args, **kwargs)  # type: ignore[misc, no-any-return]
            finally:
                acting_api_token.reset(api_token)
                log_organization_id.reset(token)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        if isinstance(request.auth, ApiToken):
            acting_api_token.set(request.auth.name)
