from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from analytics.links import utm_template_errors
from analytics.models import TrackingSettings


class TrackingSettingsForm(forms.Form):
    utm_template = forms.CharField(
        label=_("Tracking parameters"),
        required=False,
        max_length=TrackingSettings._meta.get_field("utm_template").max_length,
        help_text=TrackingSettings._meta.get_field("utm_template").help_text,
    )

    def clean_utm_template(self) -> str:
        template: str = self.cleaned_data["utm_template"].strip()
        errors = utm_template_errors(template)
        if errors:
            raise ValidationError(errors)
        return template
