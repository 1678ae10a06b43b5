"""Forms of the analytics pages: the dashboards' period and filters, the settings of tracking, earned media value and
referrals, programme goals, the retention page's period and the list of leavers (read and checked here, at the edge:
the services receive clean rows)."""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, cast
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_stubs_ext import StrOrPromise

from advocacy.models import Membership, Organization, Programme
from advocacy.query import QUERY_DATE_MIN, QueryChoiceIdField, QueryDateField, QuerySelect
from analytics.dashboard import LONGEST_PERIOD, NETWORKS, Filters, Period
from analytics.exports import EVERYTHING, TABLES
from analytics.links import utm_template_errors
from analytics.models import (
    PRICED_NETWORKS,
    RATE_DECIMALS,
    RATE_DIGITS,
    Currency,
    EmvRates,
    Export,
    ProgrammeGoal,
    ReferralEvent,
    TrackingSettings,
)
from analytics.retention import default_quarter, past_quarters, quarter_of
from analytics.services import Leaver
from content.models import Network, Post, Topic


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


RATE_ERRORS = {
    "invalid": _("Enter an amount, such as 4.50."),
    "min_value": _("A rate cannot be negative."),
}
# (network label, [(field suffix, label)]): one group of fields per network on the page.
RATE_LABELS = (
    ("cost_per_click", _("Cost per click")),
    ("cost_per_mille", _("Cost per 1,000 impressions")),
    ("value_per_reaction", _("Value per reaction")),
)


def _rate_field(label: StrOrPromise) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        min_value=Decimal("0"),
        max_digits=RATE_DIGITS,
        decimal_places=RATE_DECIMALS,
        # In the reader's format: "4,50" in French.
        localize=True,
        error_messages=RATE_ERRORS,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )


def _currency_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("Currency"),
        choices=Currency.choices,
        initial=Currency.EUR,
        error_messages={"invalid_choice": _("Pick a currency from the list.")},
    )


def _keep_saved_currency(form: forms.Form) -> None:
    """Offer the saved currency (the ``currency`` initial) even when it is not in the list: a currency saved before
    the list existed stays shown and saving the page again keeps it."""
    saved = form.initial.get("currency")
    if saved and saved not in Currency.values:
        cast("forms.ChoiceField", form.fields["currency"]).choices = [*Currency.choices, (saved, saved)]


class EmvRatesForm(forms.Form):
    currency = _currency_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _keep_saved_currency(self)
        for network in PRICED_NETWORKS:
            for suffix, label in RATE_LABELS:
                self.fields[f"{network}_{suffix}"] = _rate_field(label)

    def network_groups(self) -> list[tuple[StrOrPromise, list[forms.BoundField]]]:
        """(network label, its fields) for each priced network, in the formula's order."""
        return [
            (Network(network).label, [self[f"{network}_{suffix}"] for suffix, _label in RATE_LABELS])
            for network in PRICED_NETWORKS
        ]

    def rates(self) -> dict[str, Decimal]:
        return {name: self.cleaned_data[name] for name in EmvRates.RATE_FIELDS}


TARGET_ERRORS = {
    "invalid": _("Enter a whole number, or leave it empty."),
    "min_value": _("Enter a whole number of 1 or more, or leave it empty."),
}


def _target_field(label: StrOrPromise, help_text: StrOrPromise) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=1,
        max_value=2_000_000_000,
        help_text=help_text,
        error_messages=TARGET_ERRORS,
    )


class ProgrammeGoalForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    quarter = forms.TypedChoiceField(
        label=_("Quarter"),
        coerce=int,
        choices=ProgrammeGoal.Quarter.choices,
        error_messages={"invalid_choice": _("Pick a quarter from 1 to 4.")},
    )
    active_ambassadors = _target_field(
        _("Active ambassadors"), _("Members of the programme who share at least once in the quarter.")
    )
    shares = _target_field(_("Shares"), _("Posts of the programme shared by its members."))
    unique_clicks = _target_field(_("Unique clicks"), _("Visitors who opened the shared links, once a day each."))
    referrals = _target_field(_("Referrals"), _("Applications and leads credited to the programme's ambassadors."))

    def targets(self) -> dict[str, int | None]:
        return {name: self.cleaned_data[name] for name in ProgrammeGoal.TARGETS}


class WeeklySummaryForm(forms.Form):
    enabled = forms.BooleanField(
        label=_("E-mail me the figures every Monday morning"),
        required=False,
        help_text=_("Last week's shares, clicks, engagement and active ambassadors against the week before."),
    )


PERIOD_REVERSED = _("The period ends before it starts: choose an end date after %(start)s.")
PERIOD_TOO_LONG = _("A period covers two years at most: choose a later start or an earlier end.")


def clean_period(form: forms.Form, start: date, end: date) -> None:
    """The one rule of every period of the analytics pages and API: it ends on or after the day it starts and covers
    two years at most (``LONGEST_PERIOD``). A broken rule is a field error on ``form``: on ``end`` when the period is
    reversed, on ``start`` when it is too long."""
    if end < start:
        form.add_error("end", PERIOD_REVERSED % {"start": date_format(start, "SHORT_DATE_FORMAT")})
    elif end - start >= LONGEST_PERIOD:
        form.add_error("start", PERIOD_TOO_LONG)


class PeriodForm(forms.Form):
    """A period from the query string, checked by ``clean_period``. No end: ``today``; no start: the
    ``DEFAULT_DAYS`` days up to the end. A bad period is a field error, never a silent default: the page answers 400."""

    DEFAULT_DAYS = 28

    # With a context: "From" alone is already translated as where a click comes from.
    start = QueryDateField(label=pgettext_lazy("start of a period", "From"))
    end = QueryDateField(label=pgettext_lazy("end of a period", "To"))

    def __init__(self, data: QueryDict, *, today: date) -> None:
        super().__init__(data)
        self.today = today

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "start" in self.errors or "end" in self.errors:
            return cleaned
        end = cleaned.get("end") or self.today
        start = cleaned.get("start") or end - timedelta(days=self.DEFAULT_DAYS - 1)
        clean_period(self, start, end)
        cleaned["start"], cleaned["end"] = start, end
        return cleaned


class DashboardFilterForm(PeriodForm):
    """The dashboard's period and filters, from the query string. No period given: the last 28 days up to today."""

    programme = QueryChoiceIdField(label=_("Programme"), empty_label=_("All programmes"))
    topic = QueryChoiceIdField(label=_("Topic"), empty_label=_("All topics"))
    network = forms.ChoiceField(
        label=_("Network"),
        required=False,
        choices=[("", _("All networks")), *((network.value, network.label) for network in NETWORKS)],
        widget=QuerySelect,
    )

    def __init__(
        self,
        data: QueryDict,
        *,
        today: date,
        programmes: list[Programme],
        topics: list[Topic],
    ) -> None:
        super().__init__(data, today=today)
        self.programmes = {programme.pk: programme for programme in programmes}
        self.topics = {topic.pk: topic for topic in topics}
        programme_field, topic_field = self.fields["programme"], self.fields["topic"]
        assert isinstance(programme_field, QueryChoiceIdField) and isinstance(topic_field, QueryChoiceIdField)
        programme_field.set_choices([(programme.pk, programme.name) for programme in programmes])
        topic_field.set_choices([(topic.pk, topic.name) for topic in topics])
        # A filter with nothing to choose from is left out.
        if not programmes:
            del self.fields["programme"]
        if not topics:
            del self.fields["topic"]

    def filters(self) -> Filters:
        """The valid form's period and filters, the programme and topic as rows of the organisation."""
        cleaned = self.cleaned_data
        return Filters(
            period=Period(cleaned["start"], cleaned["end"]),
            programme=self.programmes.get(cleaned.get("programme") or 0),
            topic=self.topics.get(cleaned.get("topic") or 0),
            network=cleaned.get("network") or "",
        )


def dashboard_filter_form(
    data: QueryDict,
    *,
    organization: Organization,
    by_programme_and_topic: bool = True,
    programmes_shown: QuerySet[Programme] | None = None,
) -> DashboardFilterForm:
    """The filter form of a KPI page or endpoint, bound to ``data``, "today" in the organisation's time zone and its
    programmes and topics to choose from (two queries; none without ``by_programme_and_topic``)."""
    today = timezone.localtime(timezone.now(), ZoneInfo(organization.time_zone)).date()
    programmes: list[Programme] = []
    topics: list[Topic] = []
    if by_programme_and_topic:
        shown = (
            programmes_shown if programmes_shown is not None else Programme.objects.filter(organization=organization)
        )
        programmes = list(shown.order_by("name"))
        topics = list(Topic.objects.filter(organization=organization).order_by("name"))
    if not data.get("start") and not data.get("end"):
        # The default period written in the fields, so that the page shows which days its figures cover.
        data = data.copy()
        data["start"] = (today - timedelta(days=DashboardFilterForm.DEFAULT_DAYS - 1)).isoformat()
        data["end"] = today.isoformat()
    return DashboardFilterForm(data, today=today, programmes=programmes, topics=topics)


class ReferralPeriodForm(PeriodForm):
    """The referrals page's period, from the query string. Nothing given: the last 90 days up to today."""

    DEFAULT_DAYS = 90

    def period(self) -> tuple[date, date]:
        """The valid form's first and last days."""
        return self.cleaned_data["start"], self.cleaned_data["end"]


def _amount_field(label: Any, help_text: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text=help_text,
        error_messages={
            "invalid": _("Enter an amount, such as 4500 or 4500.50."),
            "min_value": _("Enter an amount of zero or more."),
        },
    )


class ReferralSettingsForm(forms.Form):
    agency_fee = _amount_field(_("Agency fee per hire"), _("What a recruitment agency charges you for one hire."))
    programme_cost_per_month = _amount_field(
        _("Programme cost per month"), _("What the ambassador programme costs you each month, all included.")
    )
    currency = _currency_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _keep_saved_currency(self)


class MemberChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Membership) -> str:
        return obj.user.display_name


class ReferralEventForm(forms.Form):
    kind = forms.ChoiceField(label=_("What happened"), choices=ReferralEvent.Kind.choices)
    membership = MemberChoiceField(
        label=_("Ambassador credited"), queryset=Membership.objects.none(), empty_label=_("Choose a member")
    )
    post = forms.ModelChoiceField(
        label=_("Post"),
        required=False,
        queryset=Post.objects.none(),
        empty_label=_("No post: credit the ambassador only"),
    )
    occurred_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, organization: Organization, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        members = self.fields["membership"]
        posts = self.fields["post"]
        assert isinstance(members, forms.ModelChoiceField) and isinstance(posts, forms.ModelChoiceField)
        members.queryset = (
            Membership.objects.filter(organization=organization, status=Membership.Status.ACTIVE)
            .select_related("user")
            .order_by("user__full_name", "user__email")
        )
        # Campaigns first: job offers and lead campaigns are what referrals are usually about.
        posts.queryset = Post.objects.filter(organization=organization).order_by("-campaign", "-created_at")
        self.fields["occurred_on"].initial = today

    def clean_occurred_on(self) -> date:
        value: date = self.cleaned_data["occurred_on"]
        if value > self.today:
            raise ValidationError(_("The date cannot be in the future."))
        return value


# --- Retention -------------------------------------------------------------------------------------------------------


def quarter_label(start: datetime.date) -> str:
    return _("Q%(number)s %(year)s") % {"number": (start.month - 1) // 3 + 1, "year": start.year}


class RetentionPeriodForm(forms.Form):
    """The period of the retention page: a past quarter, or any first and last days (both, at most two years apart).
    Unbound, or with nothing chosen: the last quarter whose horizon is over."""

    quarter = forms.ChoiceField(label=_("Quarter"), required=False, widget=QuerySelect)
    start = QueryDateField(label=_("Or from"))
    end = QueryDateField(label=_("to"))

    def __init__(self, data: QueryDict | None = None, *, today: datetime.date) -> None:
        super().__init__(data or None)
        self.default = default_quarter(today)
        choices = [(start.isoformat(), quarter_label(start)) for start, _end in past_quarters(today)]
        cast("forms.ChoiceField", self.fields["quarter"]).choices = [("", _("Choose a quarter")), *choices]
        self.fields["quarter"].initial = self.default[0].isoformat()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if "start" in self.errors or "end" in self.errors or not (start or end):
            return cleaned
        if start is None:
            self.add_error("start", _("Give the first day of the period too."))
        elif end is None:
            self.add_error("end", _("Give the last day of the period too."))
        else:
            clean_period(self, start, end)
        return cleaned

    def period(self) -> tuple[datetime.date, datetime.date] | None:
        """The chosen first and last days; None when the form has errors."""
        if not self.is_bound:
            return self.default
        if not self.is_valid():
            return None
        start, end = self.cleaned_data["start"], self.cleaned_data["end"]
        if start and end:
            return start, end
        if self.cleaned_data["quarter"]:
            return quarter_of(datetime.date.fromisoformat(self.cleaned_data["quarter"]))
        return self.default


# A list of leavers: what one request may carry, and how many errors the page lists before summing up the rest.
LEAVERS_MAX_BYTES = 1024 * 1024
LEAVERS_MAX_LINES = 10_000
LEAVERS_ERRORS_SHOWN = 50
EMAIL_COLUMNS = ("email", "e-mail")
DATE_COLUMN = "left_on"
TOO_LARGE = _("The file is larger than 1 MB; split it into smaller files.")
ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
FRENCH_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def _parse_day(text: str) -> datetime.date | None:
    """``2026-03-31`` or ``31/03/2026``; None for anything else, an impossible day included."""
    try:
        if match := ISO_DATE.fullmatch(text):
            year, month, day = (int(part) for part in match.groups())
        elif match := FRENCH_DATE.fullmatch(text):
            day, month, year = (int(part) for part in match.groups())
        else:
            return None
        parsed = datetime.date(year, month, day)
    except ValueError:
        return None
    return parsed if parsed >= QUERY_DATE_MIN else None


def _cell(row: list[str], index: int) -> str:
    return row[index].strip() if index < len(row) else ""


def _shown(text: str) -> str:
    return text if len(text) <= 60 else f"{text[:60]}…"


def _leaver_errors(line: int, email: str, day_text: str, today: datetime.date) -> list[str]:
    errors = []
    if not email:
        errors.append(_("Line %(line)s: the e-mail address is missing.") % {"line": line})
    else:
        try:
            validate_email(email)
        except ValidationError:
            errors.append(
                _("Line %(line)s: “%(value)s” is not an e-mail address.") % {"line": line, "value": _shown(email)}
            )
    day = _parse_day(day_text)
    if not day_text:
        errors.append(_("Line %(line)s: the date of departure is missing.") % {"line": line})
    elif day is None:
        errors.append(
            _("Line %(line)s: “%(value)s” is not a date; write it as 2026-03-31 or 31/03/2026.")
            % {"line": line, "value": _shown(day_text)}
        )
    elif day > today:
        errors.append(
            _("Line %(line)s: %(date)s is in the future; list only people who have already left.")
            % {"line": line, "date": date_format(day, "SHORT_DATE_FORMAT")}
        )
    return errors


def _header(reader: Iterator[list[str]]) -> tuple[int, int]:
    """The positions of the e-mail and date columns, read from the first line that is not empty."""
    names = next((row for row in reader if any(cell.strip() for cell in row)), [])
    cleaned = [name.strip().lower() for name in names]
    email = next((cleaned.index(name) for name in EMAIL_COLUMNS if name in cleaned), None)
    if email is None or DATE_COLUMN not in cleaned:
        raise ValidationError(
            _("The first line must name the columns “email” and “left_on”; it reads: “%(found)s”.")
            % {"found": _shown(", ".join(names))}
        )
    return email, cleaned.index(DATE_COLUMN)


def _decode(raw: bytes) -> str:
    if len(raw) > LEAVERS_MAX_BYTES:
        raise ValidationError(TOO_LARGE)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(_("The file is not UTF-8 text. In Excel, save it as “CSV UTF-8”.")) from exc


def _read_rows(reader: Any, today: datetime.date, leavers: list[Leaver], errors: list[str]) -> None:
    """Read the lines after the header into ``leavers``, or their reasons into ``errors``."""
    seen: dict[str, int] = {}
    email_at, date_at = _header(reader)
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        if len(leavers) + len(errors) >= LEAVERS_MAX_LINES:
            raise ValidationError(_("The file has more than 10,000 lines; split it into smaller files."))
        line, email, day_text = reader.line_num, _cell(row, email_at), _cell(row, date_at)
        line_errors = _leaver_errors(line, email, day_text, today)
        if email.lower() in seen:
            line_errors.append(
                _("Line %(line)s: this address is already on line %(other)s.")
                % {"line": line, "other": seen[email.lower()]}
            )
        seen.setdefault(email.lower(), line)
        day = _parse_day(day_text)
        if line_errors or day is None:
            errors.extend(line_errors)
        else:
            leavers.append(Leaver(line=line, email=email, left_on=day))


def read_leavers(raw: bytes, *, today: datetime.date) -> list[Leaver]:
    """The leavers of a CSV file (UTF-8 with or without BOM, commas or semicolons, a header line naming ``email`` and
    ``left_on``), or a ``ValidationError`` naming every bad line: one bad line and nothing is imported."""
    text = _decode(raw)
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    leavers: list[Leaver] = []
    errors: list[str] = []
    try:
        _read_rows(reader, today, leavers, errors)
    except csv.Error as exc:
        errors.append(_("Line %(line)s cannot be read as CSV.") % {"line": reader.line_num})
        raise ValidationError(errors[:LEAVERS_ERRORS_SHOWN]) from exc
    if errors:
        shown = errors[:LEAVERS_ERRORS_SHOWN]
        if len(errors) > len(shown):
            shown.append(_("… and %(count)s more errors.") % {"count": len(errors) - len(shown)})
        raise ValidationError(shown)
    if not leavers:
        raise ValidationError(_("The file names no leaver after its first line."))
    return leavers


class LeaversImportForm(forms.Form):
    file = forms.FileField(
        label=_("List of leavers (CSV)"),
        help_text=_(
            "A header line naming the columns email and left_on, then one leaver per line: their e-mail address and "
            "the day they left (2026-03-31 or 31/03/2026). Commas or semicolons; UTF-8. At most 1 MB and 10,000 lines."
        ),
    )

    def __init__(self, *args: Any, today: datetime.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean_file(self) -> list[Leaver]:
        upload = self.cleaned_data["file"]
        if upload.size > LEAVERS_MAX_BYTES:
            raise ValidationError(TOO_LARGE)
        return read_leavers(upload.read(), today=self.today)


class ExportForm(forms.Form):
    """Which table of the dashboard to export, and as what (no format: XLSX)."""

    table = forms.ChoiceField(
        label=_("Table"),
        choices=[(EVERYTHING, _("Every table")), *((key, label) for key, (label, _maker) in TABLES.items())],
        # The keys, for the API's callers, who type them.
        error_messages={
            "invalid_choice": format_lazy(
                _("“%(value)s” is not a table of the dashboard: choose one of {tables}."),
                tables=", ".join([EVERYTHING, *TABLES]),
            )
        },
    )
    format = forms.ChoiceField(
        label=_("Format"),
        required=False,
        choices=Export.Format.choices,
        error_messages={"invalid_choice": _("“%(value)s” is not a file format: choose csv or xlsx.")},
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        cleaned["format"] = cleaned.get("format") or Export.Format.XLSX
        if cleaned.get("table") == EVERYTHING and cleaned["format"] == Export.Format.CSV and "table" not in self.errors:
            self.add_error("format", _("A CSV file holds one table: choose a table, or XLSX for every table."))
        return cleaned
