"""The forms a member fills about themselves, on the welcome tour and on their profile page alike.

Every choice is a list drawn from the member's organisation: a topic or a programme of another organisation, or a
programme not open to volunteers, is an invalid choice on its field, never a row.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from advocacy.models import Membership, Programme
from advocacy.timezones import TimeZoneField
from ambassadors.models import AmbassadorProfile
from content.models import Topic


class ProgrammesForm(forms.Form):
    prefix = "programmes"

    programmes = forms.ModelMultipleChoiceField(
        label=_("Programmes open to volunteers"),
        queryset=Programme.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, membership: Membership, open_programmes: list[Programme], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["programmes"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = Programme.objects.filter(organization=membership.organization_id, open_to_volunteers=True)
        # The page already read the open programmes: the check boxes reuse that list, each label the programme itself
        # so that the template shows its description beside its name.
        field.choices = [(programme.pk, programme) for programme in open_programmes]


class ProfileForm(forms.Form):
    prefix = "profile"

    interests = forms.ModelMultipleChoiceField(
        label=_("My interests"),
        queryset=Topic.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The posts on these topics come first in your feed."),
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages I share in"),
        choices=settings.LANGUAGES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    time_zone = TimeZoneField(
        required=False,
        blank_label=_("The organisation's time zone"),
        help_text=_("Your scheduled shares and sharing hours follow this time zone."),
    )
    show_in_rankings = forms.BooleanField(
        label=AmbassadorProfile._meta.get_field("show_in_rankings").verbose_name,
        required=False,
        help_text=AmbassadorProfile._meta.get_field("show_in_rankings").help_text,
    )

    def __init__(
        self, *args: Any, membership: Membership, topics: list[Topic], prefill_device_zone: bool = False, **kwargs: Any
    ) -> None:
        """``prefill_device_zone``: an empty time zone starts from the browser's (static/js/welcome.js)."""
        super().__init__(*args, **kwargs)
        field = self.fields["interests"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = Topic.objects.filter(organization=membership.organization_id)
        field.choices = [(topic.pk, topic.name) for topic in topics]
        if not topics:
            field.help_text = _("Your communications team has not created any topic yet: every post comes to you.")
        if prefill_device_zone:
            self.fields["time_zone"].widget.attrs["data-prefill-device-zone"] = ""


class ChecklistForm(forms.Form):
    prefix = "checklist"

    checklist = forms.MultipleChoiceField(
        label=_("What my LinkedIn profile already has"),
        choices=AmbassadorProfile.Checklist.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("People trust a complete profile more: tick what yours has, and fill in the rest."),
    )
