"""Forms of the organisation admin pages. They validate input only; views hand ``cleaned_data`` to services.

Plain forms rather than ModelForms: a ModelForm copies invalid input onto the instance it edits, and the layout
renders ``request.organization`` (its brand colour) from that same instance.
"""

from __future__ import annotations

import datetime
import zoneinfo
from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.functional import lazy
from django.utils.html import escape
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from advocacy import history, selectors, services
from advocacy.images import LOGO, ImageUploadField
from advocacy.models import Membership, Organization, Programme, User, colour_validator, slug_validator
from advocacy.query import QueryChoiceIdField, QueryDateField, QueryForm, QuerySelect
from advocacy.roles import Role
from advocacy.timezones import TimeZoneField

SORT_CHOICES = [
    ("name", _("Name (A–Z)")),
    ("-name", _("Name (Z–A)")),
    ("-joined", _("Newest members first")),
    ("joined", _("Oldest members first")),
]


def _with_blank(choices: Any, label: Any) -> list[tuple[str, Any]]:
    return [("", label), *list(choices)]


class MemberChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Membership) -> str:
        return f"{obj.user.display_name} <{obj.user.email}>"


class UserChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.display_name} <{obj.email}>"


class MemberFilterForm(QueryForm):
    q = forms.CharField(label=_("Search"), required=False, max_length=150)
    role = forms.ChoiceField(
        label=_("Role"), required=False, choices=_with_blank(Role.choices, _("All roles")), widget=QuerySelect
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=_with_blank(Membership.Status.choices, _("All statuses")),
        widget=QuerySelect,
    )
    programme = QueryChoiceIdField(label=_("Programme"), empty_label=_("All programmes"))
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORT_CHOICES, widget=QuerySelect)

    def __init__(self, *args: Any, programmes: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("QueryChoiceIdField", self.fields["programme"]).set_choices(programmes)

    def filters(self) -> dict[str, Any]:
        """The valid filters; an invalid one (shown as a field error) is ignored rather than failing the page."""
        return {
            "search": self.value("q", "").strip(),
            "role": self.value("role", ""),
            "status": self.value("status", ""),
            "programme": self.value("programme"),
            "sort": self.value("sort", "name"),
        }


def _invite_help() -> str:
    return gettext(
        "Paste one or many addresses, separated by commas or new lines. “Name <name@example.com>” works too. "
        "At most %(limit)d at once."
    ) % {"limit": services.MAX_INVITATIONS_PER_REQUEST}


class InviteForm(forms.Form):
    emails = forms.CharField(
        label=_("E-mail addresses"),
        widget=forms.Textarea(attrs={"rows": 6}),
        # Lazy as a whole: "%" on a lazy text translates it at once, here at import, in whatever language is active.
        help_text=lazy(_invite_help, str)(),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.AMBASSADOR)
    programme = forms.ModelChoiceField(
        label=_("Programme"),
        required=False,
        queryset=Programme.objects.none(),
        empty_label=_("No programme"),
        help_text=_("Optional: the new members also join this programme."),
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Help texts are rendered as HTML: the example address in angle brackets would otherwise vanish as a tag.
        self.fields["emails"].help_text = escape(self.fields["emails"].help_text)
        _model_choice(self, "programme").queryset = Programme.objects.filter(organization=organization).order_by("name")
        self.valid_emails: list[str] = []
        self.invalid_emails: list[str] = []

    def clean_emails(self) -> str:
        text: str = self.cleaned_data["emails"]
        self.valid_emails, self.invalid_emails = services.parse_email_list(text)
        if not self.valid_emails:
            if self.invalid_emails:
                raise forms.ValidationError(
                    _("None of these addresses is valid: %(addresses)s.")
                    % {"addresses": ", ".join(self.invalid_emails)}
                )
            raise forms.ValidationError(_("Paste at least one e-mail address."))
        return text


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class ProgrammeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    slug = forms.CharField(
        label=_("Address"),
        max_length=50,
        validators=[slug_validator],
        help_text=_("Used in links: lowercase letters, digits and dashes."),
    )
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    open_to_volunteers = forms.BooleanField(
        label=_("Open to volunteers"),
        required=False,
        help_text=_("Members may join this programme themselves, when they sign up as ambassadors or later."),
    )


class ProgrammeMemberAddForm(forms.Form):
    membership = MemberChoiceField(label=_("Member"), queryset=Membership.objects.none())
    is_admin = forms.BooleanField(
        label=_("Programme admin"), required=False, help_text=_("Programme admins manage this programme's members.")
    )

    def __init__(self, *args: Any, programme: Programme, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only members of this organisation who are not in the programme yet: another organisation's id is an
        # invalid choice, never a row.
        _model_choice(self, "membership").queryset = selectors.members_outside_programme(programme=programme)


class OrganizationSettingsForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    language = forms.ChoiceField(
        label=_("Language"),
        choices=settings.LANGUAGES,
        help_text=_("The default language of members who have not chosen one, and of invitation e-mails."),
    )
    time_zone = TimeZoneField()
    brand_colour = forms.CharField(
        label=_("Brand colour"),
        max_length=7,
        validators=[colour_validator],
        widget=forms.TextInput(attrs={"type": "color"}),
        help_text=_("A colour such as #1d4ed8."),
    )
    logo = ImageUploadField(label=_("Logo"), required=False, rules=LOGO)
    require_two_factor = forms.BooleanField(
        label=_("Require two-factor authentication"),
        required=False,
        help_text=_(
            "Every member, you included, must set up an authenticator app before they can use the organisation. "
            "Members who have not yet done so are asked to at their next visit."
        ),
    )
    referent = UserChoiceField(
        label=_("Referent"),
        required=False,
        queryset=User.objects.none(),
        empty_label=_("Nobody yet"),
        help_text=_("An administrator or editor who guarantees the charter; reports of problems go to them."),
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        kwargs["initial"] = {
            "name": organization.name,
            "language": organization.language,
            "time_zone": organization.time_zone,
            "brand_colour": organization.brand_colour,
            "logo": organization.logo,
            "require_two_factor": organization.require_two_factor,
            "referent": organization.referent_id,
            **(kwargs.get("initial") or {}),
        }
        super().__init__(*args, **kwargs)
        _model_choice(self, "referent").queryset = selectors.referent_candidates(organization=organization)

    def changes(self) -> dict[str, Any]:
        """The changed values in the shape ``services.organization_update`` takes (so the audit lists only them)."""
        data = {name: self.cleaned_data[name] for name in self.changed_data if name in self.cleaned_data}
        logo = data.pop("logo", None)
        if logo is False:
            data["logo"] = ""
        elif logo is not None and isinstance(logo, UploadedFile):
            data["logo"] = logo
        return data


def _model_choice(form: forms.Form, name: str) -> forms.ModelChoiceField[Any]:
    return cast("forms.ModelChoiceField[Any]", form.fields[name])


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=80, help_text=_("What uses this token, e.g. “intranet integration”.")
    )
    role = forms.ChoiceField(
        label=_("Role"),
        choices=Role.choices,
        initial=Role.MANAGER,
        help_text=_("The token may do what a member with this role may do."),
    )


class AuditFilterForm(QueryForm):
    actor = QueryChoiceIdField(label=_("Who"), empty_label=_("Anyone"))
    kind = forms.ChoiceField(label=_("What"), required=False)
    since = QueryDateField(label=_("Since"))
    until = QueryDateField(label=_("Until"))

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organization = organization
        members = selectors.member_choices(organization=organization)
        self.actor_users = {membership_id: user_id for membership_id, user_id, _name in members}
        cast("QueryChoiceIdField", self.fields["actor"]).set_choices([(pk, name) for pk, _user, name in members])
        # Built per request, so the labels are in the reader's language.
        cast("forms.ChoiceField", self.fields["kind"]).choices = [("", _("Everything")), *history.kind_choices()]

    def filters(self) -> dict[str, Any]:
        """The valid filters for ``selectors.audit_entries``; dates are whole days in the organisation's time zone."""
        zone = zoneinfo.ZoneInfo(self.organization.time_zone)
        since: datetime.date | None = self.value("since")
        until: datetime.date | None = self.value("until")
        actor: int | None = self.value("actor")
        return {
            "actor": self.actor_users.get(actor) if actor is not None else None,
            "action": self.value("kind", ""),
            "since": datetime.datetime.combine(since, datetime.time.min, zone) if since else None,
            "before": datetime.datetime.combine(until + datetime.timedelta(days=1), datetime.time.min, zone)
            if until
            else None,
        }
