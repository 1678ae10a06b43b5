"""Values taken from a query string: the one place where text typed in an address bar becomes a date, an id or a
choice, or nothing with a message on the filter form, never an exception.

Every filter form of a list page derives from ``QueryForm``; a page number goes through ``Paginator.get_page``
(``ForgivingListView``), which already turns any text into the nearest page.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.http import QueryDict
from django.utils.formats import date_format
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

# The dates a page can compute with: a calendar grid, the neighbouring month, midnight in any time zone. Python's
# own limits (years 1 and 9999) overflow as soon as a page adds a week or converts to UTC.
QUERY_DATE_MIN = datetime.date(1900, 1, 1)
QUERY_DATE_MAX = datetime.date(2199, 12, 31)
# The largest primary key the database stores (bigint).
QUERY_ID_MAX = 2**63 - 1


def _date_range_message() -> str:
    return str(
        _("Enter a date between %(min)s and %(max)s.")
        % {"min": date_format(QUERY_DATE_MIN, "DATE_FORMAT"), "max": date_format(QUERY_DATE_MAX, "DATE_FORMAT")}
    )


date_range_message = lazy(_date_range_message, str)


class QueryDateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        bounds = {"min": QUERY_DATE_MIN.isoformat(), "max": QUERY_DATE_MAX.isoformat()}
        super().__init__(format="%Y-%m-%d", attrs=bounds)


class QueryDateField(forms.DateField):
    """A date within ``QUERY_DATE_MIN``..``QUERY_DATE_MAX`` (ISO or the language's format), else a field error."""

    widget = QueryDateInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.validators += [
            MinValueValidator(QUERY_DATE_MIN, message=date_range_message()),
            MaxValueValidator(QUERY_DATE_MAX, message=date_range_message()),
        ]


class QueryIdField(forms.IntegerField):
    """A row id: a positive whole number the database can hold (``"²"``, ``"-1"`` or 30 digits are errors)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(min_value=1, max_value=QUERY_ID_MAX, **kwargs)


class QuerySelect(forms.Select):
    """A select whose options are written by its own loop: Django's renders a template per option, which made the
    filter bars of the list pages cost more than their tables."""

    template_name = "lists/select.html"


class QueryChoiceIdField(forms.TypedChoiceField):
    """One of the ids the page offers (``set_choices``), as a whole number; anything else is a field error.

    The page reads the choices once for the select; checking a value against them costs no query, where a
    ``ModelChoiceField`` runs one to draw the select and another to check the value.
    """

    widget = QuerySelect

    def __init__(self, *, empty_label: Any, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(coerce=int, empty_value=None, **kwargs)
        self.empty_label = empty_label

    def set_choices(self, choices: list[tuple[int, str]]) -> None:
        self.choices = [("", self.empty_label), *choices]


def query_id(query: QueryDict, name: str) -> int | None:
    """The id named ``name`` in the query string, or None when it is missing or not an id."""
    try:
        value = QueryIdField().clean(query.get(name))
    except ValidationError:
        return None
    return int(value) if value is not None else None


class QueryForm(forms.Form):
    """Base of the filter forms of list pages, bound to ``request.GET``.

    Bound only when the query string has something. An invalid value never fails the page: the field shows why, and
    ``value()`` answers as if it had not been given.
    """

    def __init__(self, data: QueryDict | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(data or None, *args, **kwargs)

    def value(self, name: str, default: Any = None) -> Any:
        """The cleaned value of ``name``, or ``default`` when it was not given, empty or invalid."""
        if not self.is_bound:
            return default
        self.is_valid()  # on first use, once subclasses have set their choices; ``errors`` keeps the result
        value = self.cleaned_data.get(name)
        return default if value is None or value == "" else value
