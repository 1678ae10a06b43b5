"""What organisation pages share: the permission mixin (the scope itself is entered by OrganizationScopeMiddleware),
URL and actor helpers, 400 on invalid forms, forgiving pagination and the confirm-then-act view."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.generic import ListView, TemplateView

from advocacy.errors import ServiceError
from advocacy.models import Membership, Organization, User

if TYPE_CHECKING:
    from django.core.paginator import _SupportsPagination


def safe_next(request: HttpRequest, target: str) -> str:
    """``target`` when it is a relative path of this site (the welcome tour comes back this way, from the charter
    and from a network's consent page); empty otherwise: an open redirect would send members anywhere."""
    relative = target.startswith("/") and not target.startswith(("//", "/\\"))
    if relative and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return ""


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


def add_service_error(form: forms.Form, error: ServiceError) -> None:
    """Show a refused action on the form: on its field when the service names one the form has."""
    form.add_error(error.field if error.field in form.fields else None, error.message)


class OrgUrlMixin:
    request: HttpRequest

    def org_url(self, name: str, *args: Any) -> str:
        return reverse(name, args=[self.request.organization.slug, *args])  # type: ignore[attr-defined]

    @property
    def actor(self) -> User:
        """The signed-in member's user, as the services record it (the middleware guarantees one)."""
        return self.request.membership.user  # type: ignore[attr-defined, no-any-return]


class InvalidFormStatusMixin:
    """An invalid form answers 400 (with the form and everything typed in it), not 200."""

    def form_invalid(self, form: forms.Form) -> HttpResponse:
        response: HttpResponse = super().form_invalid(form)  # type: ignore[misc]
        response.status_code = 400
        return response


class ForgivingListView(ListView):  # type: ignore[type-arg]
    """A page number out of range or not a number shows the nearest page instead of a 404."""

    def paginate_queryset(
        self, queryset: _SupportsPagination[Any], page_size: int
    ) -> tuple[Paginator[Any], Page[Any], _SupportsPagination[Any], bool]:
        paginator = self.paginator_class(queryset, page_size)
        page = paginator.get_page(self.request.GET.get("page"))
        return paginator, page, page.object_list, page.has_other_pages()


class ConfirmActionView(OrgUrlMixin, OrganizationPermissionMixin, TemplateView):
    """GET asks for confirmation of a destructive action, POST performs it. Works without JavaScript."""

    template_name = "organization/confirm.html"

    def get_object(self) -> Model:
        raise NotImplementedError

    def confirmation(self, obj: Any) -> dict[str, str]:
        """``title``, ``question``, ``button`` and ``cancel_url`` of the confirmation page."""
        raise NotImplementedError

    def perform(self, obj: Any) -> str:
        """Do it through a service and return the success message; a ``ServiceError`` is shown instead."""
        raise NotImplementedError

    def success_url(self, obj: Any) -> str:
        """Where to go once done: by default, back where "cancel" leads."""
        return self.confirmation(obj)["cancel_url"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.render_to_response(self.confirmation(self.get_object()))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        obj = self.get_object()
        try:
            message = self.perform(obj)
        except ServiceError as error:
            messages.error(request, error.message)
            return redirect(self.confirmation(obj)["cancel_url"])
        messages.success(request, message)
        return redirect(self.success_url(obj))
