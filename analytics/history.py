"""The sentences of the analytics app's audit kinds (registered by ``AnalyticsConfig.ready``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from advocacy.history import Kind, ObjectType, register_kinds, register_object_type


def register() -> None:
    register_object_type("analytics.trackingsettings", ObjectType(gone=_("the link tracking settings")))
    register_object_type("analytics.weeklysummary", ObjectType(gone=_("a member's weekly summary setting")))
    register_kinds(
        {
            "tracking.updated": Kind(
                _("Link tracking settings changed"), _("%(actor)s changed the tracking parameters of shared links")
            ),
            "weekly_summary.turned_on": Kind(
                _("Weekly summary turned on"), _("%(actor)s turned their weekly summary of the figures on")
            ),
            "weekly_summary.turned_off": Kind(
                _("Weekly summary turned off"), _("%(actor)s turned their weekly summary of the figures off")
            ),
        }
    )
