"""Forms of the compliance and incident pages. They parse input only; ``charter.compliance`` and
``charter.incidents`` decide what is allowed and refuse with a ``ServiceError`` naming the field."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from advocacy.models import Membership
from advocacy.query import QueryForm
from charter.models import ComplianceRules, Incident
from content.models import Post
from content.selectors import posts_visible_to
from content.text import LIMITS

TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
WEEKDAYS = [
    (1, _("Monday")),
    (2, _("Tuesday")),
    (3, _("Wednesday")),
    (4, _("Thursday")),
    (5, _("Friday")),
    (6, _("Saturday")),
    (7, _("Sunday")),
]
NETWORKS = [("linkedin", "LinkedIn"), ("x", "X"), ("generic", _("Other networks"))]
DISCLOSURE_FIELDS = {"linkedin": "disclosure_linkedin", "x": "disclosure_x", "generic": "disclosure_generic"}


def _model_max_length(name: str) -> int:
    field = ComplianceRules._meta.get_field(name)
    assert isinstance(field, models.CharField)
    return int(field.max_length or 0)


def _disclosure_field(network: str, label: Any) -> forms.CharField:
    name = DISCLOSURE_FIELDS[network]
    limit = LIMITS.get(network)
    # data-network/data-limit: counter.js shows the disclosure's length, counted the network's way, against its limit.
    attrs = {"rows": 2, "data-network": network}
    if limit is not None:
        attrs["data-limit"] = limit
    maximum = _model_max_length(name)
    return forms.CharField(
        label=label,
        required=False,
        max_length=maximum,
        widget=forms.Textarea(attrs=attrs),
        error_messages={
            "max_length": _(
                "A disclosure on this network is limited to %(limit_value)d characters, so that the "
                "text shared keeps room; this one has %(show_value)d."
            )
        },
    )


class RulesForm(forms.Form):
    """The organisation's rules, or a programme's own (without the re-consent period, which is the organisation's)."""

    blocked_phrases = forms.CharField(
        label=_("Blocked words and phrases"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "One per line. Matched whole, whatever the case and accents (“confidentiel” also blocks "
            "“CONFIDENTIEL” and “confidentièl”)."
        ),
    )
    disclosure_linkedin = _disclosure_field("linkedin", _("Disclosure on LinkedIn"))
    disclosure_x = _disclosure_field("x", _("Disclosure on X"))
    disclosure_generic = _disclosure_field("generic", _("Disclosure on other networks"))
    daily_cap = forms.IntegerField(
        label=_("Shares per member per day"),
        required=False,
        min_value=1,
        max_value=1000,
        help_text=_("Empty: no limit."),
    )
    daily_cap_per_network = forms.IntegerField(
        label=_("Shares per member per day on one network"),
        required=False,
        min_value=1,
        max_value=1000,
        help_text=_("Empty: no limit."),
    )
    sharing_from = forms.TimeField(label=_("Sharing allowed from"), required=False, widget=TIME_INPUT)
    sharing_until = forms.TimeField(
        label=_("Sharing allowed until"),
        required=False,
        widget=TIME_INPUT,
        help_text=_("In each member's time zone. A window may run past midnight (22:00 to 06:00)."),
    )
    sharing_weekdays = forms.TypedMultipleChoiceField(
        label=_("Days sharing is allowed"),
        required=False,
        coerce=int,
        choices=WEEKDAYS,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every day."),
    )
    allowed_domains = forms.CharField(
        label=_("Allowed link domains"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line, such as example.com (its subdomains are allowed too). Empty: every domain."),
    )
    reconsent_months = forms.IntegerField(
        label=_("Ask members to accept the charter again after (months)"),
        min_value=1,
        max_value=120,
    )

    def __init__(self, *args: Any, programme_rules: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if programme_rules:
            del self.fields["reconsent_months"]

    @staticmethod
    def initial_from(rules: ComplianceRules) -> dict[str, Any]:
        return {name: getattr(rules, name) for name in RulesForm.base_fields}


class TryTextForm(forms.Form):
    network = forms.ChoiceField(label=_("Network"), choices=NETWORKS)
    text = forms.CharField(
        label=_("Your text"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={"required": _("Type a text to check.")},
    )


# --- Incidents ---------------------------------------------------------------------------------------------------

# Enough for a member to find the post they saw; older posts are named in the description or the link.
REPORTABLE_POSTS = 200


class IncidentReportForm(forms.Form):
    kind = forms.ChoiceField(label=_("What happened"), choices=Incident.Kind.choices)
    link = forms.URLField(
        label=_("Link"),
        required=False,
        max_length=2000,
        assume_scheme="https",
        help_text=_("Where it happened: the post, the reply, the article."),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What you saw, when, and anything the referent should know."),
    )
    post = forms.ModelChoiceField(
        label=_("Post of our library concerned (optional)"),
        required=False,
        queryset=Post.objects.none(),
    )

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["post"]
        assert isinstance(field, forms.ModelChoiceField)
        # Only posts this member may see: another id is "not one of the available choices", as a missing one.
        visible = posts_visible_to(membership=membership)
        shared = visible.filter(status__in=[Post.Status.APPROVED, Post.Status.WITHDRAWN])
        # Not a sliced queryset: the field validates a choice with ``get()``, which a slice refuses.
        recent = shared.order_by("-pk").values("pk")[:REPORTABLE_POSTS]
        field.queryset = visible.filter(pk__in=recent).order_by("-pk")


class IncidentStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Incident.Status.choices)
    note = forms.CharField(
        label=_("Note for the timeline (optional)"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class IncidentNoteForm(forms.Form):
    text = forms.CharField(
        label=_("Note"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Write the note first.")},
    )


class IncidentFilterForm(QueryForm):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All statuses")), *Incident.Status.choices]
    )
