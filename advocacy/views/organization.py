"""Organisation pages: home, settings, API tokens, audit log."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView

from advocacy import history, home, selectors, services
from advocacy.errors import ServiceError
from advocacy.forms import ApiTokenForm, AuditFilterForm, OrganizationSettingsForm
from advocacy.models import ApiToken, AuditEntry
from advocacy.views.base import (
    ConfirmActionView,
    ForgivingListView,
    InvalidFormStatusMixin,
    OrganizationPermissionMixin,
    OrgUrlMixin,
    add_service_error,
)


class OrganizationHomeView(OrganizationPermissionMixin, TemplateView):
    """What the member has to do now: the panels the feature apps register (advocacy.home), for their roles."""

    permission = "organization.view"
    template_name = "organization/home.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "panels": home.panels_for(self.request, self.membership)}


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


class AuditLogView(OrganizationPermissionMixin, ForgivingListView):
    permission = "audit.view"
    template_name = "organization/audit_log.html"
    context_object_name = "entries"
    paginate_by = 50

    def get_queryset(self) -> QuerySet[AuditEntry]:
        self.filter_form = AuditFilterForm(self.request.GET, organization=self.organization)
        return selectors.audit_entries(organization=self.organization, **self.filter_form.filters())

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        membership = self.request.membership  # type: ignore[attr-defined]
        return {
            **context,
            "lines": history.lines(context["entries"], membership=membership),
            "filter_form": self.filter_form,
            "show_details": membership.has_perm("settings.manage"),
        }
