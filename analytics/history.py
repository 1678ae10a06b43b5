"""The sentences of the analytics app's audit kinds (registered by ``AnalyticsConfig.ready``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from advocacy.history import Kind, ObjectType, register_kinds, register_object_type


def _quarter(data: Mapping[str, Any]) -> Mapping[str, Any]:
    return {
        "quarter": gettext("Q%(quarter)s %(year)s") % {"quarter": data.get("quarter", ""), "year": data.get("year", "")}
    }


def _counts(data: Mapping[str, Any]) -> Mapping[str, Any]:
    return {name: data.get(name, 0) for name in ("lines", "recorded", "updated")}


def register() -> None:
    register_object_type("analytics.trackingsettings", ObjectType(gone=_("the link tracking settings")))
    register_object_type("analytics.emvrates", ObjectType(gone=_("the earned media value rates")))
    register_object_type("analytics.referralsettings", ObjectType(gone=_("the referral settings")))
    register_object_type("analytics.referralevent", ObjectType(gone=_("a referral event")))
    register_object_type("analytics.weeklysummary", ObjectType(gone=_("a member's weekly summary setting")))
    register_kinds(
        {
            "tracking.updated": Kind(
                _("Link tracking settings changed"), _("%(actor)s changed the tracking parameters of shared links")
            ),
            "emv_rates.updated": Kind(
                _("Earned media value rates changed"), _("%(actor)s changed the rates of the earned media value")
            ),
            "programme_goal.saved": Kind(
                _("Programme goals set"),
                _("%(actor)s set the goals of the programme %(object)s for %(quarter)s"),
                _quarter,
            ),
            "programme_goal.removed": Kind(
                _("Programme goals removed"),
                _("%(actor)s removed the goals of the programme %(object)s for %(quarter)s"),
                _quarter,
            ),
            "referrals.settings_updated": Kind(
                _("Referral settings changed"), _("%(actor)s changed the agency fee and the programme cost")
            ),
            "referrals.secret_rotated": Kind(
                _("Referral webhook secret generated"), _("%(actor)s generated a new referral webhook secret")
            ),
            "referrals.event_recorded": Kind(
                _("Referral event recorded"),
                _("%(actor)s recorded by hand a referral event credited to %(member)s"),
                refs={"member": ("advocacy.membership", "membership")},
            ),
            "departures.imported": Kind(
                _("List of leavers imported"),
                _(
                    "%(actor)s imported a list of %(lines)s leavers: %(recorded)s departures recorded, "
                    "%(updated)s dates corrected"
                ),
                _counts,
            ),
            "weekly_summary.turned_on": Kind(
                _("Weekly summary turned on"), _("%(actor)s turned their weekly summary of the figures on")
            ),
            "weekly_summary.turned_off": Kind(
                _("Weekly summary turned off"), _("%(actor)s turned their weekly summary of the figures off")
            ),
        }
    )
