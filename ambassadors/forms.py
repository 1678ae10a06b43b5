"""Forms of the shares pages and the publishing settings. They parse input only; ``ambassadors.services.shares``
decides what is allowed and refuses with a ``ServiceError`` naming the field. Dates are typed in the member's time
zone: the views make it the current one."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from advocacy.query import QueryChoiceIdField, QueryForm, QuerySelect
from ambassadors.models import Share
from content.models import Network

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
NOW, LATER = "now", "later"


def _when_field() -> forms.DateTimeField:
    return forms.DateTimeField(
        label=_("Date and time"),
        required=False,
        input_formats=DATETIME_FORMATS,
        widget=DATETIME_INPUT,
        help_text=_("In your time zone (%(zone)s)."),
    )


class ZoneHelpMixin(forms.Form):
    """Names the member's time zone (``zone``) in the help of the ``at`` field. Done when the form is built: a bound
    field copies its help text when validation first creates it, so a later change would not show on a form shown
    again with its errors."""

    def __init__(self, *args: Any, zone: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["at"]
        field.help_text = str(field.help_text) % {"zone": zone}


class ShareCreateForm(ZoneHelpMixin):
    network = forms.ChoiceField(label=_("Network"), choices=Network.choices, widget=forms.RadioSelect)
    text = forms.CharField(
        label=_("Your text"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Say it in your own words. The disclosure the charter requires is added for you."),
    )
    when = forms.ChoiceField(
        label=_("When"),
        choices=[(NOW, _("Now")), (LATER, _("At a time I choose"))],
        initial=NOW,
        widget=forms.RadioSelect,
    )
    at = _when_field()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("when") == LATER and not cleaned.get("at"):
            self.add_error("at", _("Choose the date and time, or share now."))
        return cleaned

    def scheduled_at(self) -> datetime | None:
        return self.cleaned_data["at"] if self.cleaned_data["when"] == LATER else None


class ShareRescheduleForm(ZoneHelpMixin):
    at = _when_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["at"].required = True
        self.fields["at"].label = _("New date and time")


class ShareTextForm(forms.Form):
    text = forms.CharField(label=_("Your text"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 6}))


class MarkPostedForm(forms.Form):
    url = forms.CharField(
        label=_("Address of your post (optional)"),
        required=False,
        max_length=500,
        widget=forms.URLInput(attrs={"inputmode": "url", "placeholder": "https://"}),
        help_text=_("Copy it from the network, so clicks and reactions can be counted."),
    )


FOR_YOU, EVERYTHING = "for_you", "all"


class FeedFilterForm(QueryForm):
    # Chosen with the tabs above the filters; kept in the filter form so filtering stays on the same tab.
    show = forms.ChoiceField(
        required=False,
        choices=[(FOR_YOU, _("My interests")), (EVERYTHING, _("Everything for me"))],
        widget=forms.HiddenInput,
    )
    topic = QueryChoiceIdField(label=_("Topic"), empty_label=_("All topics"))
    network = forms.ChoiceField(
        label=_("Network"),
        required=False,
        choices=[("", _("All networks")), (Network.LINKEDIN, "LinkedIn"), (Network.X, "X")],
        widget=QuerySelect,
        help_text=_("Posts with a text suggested for this network."),
    )

    def __init__(self, *args: Any, topics: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        topic = self.fields["topic"]
        assert isinstance(topic, QueryChoiceIdField)
        topic.set_choices(topics)


class ShareFilterForm(QueryForm):
    # Without a status the page shows its sections; "needs_you" and "upcoming" list a whole section (``published``
    # is both a section and a status).
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("Overview")),
            ("needs_you", _("Needs you")),
            ("upcoming", _("Upcoming")),
            *Share.Status.choices,
        ],
    )


class PublishingSettingsForm(forms.Form):
    x_api_enabled = forms.BooleanField(
        label=_("Publish to X through the API"),
        required=False,
        # Both states in words: a help reading "Off: …" beside a ticked box read as the box's state.
        help_text=_(
            "Ticked: X shares are posted through X's API and billed against the budget below. Unticked: each goes "
            "by copy-and-open, which costs nothing."
        ),
    )
    x_monthly_budget = forms.DecimalField(
        label=_("Monthly X budget (USD)"),
        min_value=Decimal("0"),
        max_digits=8,
        decimal_places=2,
        help_text=_("When this month's X spend would go over it, X shares fall back to copy-and-open."),
    )


class ComposerForm(ShareCreateForm):
    """The composer: the share form, with the suggested text the member started from."""

    variant = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["text"].widget.attrs["rows"] = 8
        self.fields["text"].help_text = _(
            "Start from the suggestion, then say why it matters to you. The disclosure is added for you."
        )
        self.fields["when"].widget.attrs["class"] = "form-check-input"


class ComposerCheckForm(forms.Form):
    """What the composer's live check reads: never saved, so only shaped, not judged."""

    network = forms.ChoiceField(choices=Network.choices)
    text = forms.CharField(max_length=10_000, required=False, strip=False)
    when = forms.ChoiceField(choices=[(NOW, NOW), (LATER, LATER)], required=False)
    at = forms.DateTimeField(required=False, input_formats=DATETIME_FORMATS)
