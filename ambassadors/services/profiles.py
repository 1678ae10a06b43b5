"""A member's ambassador profile: made on first need, so a member who never opened onboarding has the defaults."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from advocacy.models import Membership
from ambassadors.models import AmbassadorProfile


def profile_for(*, membership: Membership) -> AmbassadorProfile:
    """The member's profile, created with the defaults when they have none. Two first requests at once: the loser of
    the unique (organisation, membership) insert reads the winner's row."""
    profile = AmbassadorProfile.objects.filter(organization=membership.organization_id, membership=membership).first()
    if profile is not None:
        return profile
    try:
        with transaction.atomic():
            return AmbassadorProfile.objects.create(organization=membership.organization, membership=membership)
    except IntegrityError:
        return AmbassadorProfile.objects.get(organization=membership.organization_id, membership=membership)
