"""Forms of the analytics pages: the tracking settings, the retention page's period and the list of leavers (read and
checked here, at the edge: the service receives clean rows)."""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Iterator
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import QueryDict
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from advocacy.query import QUERY_DATE_MIN, QueryDateField, QuerySelect
from analytics.links import utm_template_errors
from analytics.models import TrackingSettings
from analytics.retention import default_quarter, past_quarters, period_limit, quarter_of
from analytics.services import Leaver


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
        elif end < start:
            self.add_error("end", _("The period ends before it starts."))
        elif end >= period_limit(start):
            self.add_error("end", _("A period is at most two years long."))
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
