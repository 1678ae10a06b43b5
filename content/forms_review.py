"""Forms of the review pages: approval decisions, approval policies, the calendar, suggestions and feed sources.

They validate input only; views hand ``cleaned_data`` to ``content.services`` and ``content.feeds``.
"""

from __future__ import annotations

import datetime
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from advocacy.models import Membership, Organization, Programme
from advocacy.query import QueryDateField, QueryForm
from advocacy.roles import Role
from content.feeds import MAX_ITEMS_PER_DAY_LIMIT
from content.models import ApprovalPolicy, FeedSource, Topic

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class MemberMultipleChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Membership) -> str:
        return f"{obj.user.display_name} <{obj.user.email}>"


def _queryset_field(form: forms.Form, name: str) -> forms.ModelChoiceField[Any]:
    return cast("forms.ModelChoiceField[Any]", form.fields[name])


# --- Decisions ---------------------------------------------------------------------------------------------------


class DecisionForm(forms.Form):
    """One of the three decisions. ``revision`` is the revision the approver saw: the service refuses a stale one."""

    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"
    REJECT = "reject"
    ACTIONS = (APPROVE, REQUEST_CHANGES, REJECT)

    action = forms.ChoiceField(choices=[(a, a) for a in ACTIONS], widget=forms.HiddenInput)
    revision = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    # The step the approver saw: if another approver moved the post on meanwhile, the service says so.
    step = forms.IntegerField(required=False, widget=forms.HiddenInput)
    text = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)

    def __init__(self, *args: Any, action: str, **kwargs: Any) -> None:
        # The three forms share a page: ids per action keep each label tied to its own text box.
        kwargs.setdefault("auto_id", f"id_{action}_%s")
        super().__init__(*args, **kwargs)
        self.initial.setdefault("action", action)
        self.kind = action  # not ``action``: templates would find the field of that name first
        text = self.fields["text"]
        if action == self.APPROVE:
            text.label = _("Comment (optional)")
        else:
            text.label = _("Note to the author")
            text.required = True
            text.help_text = _("Required: say what must change, or why the post is rejected.")
            text.error_messages["required"] = _("Write a note: the author needs to know why.")


# --- Approval policies -------------------------------------------------------------------------------------------


class PolicyForm(forms.Form):
    WITH_STEPS = "steps"
    NO_APPROVAL = "none"

    name = forms.CharField(label=_("Name"), max_length=120)
    mode = forms.ChoiceField(
        label=_("Approval"),
        widget=forms.RadioSelect,
        choices=[
            (WITH_STEPS, _("Posts go through the steps below, in order")),
            (NO_APPROVAL, _("No approval: posts are approved as soon as they are submitted")),
        ],
        initial=WITH_STEPS,
    )
    is_default = forms.BooleanField(
        label=_("Default policy"),
        required=False,
        help_text=_(
            "Used for every post whose programmes have no policy of their own. There is one default: ticking this "
            "box makes this policy the default instead of the current one."
        ),
    )
    programme = forms.ModelChoiceField(
        label=_("Programme"),
        required=False,
        queryset=Programme.objects.none(),
        empty_label=_("No programme"),
        help_text=_("Optional: posts targeted at this programme follow this policy."),
    )

    def __init__(
        self, *args: Any, organization: Organization, policy: ApprovalPolicy | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.policy = policy
        _queryset_field(self, "programme").queryset = Programme.objects.filter(organization=organization).order_by(
            "name"
        )

    def _others(self) -> Any:
        others = ApprovalPolicy.objects.filter(organization=self.organization)
        return others.exclude(pk=self.policy.pk) if self.policy else others

    def clean_programme(self) -> Programme | None:
        programme: Programme | None = self.cleaned_data["programme"]
        if programme is not None and self._others().filter(programme=programme).exists():
            raise forms.ValidationError(_("The programme “%(name)s” already has a policy.") % {"name": programme.name})
        return programme

    @property
    def requires_approval(self) -> bool:
        return self.cleaned_data.get("mode") != self.NO_APPROVAL


class StepForm(forms.Form):
    position = forms.IntegerField(
        label=_("Order"), min_value=1, max_value=99, required=False, widget=forms.NumberInput(attrs={"size": 3})
    )
    name = forms.CharField(label=_("Step name"), max_length=80, required=False)
    approver_role = forms.ChoiceField(
        label=_("Approvers: everyone with the role"),
        required=False,
        choices=[("", _("No role")), *Role.choices],
    )
    approvers = MemberMultipleChoiceField(
        label=_("…or these members"),
        required=False,
        queryset=Membership.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        members = Membership.objects.filter(organization=organization, status=Membership.Status.ACTIVE)
        _queryset_field(self, "approvers").queryset = members.select_related("user").order_by("user__email")

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not (data.get("name") or data.get("approver_role") or data.get("approvers"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.is_blank() or self.cleaned_data.get("DELETE"):
            return data
        if not data.get("name"):
            self.add_error("name", _("Name the step, e.g. “Legal”."))
        if not data.get("approver_role") and not data.get("approvers"):
            self.add_error("approver_role", _("Choose a role or at least one member who decides at this step."))
        return data


class BaseStepFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        self.organization = organization
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {**super().get_form_kwargs(index), "organization": self.organization}

    def ordered_steps(self) -> list[dict[str, Any]]:
        """The filled-in, kept steps, sorted by their position number (blank numbers keep their place, last)."""
        kept = [
            (index, form.cleaned_data)
            for index, form in enumerate(self.forms)
            if not form.is_blank() and not form.cleaned_data.get("DELETE")
        ]
        kept.sort(key=lambda item: (item[1].get("position") or 1000, item[0]))
        return [data for _index, data in kept]


StepFormSet = cast(
    "type[BaseStepFormSet]",
    forms.formset_factory(StepForm, formset=BaseStepFormSet, extra=2, can_delete=True, max_num=20),
)


# --- Calendar ----------------------------------------------------------------------------------------------------


class CalendarFilterForm(QueryForm):
    MONTH = "month"
    WEEK = "week"

    view = forms.ChoiceField(
        label=_("View"), required=False, choices=[(MONTH, _("Month")), (WEEK, _("Week"))], initial=MONTH
    )
    date = QueryDateField(label=_("Date"))
    programme = forms.ModelChoiceField(
        label=_("Programme"), required=False, queryset=Programme.objects.none(), empty_label=_("All programmes")
    )
    topic = forms.ModelChoiceField(
        label=_("Topic"), required=False, queryset=Topic.objects.none(), empty_label=_("All topics")
    )

    def __init__(self, *args: Any, organization: Organization, today: datetime.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        _queryset_field(self, "programme").queryset = Programme.objects.filter(organization=organization).order_by(
            "name"
        )
        _queryset_field(self, "topic").queryset = Topic.objects.filter(organization=organization).order_by("name")

    def filters(self) -> dict[str, Any]:
        """The valid values; an invalid one (shown as a field error) falls back to its default."""
        return {
            "view": self.value("view", self.MONTH),
            "date": self.value("date", self.today),
            "programme": self.value("programme"),
            "topic": self.value("topic"),
        }


class RescheduleForm(forms.Form):
    """Publish and expiry dates, typed in the organisation's time zone (the view makes it the current one)."""

    publish_at = forms.DateTimeField(label=_("Publish on"), required=False, widget=DATETIME_INPUT)
    expires_at = forms.DateTimeField(label=_("Expires on"), required=False, widget=DATETIME_INPUT)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        publish_at, expires_at = data.get("publish_at"), data.get("expires_at")
        if publish_at and expires_at and expires_at <= publish_at:
            self.add_error("expires_at", _("The expiry must come after the publication date."))
        return data


# --- Suggestions -------------------------------------------------------------------------------------------------


class SuggestForm(forms.Form):
    url = forms.URLField(
        label=_("Link"),
        max_length=2000,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
        help_text=_("An article, a video, a job offer… that colleagues could share."),
    )
    title = forms.CharField(label=_("Title (optional)"), max_length=300, required=False)
    comment = forms.CharField(
        label=_("Why is it worth sharing?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_url(self) -> str:
        url: str = self.cleaned_data["url"]
        if not url.lower().startswith(("http://", "https://")):
            raise forms.ValidationError(_("Enter a web address starting with http:// or https://."))
        return url


class DeclineForm(forms.Form):
    note = forms.CharField(
        label=_("Note to the author"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The author sees this note next to their suggestion."),
        error_messages={"required": _("Write a note: the author sees why their suggestion was declined.")},
    )


# --- Feed sources ------------------------------------------------------------------------------------------------


class FeedSourceForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120, help_text=_("E.g. “Company blog” or “Press room”."))
    url = forms.URLField(
        label=_("Feed address"),
        max_length=2000,
        assume_scheme="https",
        help_text=_("The address of an RSS or Atom feed, starting with http:// or https://."),
    )
    max_items_per_day = forms.IntegerField(
        label=_("At most this many new items a day"), min_value=1, max_value=MAX_ITEMS_PER_DAY_LIMIT, initial=10
    )
    active = forms.BooleanField(
        label=_("Active"), required=False, initial=True, help_text=_("Inactive sources are not polled.")
    )

    def __init__(self, *args: Any, source: FeedSource | None = None, **kwargs: Any) -> None:
        if source is not None:
            kwargs["initial"] = {
                "name": source.name,
                "url": source.url,
                "max_items_per_day": source.max_items_per_day,
                "active": source.active,
                **(kwargs.get("initial") or {}),
            }
        super().__init__(*args, **kwargs)
        if source is None:
            del self.fields["active"]  # a new source starts active

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.changed_data if name in self.cleaned_data}
