"""Forms of the content pages: library filters, the post editor with its per-network variants, topics.

They validate input only; views hand ``cleaned_data`` to ``content.services``. Plain forms rather than ModelForms,
as in ``advocacy.forms``: invalid input must never reach the instance being edited.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from advocacy.images import POST_IMAGE, ImageUploadField
from advocacy.models import Organization, Programme, colour_validator
from advocacy.query import QueryChoiceIdField, QueryDateField, QueryForm, QuerySelect
from content.models import Network, Post, Topic, referral_parameter_validator
from content.selectors import LibraryFilterChoices
from content.services import VariantInput
from content.text import LIMITS, validate_variant_text

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
MAX_VARIANTS_PER_NETWORK = 10
VARIANT_NETWORKS: tuple[Network, ...] = (Network.LINKEDIN, Network.X, Network.GENERIC)
SORT_CHOICES = [
    ("-created", _("Newest first")),
    ("created", _("Oldest first")),
    ("publish_at", _("Publish date (soonest first)")),
    ("-publish_at", _("Publish date (latest first)")),
    ("title", _("Title (A–Z)")),
]


def _with_blank(choices: Any, label: Any) -> list[tuple[str, Any]]:
    return [("", label), *list(choices)]


def _model_choice(form: forms.Form, name: str) -> forms.ModelChoiceField[Any]:
    return cast("forms.ModelChoiceField[Any]", form.fields[name])


def _id_choice(form: forms.Form, name: str) -> QueryChoiceIdField:
    return cast("QueryChoiceIdField", form.fields[name])


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class DateTimeLocalInput(forms.DateTimeInput):
    """``<input type="datetime-local">``; the view runs in the organisation's time zone, so values are local."""

    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format=DATETIME_LOCAL)


class LibraryFilterForm(QueryForm):
    q = forms.CharField(label=_("Search"), required=False, max_length=200, help_text=_("In titles and variant texts."))
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=_with_blank(Post.Status.choices, _("All statuses")),
        widget=QuerySelect,
    )
    topic = QueryChoiceIdField(label=_("Topic"), empty_label=_("All topics"))
    programme = QueryChoiceIdField(label=_("Programme"), empty_label=_("All programmes"))
    network = forms.ChoiceField(
        label=_("Network"),
        required=False,
        choices=_with_blank(Network.choices, _("All networks")),
        widget=QuerySelect,
    )
    author = QueryChoiceIdField(label=_("Author"), empty_label=_("All authors"))
    date_from = QueryDateField(label=_("Publish date from"))
    date_to = QueryDateField(label=_("Publish date to"))
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORT_CHOICES, widget=QuerySelect)

    def __init__(self, *args: Any, choices: LibraryFilterChoices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _id_choice(self, "topic").set_choices(choices.topics)
        _id_choice(self, "programme").set_choices(choices.programmes)
        _id_choice(self, "author").set_choices(choices.authors)

    def filters(self) -> dict[str, Any]:
        """The valid filters; an invalid one (shown as a field error) is ignored rather than failing the page."""
        return {
            "search": self.value("q", "").strip(),
            "status": self.value("status", ""),
            "topic": self.value("topic"),
            "programme": self.value("programme"),
            "network": self.value("network", ""),
            "author": self.value("author"),
            "date_from": self.value("date_from"),
            "date_to": self.value("date_to"),
            "sort": self.value("sort", "-created"),
        }


class PostForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    link = forms.URLField(
        label=_("Link to share"),
        required=False,
        max_length=2000,
        assume_scheme="https",
        validators=[
            URLValidator(schemes=["http", "https"], message=_("Enter a web address starting with http(s)://."))
        ],
        help_text=_("An http:// or https:// address. Its preview (title, description, image) is fetched on save."),
    )
    referral_parameter = forms.CharField(
        label=_("Referral parameter"),
        required=False,
        max_length=Post._meta.get_field("referral_parameter").max_length,
        validators=[referral_parameter_validator],
        help_text=Post._meta.get_field("referral_parameter").help_text,
    )
    campaign = forms.ChoiceField(
        label=_("Campaign"),
        required=False,
        choices=Post.Campaign.choices,
        help_text=Post._meta.get_field("campaign").help_text,
    )
    image = ImageUploadField(label=_("Image"), required=False, rules=POST_IMAGE)
    note = forms.CharField(
        label=_("Note to ambassadors"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why share this, and what angle to take."),
    )
    topics = forms.ModelMultipleChoiceField(
        label=_("Topics"), required=False, queryset=Topic.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    programmes = forms.ModelMultipleChoiceField(
        label=_("Target programmes"),
        required=False,
        queryset=Programme.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every ambassador of the organisation."),
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages"), required=False, choices=settings.LANGUAGES, widget=forms.CheckboxSelectMultiple
    )
    publish_at = forms.DateTimeField(
        label=_("Publish on"),
        required=False,
        widget=DateTimeLocalInput(),
        help_text=_("In the organisation's time zone (%(zone)s). Empty: as soon as it is approved."),
    )
    expires_at = forms.DateTimeField(
        label=_("Expires on"),
        required=False,
        widget=DateTimeLocalInput(),
        help_text=_("In the organisation's time zone (%(zone)s). Empty: never."),
    )
    confidential_until = forms.DateTimeField(
        label=_("Confidential until"),
        required=False,
        widget=DateTimeLocalInput(),
        help_text=_("In the organisation's time zone (%(zone)s). Nobody can share the post before this time."),
    )
    editable_by_ambassadors = forms.BooleanField(label=_("Ambassadors may edit the text"), required=False)
    featured = forms.BooleanField(label=_("Featured"), required=False)
    expected_revision = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _model_choice(self, "topics").queryset = Topic.objects.filter(organization=organization).order_by("name")
        _model_choice(self, "programmes").queryset = Programme.objects.filter(organization=organization).order_by(
            "name"
        )
        for name in ("publish_at", "expires_at", "confidential_until"):
            self.fields[name].help_text = self.fields[name].help_text % {"zone": organization.time_zone}

    @classmethod
    def raw_values(cls, data: Any) -> dict[str, Any]:
        """What was typed, as initial values: the editor shown again without validating it (the image cannot be
        kept, a browser never sends a file twice)."""
        fields = cls.base_fields
        return {
            name: field.widget.value_from_datadict(data, {}, name) for name, field in fields.items() if name != "image"
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        publish_at, expires_at = data.get("publish_at"), data.get("expires_at")
        if publish_at and expires_at and expires_at <= publish_at:
            self.add_error("expires_at", gettext("The expiry must come after the publish date."))
        return data

    def post_fields(self) -> dict[str, Any]:
        """The post's fields in the shape ``post_create`` / ``post_update`` take (the image only when it changes)."""
        data = {
            name: self.cleaned_data[name]
            for name in (
                "title",
                "link",
                "referral_parameter",
                "campaign",
                "note",
                "topics",
                "programmes",
                "languages",
                "publish_at",
                "expires_at",
                "confidential_until",
                "editable_by_ambassadors",
                "featured",
            )
        }
        data["topics"] = list(data["topics"])
        data["programmes"] = list(data["programmes"])
        image = self.cleaned_data.get("image")
        if image is False:
            data["image"] = ""
        elif isinstance(image, UploadedFile):
            data["image"] = image
        return data


class VariantForm(forms.Form):
    text = forms.CharField(label=_("Text"), required=False, strip=True, widget=forms.Textarea(attrs={"rows": 4}))


# absolute_max caps the forms built from a tampered TOTAL_FORMS; validate_max turns the excess into an error.
VariantFormSet = forms.formset_factory(
    VariantForm,
    extra=0,
    max_num=MAX_VARIANTS_PER_NETWORK,
    validate_max=True,
    absolute_max=MAX_VARIANTS_PER_NETWORK + 1,
)


class VariantFormSets:
    """One formset per network (``linkedin-0-text``, ``x-1-text``…), each with one empty form to fill in.

    Without JavaScript, "Add a variant" posts the whole editor back with one more empty form for that network;
    an emptied text removes its variant.
    """

    def __init__(
        self,
        data: Any = None,
        *,
        initial: dict[str, list[str]] | None = None,
        add: str = "",
    ) -> None:
        self.formsets: list[tuple[Network, Any]] = []
        self.valid: bool | None = None
        for network in VARIANT_NETWORKS:
            texts = (initial or {}).get(network.value, [])
            network_data = data
            if data is not None and add == network.value:
                network_data = data.copy()
                key = f"{network.value}-TOTAL_FORMS"
                network_data[key] = str(min(_as_int(data.get(key)) + 1, MAX_VARIANTS_PER_NETWORK))
            formset = VariantFormSet(
                network_data,
                prefix=network.value,
                initial=[{"text": text} for text in texts] + [{"text": ""}] if data is None else None,
            )
            for number, form in enumerate(formset.forms, start=1):
                _decorate(form, network, number)
            if add == network.value and formset.forms:
                formset.forms[-1].fields["text"].widget.attrs["autofocus"] = True  # the new, empty text
            self.formsets.append((network, formset))

    def __iter__(self) -> Any:
        return iter(self.formsets)

    @property
    def has_errors(self) -> bool:
        return self.valid is False

    def is_valid(self) -> bool:
        valid = True
        for network, formset in self.formsets:
            if not formset.is_valid():
                valid = False
                continue
            for number, form in enumerate(formset.forms, start=1):
                text = form.cleaned_data.get("text", "")
                if not text:
                    continue
                for problem in validate_variant_text(network.value, text):
                    label = gettext("%(network)s variant %(number)d") % {"network": network.label, "number": number}
                    form.add_error("text", f"{label}: {problem}")
                    form.fields["text"].widget.attrs["aria-describedby"] = f"{form['text'].auto_id}_error"
                    valid = False
        self.valid = valid
        return valid

    def inputs(self) -> list[VariantInput]:
        """The non-empty variants, in the order typed, as the services take them."""
        return [
            VariantInput(network=network.value, text=form.cleaned_data["text"])
            for network, formset in self.formsets
            for form in formset.forms
            if form.cleaned_data.get("text")
        ]


def _as_int(value: Any) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return 0


def _decorate(form: forms.Form, network: Network, number: int) -> None:
    """Label each textarea with its network and number, and give the live counter what it needs."""
    field = form.fields["text"]
    field.label = gettext("%(network)s variant %(number)d") % {"network": network.label, "number": number}
    # counter.js adds the <output> after the textarea and announces, with these messages, crossing the limit.
    field.widget.attrs.update(
        {
            "data-network": network.value,
            "data-over-message": gettext("%(length)s of %(limit)s characters: over the limit."),
            "data-under-message": gettext("%(length)s of %(limit)s characters: within the limit."),
        }
    )
    limit = LIMITS.get(network.value)
    if limit is not None:  # copy-and-open networks have no limit: the counter only counts
        field.widget.attrs["data-limit"] = str(limit)


class TopicForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    colour = forms.CharField(
        label=_("Colour"),
        max_length=7,
        initial="#1d4ed8",
        validators=[colour_validator],
        widget=forms.TextInput(attrs={"type": "color"}),
        help_text=_("A colour such as #1d4ed8, used for the topic's badge."),
    )
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
