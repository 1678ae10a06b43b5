"""The time zones a person may pick: IANA's canonical zones (zone.tab, one line per country and region) and UTC,
never the deprecated aliases (Africa/Asmera, Africa/Timbuktu, US/Eastern, Etc/GMT+3…) that
``zoneinfo.available_timezones()`` also lists. One field, used by every form that asks for a zone."""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from functools import cache
from importlib import resources
from typing import Any

from django import forms
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

UTC = "UTC"


def _data_file(name: str) -> str:
    # From the pinned tzdata package, so the list is the same on every host, whatever time-zone files it ships.
    return resources.files("tzdata").joinpath("zoneinfo", name).read_text(encoding="utf-8")


@cache
def canonical_zones() -> frozenset[str]:
    available = zoneinfo.available_timezones()
    names = {
        line.split("\t")[2]
        for line in _data_file("zone.tab").splitlines()
        if line and not line.startswith("#") and len(line.split("\t")) >= 3
    }
    return frozenset({UTC, *(name for name in names if name in available)})


@cache
def _links() -> dict[str, str]:
    """Alias -> zone, from the "L <zone> <alias>" lines of tzdata.zi."""
    lines = _data_file("tzdata.zi").splitlines()
    return {parts[2]: parts[1] for parts in (line.split() for line in lines) if len(parts) == 3 and parts[0] == "L"}


def canonical_name(zone: str) -> str:
    """The canonical zone an alias stands for ("America/Montreal" -> "America/Toronto"); the name itself otherwise.
    A value saved before the list left the aliases out is shown, and saved again, as its zone rather than as no
    choice at all (which a select would show as its first option, UTC)."""
    if zone in canonical_zones():
        return zone
    target = _links().get(zone, zone)
    return target if target in canonical_zones() else zone


def _place(zone: str) -> str:
    """ "America/Argentina/Buenos_Aires" reads "Argentina / Buenos Aires"."""
    return " / ".join(part.replace("_", " ") for part in zone.split("/")[1:])


@cache
def time_zone_choices() -> list[tuple[str, Any]]:
    """UTC, then one group per region (Africa, America…), each place in alphabetical order. An option reads
    "Paris (Europe/Paris)", so typing either the city or the zone's name finds it."""
    regions: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for zone in canonical_zones() - {UTC}:
        regions[zone.split("/")[0]].append((zone, f"{_place(zone)} ({zone})"))
    return [
        (UTC, "UTC"),
        *((region, sorted(zones, key=lambda choice: choice[1])) for region, zones in sorted(regions.items())),
    ]


class TimeZoneSelect(forms.Select):
    """A select that works as is; static/js/timezone.js adds a filter box and offers the device's zone first."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(
            attrs={
                "data-time-zone-picker": "",
                "data-filter-label": _("Filter the time zones: a city or a region"),
                "data-suggested-label": _("This device's time zone"),
                **(attrs or {}),
            }
        )

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        select = super().render(name, value, attrs, renderer)
        # A file, deferred: the Content-Security-Policy refuses inline scripts.
        return format_html('{}<script src="{}" defer></script>', select, static("js/timezone.js"))


class TimeZoneField(forms.ChoiceField):
    widget = TimeZoneSelect
    default_error_messages = {  # noqa: RUF012 - Django's own fields declare it the same way
        "invalid_choice": _("“%(value)s” is not a time zone we offer: pick a city from the list."),
    }

    def __init__(self, *, blank_label: Any = None, **kwargs: Any) -> None:
        """``blank_label``: the empty choice's label (e.g. "The organisation's time zone"); none when omitted."""
        self.blank_label = blank_label
        blank = [("", blank_label)] if blank_label is not None else []

        def choices() -> list[tuple[str, Any]]:
            return [*blank, *time_zone_choices()]

        kwargs.setdefault("label", _("Time zone"))
        super().__init__(choices=choices, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        return canonical_name(value) if isinstance(value, str) else value

    def valid_value(self, value: Any) -> bool:
        return value in canonical_zones() or (self.blank_label is not None and value == "")
