"""Organisation pages: home, settings, API tokens, audit log; and the small helpers the admin pages share."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import FormView, ListView, TemplateView

from advocacy import selectors, services
from advocacy.errors import ServiceError
from advocacy.forms import ApiTokenForm, OrganizationSettingsForm
from advocacy.models import ApiToken, AuditEntry, User
from advocacy.views.base import OrganizationPermissionMixin

if TYPE_CHECKING:
    from django.core.paginator import _SupportsPagination


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
        paginator = Paginator(queryset, page_size)
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
        raise NotImplementedError

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


class OrganizationHomeView(OrganizationPermissionMixin, TemplateView):
    permission = "organization.view"
    template_name = "organization/home.html"


class OrganizationSettingsView(
    OrgUrlMixin,
    InvalidFormStatusMixin,
    OrganizationPermissionMixin,
    FormView,  # type: ignore[type-arg]
):
    permission = "settings.manage"
    template_name = "organization/settings.html"
    form_class = OrganizationSettingsForm

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "organization": self.organization}

    def form_valid(self, form: OrganizationSettingsForm) -> HttpResponse:
        try:
            services.organization_update(organization=self.organization, by=self.actor, changes=form.changes())
        except ServiceError as error:
            add_service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The organisation’s settings were saved."))
        return HttpResponseRedirect(self.org_url("org_settings"))


class ApiTokenListView(OrgUrlMixin, InvalidFormStatusMixin, OrganizationPermissionMixin, FormView):  # type: ignore[type-arg]
    """The tokens, and the form that creates one. The new secret is shown once, on the response to that POST."""

    permission = "api_tokens.manage"
    template_name = "organization/api_tokens.html"
    form_class = ApiTokenForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "tokens": selectors.api_token_list(organization=self.organization),
        }

    def form_valid(self, form: ApiTokenForm) -> HttpResponse:
        try:
            token, secret = services.api_token_create(
                organization=self.organization,
                name=form.cleaned_data["name"],
                role=form.cleaned_data["role"],
                by=self.actor,
            )
        except ServiceError as error:
            add_service_error(form, error)
            return self.form_invalid(form)
        response = render(self.request, "organization/api_token_created.html", {"token": token, "secret": secret})
        # The secret must not survive in a browser or proxy cache: it is never shown again.
        response["Cache-Control"] = "no-store"
        return response


class ApiTokenRevokeView(ConfirmActionView):
    permission = "api_tokens.manage"

    def get_object(self) -> ApiToken:
        return get_object_or_404(
            selectors.api_token_list(organization=self.organization).filter(revoked_at__isnull=True),
            pk=self.kwargs["pk"],
        )

    def confirmation(self, obj: ApiToken) -> dict[str, str]:
        return {
            "title": _("Revoke the token “%(name)s”?") % {"name": obj.name},
            "question": _("Anything that uses this token will stop working at once. This cannot be undone."),
            "button": _("Revoke the token"),
            "cancel_url": self.org_url("api_tokens"),
        }

    def perform(self, obj: ApiToken) -> str:
        services.api_token_revoke(token=obj, by=self.actor)
        return _("The token “%(name)s” was revoked.") % {"name": obj.name}

    def success_url(self, obj: ApiToken) -> str:
        return self.org_url("api_tokens")


class AuditLogView(OrganizationPermissionMixin, ForgivingListView):
    permission = "audit.view"
    template_name = "organization/audit_log.html"
    context_object_name = "entries"
    paginate_by = 50

    def get_queryset(self) -> QuerySet[AuditEntry]:
        return selectors.audit_entries(organization=self.organization)
