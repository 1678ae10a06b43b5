"""The link tracking settings page, under /o/<org>/ (the scope middleware applies)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.generic import FormView

from advocacy.errors import ServiceError
from advocacy.views.base import InvalidFormStatusMixin, OrganizationPermissionMixin, OrgUrlMixin, add_service_error
from analytics.forms import TrackingSettingsForm
from analytics.links import destination_for
from analytics.models import TrackingSettings
from analytics.selectors import tracking_settings
from analytics.services import tracking_settings_save
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
