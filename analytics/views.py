"""The link tracking settings and the retention pages, under /o/<org>/ (the scope middleware applies)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.generic import FormView, TemplateView

from advocacy.errors import ServiceError
from advocacy.views.base import InvalidFormStatusMixin, OrganizationPermissionMixin, OrgUrlMixin, add_service_error
from analytics.forms import LeaversImportForm, RetentionPeriodForm, TrackingSettingsForm
from analytics.links import destination_for
from analytics.models import TrackingSettings
from analytics.retention import MIN_GROUP, retention
from analytics.selectors import tracking_settings
from analytics.services import LeaversImported, departures_import, tracking_settings_save
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


class RetentionPage(OrgUrlMixin, OrganizationPermissionMixin):
    @cached_property
    def today(self) -> datetime.date:
        """Today in the organisation's time zone, the calendar its figures are counted in."""
        return timezone.localtime(timezone.now(), ZoneInfo(self.organization.time_zone)).date()


class RetentionView(RetentionPage, TemplateView):
    """The share of active ambassadors and of the other members who left after a period, side by side."""

    permission = "analytics.view"
    template_name = "analytics/retention.html"

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
            "min_group": MIN_GROUP,
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
