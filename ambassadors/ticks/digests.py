"""The cross-tenant listing of the digest tick (security-and-reliability.md §1.3): the profiles whose digest is due,
or not scheduled yet, as (profile id, organisation id) pairs and nothing else. Each organisation's digests are then
built and sent in its own scope (``ambassadors.tasks.digests.send_digests``)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from advocacy.models import Membership
from advocacy.tenancy import scopes_disabled
from ambassadors.models import AmbassadorProfile, DigestFrequency

MAX_PROFILES_PER_TICK = 20_000


def due_digest_profiles(*, now: datetime | None = None, limit: int = MAX_PROFILES_PER_TICK) -> list[tuple[int, int]]:
    """``(profile_id, organization_id)`` of the digests due at ``now`` (never scheduled ones first) of active members
    of active organisations, the longest-waiting first; the rest come with the next tick."""
    now = now or timezone.now()
    with scopes_disabled():
        rows = (
            AmbassadorProfile.objects.exclude(digest_frequency=DigestFrequency.OFF)
            .filter(Q(digest_next_at__lte=now) | Q(digest_next_at__isnull=True))
            .filter(organization__is_active=True, membership__status=Membership.Status.ACTIVE)
            .order_by(F("digest_next_at").asc(nulls_first=True), "pk")
            .values_list("pk", "organization_id")[:limit]
        )
        return [(int(profile_id), int(organization_id)) for profile_id, organization_id in rows]


def members_without_profile(*, limit: int = MAX_PROFILES_PER_TICK) -> list[tuple[int, int]]:
    """``(membership_id, organization_id)`` of active members of active organisations who have no profile yet: they
    get the default digest like everyone, so a profile is made for them (``ambassadors.ensure_profiles``)."""
    with scopes_disabled():
        profiles = AmbassadorProfile.objects.filter(membership=OuterRef("pk"))
        rows = (
            Membership.objects.filter(status=Membership.Status.ACTIVE, organization__is_active=True)
            .filter(~Exists(profiles))
            .order_by("pk")
            .values_list("pk", "organization_id")[:limit]
        )
        return [(int(membership_id), int(organization_id)) for membership_id, organization_id in rows]
