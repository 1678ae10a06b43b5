"""The KPI dashboard and the link tracking settings, under /o/<org>/ (the scope middleware applies)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import cached_property
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView, View
from django.views.generic.base import ContextMixin, TemplateResponseMixin

from advocacy.errors import ServiceError
from advocacy.models import Organization, Programme
from advocacy.tenancy import organization_scope
from advocacy.views.base import InvalidFormStatusMixin, OrganizationPermissionMixin, OrgUrlMixin, add_service_error
from analytics.dashboard import Filters, Period
from analytics.exports import DETAILED, EVERYTHING, TABLES, csv_lines, download_name, row_count, sheets, write_xlsx
from analytics.forms import DashboardFilterForm, ExportForm, TrackingSettingsForm
from analytics.links import destination_for
from analytics.models import Export, TrackingSettings
from analytics.presentation import dashboard_context, impact_context, quick_periods
from analytics.selectors import tracking_settings
from analytics.services import export_request, tracking_settings_save
from content.models import Network, Post, Topic

EXAMPLE_LINK = "https://example.com/careers/engineer"
EXAMPLE_TITLE = "Engineer"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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


def dashboard_filters(
    request: HttpRequest, organization: Organization, *, by_programme_and_topic: bool = True
) -> tuple[DashboardFilterForm, Filters | None]:
    """The period and filters of the query string, as the dashboard and its exports read them; None when the form has
    errors."""
    today = timezone.localtime(timezone.now(), ZoneInfo(organization.time_zone)).date()
    programmes: dict[int, Programme] = {}
    topics: dict[int, Topic] = {}
    if by_programme_and_topic:
        programmes = {p.pk: p for p in Programme.objects.filter(organization=organization).order_by("name")}
        topics = {t.pk: t for t in Topic.objects.filter(organization=organization).order_by("name")}
    form = DashboardFilterForm(
        request.GET,
        today=today,
        programmes=[(pk, programme.name) for pk, programme in programmes.items()],
        topics=[(pk, topic.name) for pk, topic in topics.items()],
    )
    if not form.is_valid():
        return form, None
    cleaned = form.cleaned_data
    return form, Filters(
        period=Period(cleaned["start"], cleaned["end"]),
        programme=programmes.get(cleaned.get("programme") or 0),
        topic=topics.get(cleaned.get("topic") or 0),
        network=cleaned.get("network") or "",
    )


class KpiPageView(OrganizationPermissionMixin, TemplateView):
    """A page of figures over a period chosen in the query string (``analytics.forms.DashboardFilterForm``). A bad
    period or filter answers 400 with the field's error and no figures."""

    # Whether the page filters by programme and topic (the managers' pages) or by period and network only.
    by_programme_and_topic = True

    def figures(self, filters: Filters) -> dict[str, Any]:
        raise NotImplementedError

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form, filters = dashboard_filters(
            request, self.organization, by_programme_and_topic=self.by_programme_and_topic
        )
        context = self.get_context_data(form=form, quick_periods=self.quick_links(form.today))
        if filters is None:
            return self.render_to_response(context, status=400)
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
        return {**dashboard_context(self.organization, filters), "export_links": self.export_links()}

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
        form, filters = dashboard_filters(self.request, self.organization)
        export_form = ExportForm(self.request.GET)
        context = self.get_context_data(form=form, export_form=export_form)
        if filters is None or not export_form.is_valid():
            return context, None
        return context, (filters, export_form.cleaned_data["table"], export_form.cleaned_data["format"])

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
        export = Export.objects.filter(
            organization=self.organization, requested_by=self.membership, pk=self.kwargs["pk"]
        ).first()
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
