"""The KPI dashboard, a programme's goals, the referrals and retention pages, the settings pages of link tracking, of
the earned media value rates and of referrals, and the weekly summary's setting, under /o/<org>/ (the scope middleware
applies); and the weekly summary's one-click unsubscribe, outside /o/<org>/ and without signing in."""

from __future__ import annotations

import datetime
import datetime as dt
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import date
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.db.models import QuerySet
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import cached_property
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from django.views.generic import FormView, TemplateView, View
from django.views.generic.base import ContextMixin, TemplateResponseMixin

from advocacy.errors import ServiceError
from advocacy.models import Organization, Programme
from advocacy.selectors import programme_access
from advocacy.tenancy import organization_scope
from advocacy.views.base import InvalidFormStatusMixin, OrganizationPermissionMixin, OrgUrlMixin, add_service_error
from analytics import referrals
from analytics.dashboard import Filters, note_dashboard_opened
from analytics.exports import DETAILED, EVERYTHING, TABLES, csv_lines, download_name, row_count, sheets, write_xlsx
from analytics.forms import (
    EmvRatesForm,
    ExportForm,
    LeaversImportForm,
    ProgrammeGoalForm,
    ReferralEventForm,
    ReferralPeriodForm,
    ReferralSettingsForm,
    RetentionPeriodForm,
    TrackingSettingsForm,
    WeeklySummaryForm,
    dashboard_filter_form,
)
from analytics.links import destination_for
from analytics.models import EmvRates, Export, ProgrammeGoal, ReferralSettings, TrackingSettings
from analytics.presentation import community_context, dashboard_context, impact_context, quick_periods
from analytics.retention import retention
from analytics.selectors import (
    current_quarter,
    emv_rates,
    goal_progress,
    insight_programmes,
    member_exports,
    programme_goals,
    tracking_settings,
)
from analytics.services import (
    LeaversImported,
    departures_import,
    emv_rates_save,
    export_request,
    programme_goal_save,
    referral_event_record,
    referral_secret_rotate,
    referral_settings_save,
    tracking_settings_save,
)
from analytics.summaries import unsubscribe_membership, weekly_summary_save
from analytics.value import shown_rate
from content.models import Network, Post

EXAMPLE_LINK = "https://example.com/careers/engineer"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
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

    def programmes_shown(self) -> QuerySet[Programme] | None:
        """The programmes the filter offers; None: all of the organisation's."""
        return None

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = dashboard_filter_form(
            request.GET,
            organization=self.organization,
            by_programme_and_topic=self.by_programme_and_topic,
            programmes_shown=self.programmes_shown(),
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
        note_dashboard_opened(self.organization)
        return {
            **dashboard_context(self.organization, filters, viewer=self.membership),
            "can_edit_rates": self.membership.has_perm("settings.manage"),
            "export_links": self.export_links(),
        }

    def export_links(self) -> list[tuple[str, str]]:
        """The "Download" menu: every table, the detail, then each table alone, for the period and filters shown."""
        kept = {key: value for key, value in self.request.GET.items() if key not in ("table", "format") and value}
        base = reverse("analytics_export", args=[self.organization.slug])

        def link(table: str, file_format: str) -> str:
            return base + "?" + urlencode({**kept, "table": table, "format": file_format})

        detail = TABLES[DETAILED][0]
        return [
            (_("Every table (XLSX)"), link(EVERYTHING, Export.Format.XLSX)),
            (_("%(table)s (XLSX)") % {"table": detail}, link(DETAILED, Export.Format.XLSX)),
            (_("%(table)s (CSV)") % {"table": detail}, link(DETAILED, Export.Format.CSV)),
            *(
                (_("%(table)s (CSV)") % {"table": label}, link(key, Export.Format.CSV))
                for key, (label, _maker) in TABLES.items()
                if key != DETAILED
            ),
        ]


class MyImpactView(KpiPageView):
    """What a member's own shares brought: every member sees theirs, and only theirs."""

    permission = "shares.own"
    template_name = "analytics/my_impact.html"
    by_programme_and_topic = False

    def figures(self, filters: Filters) -> dict[str, Any]:
        return impact_context(self.organization, replace(filters, member=self.membership))


class ReferralListView(OrgUrlMixin, OrganizationPermissionMixin, TemplateView):
    """What members' referral codes brought over a period: per post and per ambassador, the newest events, and the
    cost per hire against the agency fee. Reads only selectors: five queries whatever the data. A bad period answers
    400 with the field's error and no figures, as the dashboard does."""

    permission = "analytics.view"
    template_name = "analytics/referrals.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # The organisation's day: its time zone is active on its pages.
        form = ReferralPeriodForm(request.GET, today=timezone.localdate())
        context = self.get_context_data(filter_form=form)
        if not form.is_valid():
            return self.render_to_response(context, status=400)
        context.update(self.figures(*form.period()))
        return self.render_to_response(context)

    def figures(self, start: date, end: date) -> dict[str, Any]:
        organization = self.organization
        totals = referrals.referral_totals(organization=organization, start=start, end=end)
        return {
            "start": start,
            "end": end,
            "totals": totals,
            "by_post": referrals.referrals_by_post(organization=organization, start=start, end=end),
            "by_ambassador": referrals.referrals_by_ambassador(organization=organization, start=start, end=end),
            "events": referrals.recent_referral_events(organization=organization, start=start, end=end),
            "cost": referrals.cost_per_hire(
                settings=referrals.referral_settings(organization=organization),
                hires=totals.hires,
                start=start,
                end=end,
            ),
        }

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "can_record": self.membership.has_perm("settings.manage")}


class ReferralCreateView(OrgUrlMixin, InvalidFormStatusMixin, OrganizationPermissionMixin, FormView):  # type: ignore[type-arg]
    """An admin records an application, a hire or a lead that was not reported by the webhook."""

    permission = "settings.manage"
    template_name = "analytics/referral_form.html"
    form_class = ReferralEventForm

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "organization": self.organization, "today": timezone.localdate()}

    def form_valid(self, form: ReferralEventForm) -> HttpResponse:
        data = form.cleaned_data
        # A day typed by hand has no time: midday of that day in the organisation's zone (now, if that is later).
        midday = dt.datetime.combine(data["occurred_on"], dt.time(12), tzinfo=timezone.get_current_timezone())
        try:
            referral_event_record(
                organization=self.organization,
                by=self.actor,
                kind=data["kind"],
                membership=data["membership"],
                post=data["post"],
                occurred_at=min(midday, timezone.now()),
                note=data["note"],
            )
        except ServiceError as error:
            add_service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The event was recorded."))
        return HttpResponseRedirect(self.org_url("referrals"))


class ReferralSettingsView(OrgUrlMixin, InvalidFormStatusMixin, OrganizationPermissionMixin, FormView):  # type: ignore[type-arg]
    """The webhook's address and secret (generated or rotated, never shown again) and the cost-per-hire figures."""

    permission = "settings.manage"
    template_name = "analytics/referral_settings.html"
    form_class = ReferralSettingsForm

    @cached_property
    def saved(self) -> ReferralSettings:
        return referrals.referral_settings(organization=self.organization)

    def get_initial(self) -> dict[str, Any]:
        return {
            "agency_fee": self.saved.agency_fee,
            "programme_cost_per_month": self.saved.programme_cost_per_month,
            "currency": self.saved.currency,
        }

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "saved": self.saved,
            "rotate": rotate_confirmation(),
            "webhook_url": self.request.build_absolute_uri(reverse("referral_webhook", args=[self.organization.slug])),
        }

    def form_valid(self, form: ReferralSettingsForm) -> HttpResponse:
        try:
            referral_settings_save(organization=self.organization, by=self.actor, **form.cleaned_data)
        except ServiceError as error:
            add_service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The referral settings were saved."))
        return HttpResponseRedirect(self.org_url("referral_settings"))


class ReferralSecretRotateView(OrgUrlMixin, OrganizationPermissionMixin, TemplateView):
    """GET asks for confirmation (the page the dialog stands for without JavaScript); POST generates the secret and
    shows it, once."""

    permission = "settings.manage"
    template_name = "organization/confirm.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), **rotate_confirmation(), "cancel_url": self.settings_url}

    @property
    def settings_url(self) -> str:
        return self.org_url("referral_settings")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            secret = referral_secret_rotate(organization=self.organization, by=self.actor)
        except ServiceError as error:
            messages.error(request, error.message)
            return HttpResponseRedirect(self.settings_url)
        response = render(request, "analytics/referral_secret.html", {"secret": secret})
        # The secret must not survive in a browser or proxy cache: it is never shown again.
        response["Cache-Control"] = "no-store"
        return response


def rotate_confirmation() -> dict[str, str]:
    """The wording of the rotation's confirmation, for its page and its dialog."""
    return {
        "title": _("Generate a new webhook secret?"),
        "question": _(
            "The current secret stops working at once: requests signed with it are refused until the careers site "
            "and the CRM use the new one."
        ),
        "button": _("Generate a new secret"),
    }


class RetentionPage(OrgUrlMixin, OrganizationPermissionMixin):
    @cached_property
    def today(self) -> datetime.date:
        """Today in the organisation's time zone, the calendar its figures are counted in."""
        return timezone.localtime(timezone.now(), ZoneInfo(self.organization.time_zone)).date()


class RetentionView(RetentionPage, TemplateView):
    """The share of active ambassadors and of the other members who left after a period, side by side. A bad period
    answers 400 with the field's error and no figures, as the dashboard does."""

    permission = "analytics.view"
    template_name = "analytics/retention.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        context = self.get_context_data(**kwargs)
        return self.render_to_response(context, status=400 if context["filter_form"].errors else 200)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        form = RetentionPeriodForm(self.request.GET, today=self.today)
        period = form.period()
        figures = retention(organization=self.organization, start=period[0], end=period[1]) if period else None
        groups = [(_("Active ambassadors"), figures.active), (_("Other members"), figures.others)] if figures else []
        return {
            **super().get_context_data(**kwargs),
            "filter_form": form,
            "figures": figures,
            "groups": groups,
            "min_group": settings.RELAIS_RETENTION_MIN_GROUP,
            "settled": figures is not None and figures.horizon_end < self.today,
            "can_import": self.membership.has_perm("members.manage"),
        }


def _lines(numbers: Sequence[int], shown: int = 20) -> str:
    listed = ", ".join(str(number) for number in numbers[:shown])
    return f"{listed}…" if len(numbers) > shown else listed


class LeaversImportView(RetentionPage, InvalidFormStatusMixin, FormView):  # type: ignore[type-arg]
    """Admins upload a list of leavers (an HR export) by e-mail address; every bad line is named, none recorded."""

    permission = "members.manage"
    template_name = "analytics/retention_leavers.html"
    form_class = LeaversImportForm

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "today": self.today}

    def form_valid(self, form: LeaversImportForm) -> HttpResponse:
        result = departures_import(organization=self.organization, by=self.actor, leavers=form.cleaned_data["file"])
        self._report(result)
        return HttpResponseRedirect(self.org_url("retention_leavers"))

    def _report(self, result: LeaversImported) -> None:
        messages.success(
            self.request,
            _(
                "The list was imported: %(recorded)s departures recorded, %(updated)s dates corrected, "
                "%(unchanged)s already known."
            )
            % {"recorded": result.recorded, "updated": result.updated, "unchanged": result.unchanged},
        )
        if result.unknown:
            count = len(result.unknown)
            messages.warning(
                self.request,
                ngettext(
                    "%(count)s address matches no member, present or past: skipped (line %(lines)s).",
                    "%(count)s addresses match no member, present or past: skipped (lines %(lines)s).",
                    count,
                )
                % {"count": count, "lines": _lines(result.unknown)},
            )
        if result.before_joining:
            count = len(result.before_joining)
            messages.warning(
                self.request,
                ngettext(
                    "%(count)s date is before the member joined: skipped (line %(lines)s).",
                    "%(count)s dates are before the member joined: skipped (lines %(lines)s).",
                    count,
                )
                % {"count": count, "lines": _lines(result.before_joining)},
            )


class CommunityInsightsView(KpiPageView):
    """The KPI review shared with the ambassadors themselves: the figures of a programme they belong to (or of the
    organisation), what their audiences click, what worked, the quarter's goals, and the colleagues who chose to be
    named."""

    permission = "organization.view"
    template_name = "analytics/community.html"

    def programmes_shown(self) -> QuerySet[Programme]:
        return insight_programmes(membership=self.membership)

    def figures(self, filters: Filters) -> dict[str, Any]:
        return community_context(self.organization, filters, viewer=self.membership)


def _scoped_bytes(organization: Organization, pieces: Callable[[], Iterator[str]]) -> Iterator[bytes]:
    """A streamed body runs after the view has returned, outside the request's scope and language: it enters them
    again, and only then starts the queries."""
    language = translation.get_language()
    with organization_scope(organization), translation.override(language):
        for piece in pieces():
            yield piece.encode()


def export_response(organization: Organization, filters: Filters, table: str, file_format: str) -> HttpResponseBase:
    """The file, written during the request: CSV streamed as it is written, XLSX written to a temporary file (rows on
    disk, not in memory) then streamed from it."""
    name = download_name(organization, filters, table, file_format)
    if file_format == Export.Format.CSV:
        response = StreamingHttpResponse(
            _scoped_bytes(organization, lambda: csv_lines(next(sheets(organization, filters, table)))),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = content_disposition_header(True, name)
        return response
    handle = tempfile.TemporaryFile()
    write_xlsx(sheets(organization, filters, table), handle)
    handle.seek(0)
    return FileResponse(handle, as_attachment=True, filename=name, content_type=XLSX_TYPE)


class ExportView(OrgUrlMixin, OrganizationPermissionMixin, TemplateResponseMixin, ContextMixin, View):
    """``?table=…&format=…`` with the dashboard's period and filters: the file at once up to
    ``RELAIS_EXPORT_SYNC_ROWS`` rows; beyond, a page that offers to prepare it in the background (POST), since a GET
    must not start work. Bad filters answer 400 with the fields' errors."""

    permission = "analytics.view"
    template_name = "analytics/export.html"

    def parsed(self) -> tuple[dict[str, Any], tuple[Filters, str, str] | None]:
        form = dashboard_filter_form(self.request.GET, organization=self.organization)
        export_form = ExportForm(self.request.GET)
        context = self.get_context_data(form=form, export_form=export_form)
        if not form.is_valid() or not export_form.is_valid():
            return context, None
        return context, (form.filters(), export_form.cleaned_data["table"], export_form.cleaned_data["format"])

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        context, parsed = self.parsed()
        if parsed is None:
            return self.render_to_response(context, status=400)
        filters, table, file_format = parsed
        rows = row_count(self.organization, filters, table)
        if rows <= settings.RELAIS_EXPORT_SYNC_ROWS:
            return export_response(self.organization, filters, table, file_format)
        context.update(rows=rows, table_label=TABLES[table][0], days=settings.RELAIS_EXPORT_DAYS)
        return self.render_to_response(context)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        context, parsed = self.parsed()
        if parsed is None:
            return self.render_to_response(context, status=400)
        filters, table, file_format = parsed
        export = export_request(
            organization=self.organization,
            membership=self.membership,
            filters=filters,
            table=table,
            file_format=file_format,
            rows_total=row_count(self.organization, filters, table),
        )
        return HttpResponseRedirect(self.org_url("analytics_export_status", export.pk))


class OwnExportMixin(OrganizationPermissionMixin):
    """An export of this organisation that this member asked for; anyone else's is a 404."""

    permission = "analytics.view"
    model = Export
    kwargs: dict[str, Any]

    def get_object(self) -> Export:
        export = (
            member_exports(organization=self.organization, membership=self.membership)
            .filter(pk=self.kwargs["pk"])
            .first()
        )
        if export is None:
            raise Http404
        return export


class ExportStatusView(OwnExportMixin, TemplateView):
    """Where a background export stands, polled by htmx while it is written; the download link once it is ready."""

    template_name = "analytics/export_status.html"

    def get_template_names(self) -> list[str]:
        if self.request.htmx:  # type: ignore[attr-defined]
            return ["analytics/_export_status.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        export = self.get_object()
        return {
            **super().get_context_data(**kwargs),
            "export": export,
            "table_label": TABLES[export.table][0] if export.table in TABLES else "",
            "expired": export.expires_at <= timezone.now(),
        }


class ExportDownloadView(OwnExportMixin, View):
    """The file of a ready export, to the member who asked for it, until it expires."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        export = self.get_object()
        if export.status != Export.Status.DONE or not export.stored_name or export.expires_at <= timezone.now():
            # Not ready, failed or expired: its status page says which.
            return HttpResponseRedirect(reverse("analytics_export_status", args=[self.organization.slug, export.pk]))
        try:
            handle = default_storage.open(export.stored_name, "rb")
        except OSError as exc:
            raise Http404 from exc
        content_type = XLSX_TYPE if export.file_format == Export.Format.XLSX else "text/csv; charset=utf-8"
        response = FileResponse(handle, as_attachment=True, filename=export.download_name, content_type=content_type)
        response["Cache-Control"] = "private, no-store"
        return response
