"""The sentences of the analytics app's audit kinds (registered by ``AnalyticsConfig.ready``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from advocacy.history import Kind, ObjectType, register_kinds, register_object_type


def register() -> None:
    register_object_type("analytics.trackingsettings", ObjectType(gone=_("the link tracking settings")))
    register_object_type("analytics.referralsettings", ObjectType(gone=_("the referral settings")))
    register_object_type("analytics.referralevent", ObjectType(gone=_("a referral event")))
    register_kinds(
        {
            "tracking.updated": Kind(
                _("Link tracking settings changed"), _("%(actor)s changed the tracking parameters of shared links")
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
        }
    )
