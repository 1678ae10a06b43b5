"""The KPI dashboard, a programme's goals, and the settings pages of link tracking and of the earned media value rates,
under /o/<org>/ (the scope middleware applies)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView

from advocacy.errors import ServiceError
from advocacy.models import Programme
from advocacy.selectors import programme_access
from advocacy.views.base import InvalidFormStatusMixin, OrganizationPermissionMixin, OrgUrlMixin, add_service_error
from analytics.dashboard import Filters, Period
from analytics.forms import DashboardFilterForm, EmvRatesForm, ProgrammeGoalForm, TrackingSettingsForm
from analytics.links import destination_for
from analytics.models import EmvRates, ProgrammeGoal, TrackingSettings
from analytics.presentation import dashboard_context, impact_context, quick_periods
from analytics.selectors import current_quarter, emv_rates, goal_progress, programme_goals, tracking_settings
from analytics.services import emv_rates_save, programme_goal_save, tracking_settings_save
from analytics.value import shown_rate
from content.models import Network, Post, Topic

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


class EmvRatesView(OrgUrlMixin, InvalidFormStatusMixin, OrganizationPermissionMixin, FormView):  # type: ignore[type-arg]
    """What a click, 1,000 impressions and a reaction are worth on each network, in the organisation's currency."""

    permission = "settings.manage"
    template_name = "analytics/emv_rates.html"
    form_class = EmvRatesForm

    @cached_property
    def saved(self) -> EmvRates:
        return emv_rates(organization=self.organization)

    def get_initial(self) -> dict[str, Any]:
        rates = {name: shown_rate(getattr(self.saved, name)) for name in EmvRates.RATE_FIELDS}
        return {"currency": self.saved.currency, **rates}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "saved": self.saved}

    def form_valid(self, form: EmvRatesForm) -> HttpResponse:
        try:
            emv_rates_save(
                organization=self.organization,
                by=self.actor,
                currency=form.cleaned_data["currency"],
                rates=form.rates(),
            )
        except ServiceError as error:
            add_service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The earned media value rates were saved."))
        return HttpResponseRedirect(self.org_url("emv_rates"))


class ProgrammeGoalsView(OrgUrlMixin, InvalidFormStatusMixin, OrganizationPermissionMixin, FormView):  # type: ignore[type-arg]
    """A programme's goals per quarter, for the organisation's admins and the programme's own admins: the chosen
    quarter's form (``?year=&quarter=``, else the current quarter) with its progress, and the quarters already set."""

    # Everyone passes the declared permission; the programme decides (``programme_admin``).
    permission = "organization.view"
    template_name = "analytics/programme_goals.html"
    form_class = ProgrammeGoalForm

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.programme_admin()
        return super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.programme_admin()
        return super().post(request, *args, **kwargs)

    @cached_property
    def programme(self) -> Programme:
        found: Programme = get_object_or_404(
            Programme.objects.filter(organization=self.organization).select_related("organization"),
            pk=self.kwargs["programme_pk"],
        )
        return found

    def programme_admin(self) -> None:
        """404 for a programme of another organisation, 403 unless an organisation or programme admin."""
        if not programme_access(membership=self.membership, programme=self.programme).can_manage_members:
            raise PermissionDenied

    @cached_property
    def quarter(self) -> tuple[int, int]:
        """The quarter the address asks for; the current one when it asks for none or for a wrong one."""
        asked = ProgrammeGoalForm({"year": self.request.GET.get("year"), "quarter": self.request.GET.get("quarter")})
        asked.is_valid()
        if {"year", "quarter"} <= set(asked.cleaned_data):
            return asked.cleaned_data["year"], asked.cleaned_data["quarter"]
        return current_quarter(organization=self.organization)

    def get_initial(self) -> dict[str, Any]:
        year, quarter = self.quarter
        goals = {(goal.year, goal.quarter): goal for goal in self.goals}
        goal = goals.get((year, quarter))
        targets = {name: getattr(goal, name) for name in ProgrammeGoal.TARGETS} if goal else {}
        return {"year": year, "quarter": quarter, **targets}

    @cached_property
    def goals(self) -> list[ProgrammeGoal]:
        return programme_goals(organization=self.organization, programme=self.programme)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        year, quarter = self.quarter
        progress = goal_progress(organization=self.organization, programme=self.programme, year=year, quarter=quarter)
        context = super().get_context_data(**kwargs)
        return {**context, "programme": self.programme, "goals": self.goals, "progress": progress}

    def form_valid(self, form: ProgrammeGoalForm) -> HttpResponse:
        year, quarter = form.cleaned_data["year"], form.cleaned_data["quarter"]
        try:
            programme_goal_save(
                programme=self.programme, by=self.actor, year=year, quarter=quarter, targets=form.targets()
            )
        except ServiceError as error:
            add_service_error(form, error)
            return self.form_invalid(form)
        saved = _("The goals for %(period)s were saved.") % {
            "period": _("Q%(quarter)s %(year)s") % {"quarter": quarter, "year": year}
        }
        messages.success(self.request, saved)
        query = urlencode({"year": year, "quarter": quarter})
        return HttpResponseRedirect(f"{self.org_url('programme_goals', self.programme.pk)}?{query}")


class KpiPageView(OrganizationPermissionMixin, TemplateView):
    """A page of figures over a period chosen in the query string (``analytics.forms.DashboardFilterForm``). A bad
    period or filter answers 400 with the field's error and no figures."""

    # Whether the page filters by programme and topic (the managers' pages) or by period and network only.
    by_programme_and_topic = True

    def figures(self, filters: Filters) -> dict[str, Any]:
        raise NotImplementedError

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        today = timezone.localtime(timezone.now(), ZoneInfo(self.organization.time_zone)).date()
        programmes: dict[int, Programme] = {}
        topics: dict[int, Topic] = {}
        if self.by_programme_and_topic:
            programmes = {p.pk: p for p in Programme.objects.filter(organization=self.organization).order_by("name")}
            topics = {t.pk: t for t in Topic.objects.filter(organization=self.organization).order_by("name")}
        form = DashboardFilterForm(
            request.GET,
            today=today,
            programmes=[(pk, programme.name) for pk, programme in programmes.items()],
            topics=[(pk, topic.name) for pk, topic in topics.items()],
        )
        context = self.get_context_data(form=form, quick_periods=self.quick_links(today))
        if not form.is_valid():
            return self.render_to_response(context, status=400)
        cleaned = form.cleaned_data
        filters = Filters(
            period=Period(cleaned["start"], cleaned["end"]),
            programme=programmes.get(cleaned.get("programme") or 0),
            topic=topics.get(cleaned.get("topic") or 0),
            network=cleaned.get("network") or "",
        )
        context.update(self.figures(filters))
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
        return {
            **dashboard_context(self.organization, filters, viewer=self.membership),
            "can_edit_rates": self.membership.has_perm("settings.manage"),
        }


class MyImpactView(KpiPageView):
    """What a member's own shares brought: every member sees theirs, and only theirs."""

    permission = "shares.own"
    template_name = "analytics/my_impact.html"
    by_programme_and_topic = False

    def figures(self, filters: Filters) -> dict[str, Any]:
        return impact_context(self.organization, replace(filters, member=self.membership))
