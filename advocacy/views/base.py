"""The permission mixin of organisation pages (the scope itself is entered by OrganizationScopeMiddleware)."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase

from advocacy.models import Membership, Organization


class OrganizationPermissionMixin:
    """Declare ``permission = "members.manage"`` on the view; members without it get the 403 page.

    ``write_permission`` (optional) guards POST and other unsafe methods when reading needs less.
    """

    permission: str = ""
    write_permission: str = ""
    request: HttpRequest

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        membership: Membership | None = getattr(request, "membership", None)
        if membership is None:
            raise PermissionDenied
        required = self.permission
        if request.method not in ("GET", "HEAD", "OPTIONS") and self.write_permission:
            required = self.write_permission
        if not required:
            raise PermissionDenied  # a view that forgot to declare its permission is closed, not open
        if not membership.has_perm(required):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc, no-any-return]

    @property
    def organization(self) -> Organization:
        return self.request.organization  # type: ignore[attr-defined, no-any-return]

    @property
    def membership(self) -> Membership:
        return self.request.membership  # type: ignore[attr-defined, no-any-return]
