"""The form that adds a Slack or Teams channel to a programme. The address rule is the service's
(``validate_webhook_url``); its error is shown under the address, in the member's language."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ambassadors.models import ProgrammeWebhook
from ambassadors.services.channels import validate_webhook_url


class WebhookForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Service"), choices=ProgrammeWebhook.Kind.choices, widget=forms.RadioSelect, initial="slack"
    )
    url = forms.CharField(
        label=_("Webhook address"),
        max_length=1000,
        widget=forms.URLInput(attrs={"autocomplete": "off", "spellcheck": "false", "inputmode": "url"}),
        help_text=_(
            "Created in Slack (an incoming webhook or a workflow) or in Teams (a Workflows webhook). Kept secret: "
            "only its host is shown afterwards."
        ),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind, url = cleaned.get("kind"), cleaned.get("url")
        if kind and url:
            try:
                validate_webhook_url(kind, url)
            except ValidationError as error:
                self.add_error("url", error)
        return cleaned
