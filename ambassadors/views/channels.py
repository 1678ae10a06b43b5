"""A programme's Slack and Teams channels, under /o/<org>/programmes/<pk>/channels/ (one channel's actions under
/o/<org>/programmes/channels/<pk>/): for the organisation's admins and the programme's own (``programme_access``'s
``can_manage_members``, on the channel's own programme); anyone else is refused as on the programme's other pages."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from advocacy.errors import ServiceError
from advocacy.models import Programme
from advocacy.views.base import ConfirmActionView, add_service_error
from advocacy.views.programmes import ProgrammeAccessMixin
from ambassadors.forms_channels import WebhookForm
from ambassadors.models import ProgrammeWebhook
from ambassadors.services.channels import (
    organization_webhook,
    programme_webhooks,
    webhook_create,
    webhook_delete,
    webhook_error_text,
    webhook_send_test,
    webhook_set_active,
)


class ChannelAccessMixin(ProgrammeAccessMixin):
    need = "can_manage_members"
    # What a channel action's ``pk`` names.
    model = ProgrammeWebhook

    def channels_url(self) -> str:
        return self.org_url("programme_channels", self.get_programme().pk)


class WebhookMixin(ChannelAccessMixin):
    """A channel's actions: the channel is found in the organisation by ``pk``, and access is its programme's."""

    def _load(self) -> ProgrammeWebhook:
        if not hasattr(self, "_webhook"):
            webhook = organization_webhook(organization=self.organization, pk=self.kwargs["pk"])
            if webhook is None:
                raise Http404
            self._webhook: ProgrammeWebhook = webhook
        return self._webhook

    def get_programme(self) -> Programme:
        return self._load().programme

    def get_webhook(self) -> ProgrammeWebhook:
        webhook = self._load()
        self.access()
        return webhook


class ChannelsView(ChannelAccessMixin, TemplateView):
    """The programme's channels, with their last delivery and last failure; POST adds one."""

    template_name = "ambassadors/channels.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        self.access()
        webhooks = list(programme_webhooks(programme=self.get_programme()))
        rows = [
            {"webhook": webhook, "error": webhook_error_text(webhook.last_error) if webhook.last_error else ""}
            for webhook in webhooks
        ]
        return super().get_context_data(
            programme=self.get_programme(), rows=rows, form=kwargs.pop("form", None) or WebhookForm(), **kwargs
        )

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.access()
        form = WebhookForm(request.POST)
        if form.is_valid():
            try:
                webhook_create(programme=self.get_programme(), by=self.actor, **form.cleaned_data)
            except ServiceError as error:
                add_service_error(form, error)
            else:
                messages.success(request, _("The channel was added: new featured posts will be announced there."))
                return redirect(self.channels_url())
        return self.render_to_response(self.get_context_data(form=form), status=400)


class ChannelActiveView(WebhookMixin, View):
    """POST ``active`` = ``1`` resumes a channel, ``0`` pauses it."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        active = request.POST.get("active") == "1"
        webhook_set_active(webhook=self.get_webhook(), active=active, by=self.actor)
        messages.success(request, _("The channel was resumed.") if active else _("The channel was paused."))
        return redirect(self.channels_url())


class ChannelTestView(WebhookMixin, View):
    """POST: send a test message to the channel now."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            webhook_send_test(webhook=self.get_webhook(), by=self.actor)
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The test message was delivered: check the channel."))
        return redirect(self.channels_url())


class ChannelDeleteView(WebhookMixin, ConfirmActionView):
    def get_object(self) -> ProgrammeWebhook:
        return self.get_webhook()

    def confirmation(self, obj: ProgrammeWebhook) -> dict[str, str]:
        return {
            "title": _("Remove the %(service)s channel?") % {"service": obj.get_kind_display()},
            "question": _("Featured posts will no longer be announced there. The channel itself stays as it is."),
            "button": _("Remove the channel"),
            "cancel_url": self.channels_url(),
        }

    def perform(self, obj: ProgrammeWebhook) -> str:
        webhook_delete(webhook=obj, by=self.actor)
        return _("The channel was removed.")


urlpatterns: list[URLPattern] = [
    path("programmes/<int:pk>/channels/", ChannelsView.as_view(), name="programme_channels"),
    path("programmes/channels/<int:pk>/active/", ChannelActiveView.as_view(), name="programme_channel_active"),
    path("programmes/channels/<int:pk>/test/", ChannelTestView.as_view(), name="programme_channel_test"),
    path("programmes/channels/<int:pk>/delete/", ChannelDeleteView.as_view(), name="programme_channel_delete"),
]
