"""The sentences of the analytics app's audit kinds (registered by ``AnalyticsConfig.ready``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

from advocacy.history import Kind, ObjectType, register_kinds, register_object_type


def _counts(data: Mapping[str, Any]) -> Mapping[str, Any]:
    return {name: data.get(name, 0) for name in ("lines", "recorded", "updated")}


def register() -> None:
    register_object_type("analytics.trackingsettings", ObjectType(gone=_("the link tracking settings")))
    register_kinds(
        {
            "tracking.updated": Kind(
                _("Link tracking settings changed"), _("%(actor)s changed the tracking parameters of shared links")
            ),
            "departures.imported": Kind(
                _("List of leavers imported"),
                _(
                    "%(actor)s imported a list of %(lines)s leavers: %(recorded)s departures recorded, "
                    "%(updated)s dates corrected"
                ),
                _counts,
            ),
        }
    )
