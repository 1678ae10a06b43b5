"""The KPI dashboard, the link tracking settings and the weekly summary's setting, under /o/<org>/ (the scope middleware
applies); and the weekly summary's one-click unsubscribe, outside /o/<org>/ and without signing in."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from django.views.generic import FormView, TemplateView, View

from advocacy.errors import ServiceError
from advocacy.tenancy import organization_scope
from advocacy.views.base import InvalidFormStatusMixin, OrganizationPermissionMixin, OrgUrlMixin, add_service_error
from analytics.dashboard import Filters
from analytics.forms import TrackingSettingsForm, WeeklySummaryForm, dashboard_filter_form
from analytics.links import destination_for
from analytics.models import TrackingSettings
from analytics.presentation import dashboard_context, impact_context, quick_periods
from analytics.selectors import tracking_settings
from analytics.services import tracking_settings_save
from analytics.summaries import unsubscribe_membership, weekly_summary_save
from content.models import Network, Post

EXAMPLE_LINK = "https://example.com/careers/engineer"
EXAMPLE_TITLE = "Engineer"


class TrackingSettingsView(OrgUrlMixin, InvalidFormStatusMixin, OrganizationPermissionMixin, FormView):  # type: ignore[type-arg]
    """The parameters added to every shared link, with the link a LinkedIn share of an example post would lead to."""

    permission = "settings.manage"
    template_name = "analytics/tracking_settings.html"
    form_class = TrackingSettingsForm

    @cached_property
    def saved(self) -> TrackingSettings:
        return tracking_settings(organization=self.organization)

    def get_initial(self) -> dict[str, Any]:
        return {"utm_template": self.saved.utm_template}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        example = destination_for(
            link=EXAMPLE_LINK,
            template=self.saved.utm_template,
            organization=self.organization,
            # Never saved: it only lends its title and id to the placeholders.
            post=Post(organization=self.organization, title=EXAMPLE_TITLE, pk=42),
            network=Network.LINKEDIN,
            referral=None,
        )
        return {
            **super().get_context_data(**kwargs),
            "example_link": EXAMPLE_LINK,
            "example_title": EXAMPLE_TITLE,
            "example_destination": example,
        }

    def form_valid(self, form: TrackingSettingsForm) -> HttpResponse:
        try:
            tracking_settings_save(
                organization=self.organization, by=self.actor, utm_template=form.cleaned_data["utm_template"]
            )
        except ServiceError as error:
            add_service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The link tracking settings were saved."))
        return HttpResponseRedirect(self.org_url("tracking_settings"))


class WeeklySummarySettingsView(OrgUrlMixin, OrganizationPermissionMixin, View):
    """POST only, from the notification settings page: the member's own weekly summary on or off."""

    permission = "analytics.view"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = WeeklySummaryForm(request.POST)
        form.is_valid()  # a checkbox: anything but a true value is "off"
        weekly_summary_save(membership=self.membership, enabled=form.cleaned_data["enabled"], by=self.actor)
        messages.success(request, _("Your notification settings were saved."))
        return HttpResponseRedirect(self.org_url("notification_settings"))


# A mail client's one-click POST (RFC 8058) carries no CSRF token; the signed token in the path is the credential,
# and all it can do is turn one member's weekly summary off.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def weekly_summary_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    membership = unsubscribe_membership(token)
    if membership is None:
        return render(request, "unsubscribe_invalid.html", status=404)
    language = membership.reading_language()
    with organization_scope(membership.organization), translation.override(language):
        done = request.method == "POST"
        if done:
            weekly_summary_save(membership=membership, enabled=False, by=membership.user)
        return render(
            request,
            "analytics/weekly_summary_unsubscribe.html",
            {"membership": membership, "organization": membership.organization, "done": done, "language": language},
        )


class KpiPageView(OrganizationPermissionMixin, TemplateView):
    """A page of figures over a period chosen in the query string (``analytics.forms.DashboardFilterForm``). A bad
    period or filter answers 400 with the field's error and no figures."""

    # Whether the page filters by programme and topic (the managers' pages) or by period and network only.
    by_programme_and_topic = True

    def figures(self, filters: Filters) -> dict[str, Any]:
        raise NotImplementedError

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = dashboard_filter_form(
            request.GET, organization=self.organization, by_programme_and_topic=self.by_programme_and_topic
        )
        context = self.get_context_data(form=form, quick_periods=self.quick_links(form.today))
        if not form.is_valid():
            return self.render_to_response(context, status=400)
        context.update(self.figures(form.filters()))
        return self.render_to_response(context)

    def quick_links(self, today: date) -> list[tuple[str, str]]:
        kept = {key: value for key, value in self.request.GET.items() if key not in ("start", "end") and value}
        return [
            (label, "?" + urlencode({**kept, "start": period.start.isoformat(), "end": period.end.isoformat()}))
            for label, period in quick_periods(today)
        ]


class DashboardView(KpiPageView):
    """The managers' KPI dashboard: every chart with its table, for a period compared with the one before."""

    permission = "analytics.view"
    template_name = "analytics/dashboard.html"

    def figures(self, filters: Filters) -> dict[str, Any]:
        return dashboard_context(self.organization, filters)


class MyImpactView(KpiPageView):
    """What a member's own shares brought: every member sees theirs, and only theirs."""

    permission = "shares.own"
    template_name = "analytics/my_impact.html"
    by_programme_and_topic = False

    def figures(self, filters: Filters) -> dict[str, Any]:
        return impact_context(self.organization, replace(filters, member=self.membership))
