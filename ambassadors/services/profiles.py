"""A member's ambassador profile: made on first need, so a member who never opened onboarding has the defaults;
what they say about themselves, the programmes they join themselves, and their way through the welcome tour."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from advocacy.errors import ServiceError
from advocacy.models import Membership, Programme, ProgrammeMember
from advocacy.services import programme_remove_member, programme_set_member
from advocacy.timezones import canonical_zones
from ambassadors.models import AmbassadorProfile, ProfileInterest
from ambassadors.onboarding import step_for
from content.models import Topic


def profiles_create_missing(*, organization_id: int, membership_ids: list[int]) -> int:
    """Make the default profile of each listed active member of the organisation who has none, in one insert;
    returns how many were made. Safe to run twice: the unique (organisation, membership) skips the others."""
    members = Membership.objects.filter(
        organization=organization_id, pk__in=membership_ids, status=Membership.Status.ACTIVE
    ).exclude(pk__in=AmbassadorProfile.objects.filter(organization=organization_id).values("membership_id"))
    rows = [AmbassadorProfile(organization_id=organization_id, membership=member) for member in members]
    AmbassadorProfile.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


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


def _check_same_organization(membership: Membership, programme: Programme) -> None:
    if programme.organization_id != membership.organization_id or not programme.open_to_volunteers:
        raise ServiceError(
            _("“%(name)s” is not open to volunteers: ask its administrators to add you.") % {"name": programme.name},
            code="programme_closed",
            field="programmes",
        )


@transaction.atomic
def programme_join_self(*, membership: Membership, programme: Programme) -> bool:
    """The member joins a programme open to volunteers; True when they were not in it yet (joining twice does
    nothing). A programme of another organisation or not open refuses with ``ServiceError``."""
    _check_same_organization(membership, programme)
    if ProgrammeMember.objects.filter(
        organization=membership.organization_id, programme=programme, membership=membership
    ).exists():
        return False
    programme_set_member(programme=programme, membership=membership, is_admin=False, by=membership.user)
    return True


@transaction.atomic
def programme_leave_self(*, membership: Membership, programme: Programme) -> bool:
    """The member leaves a programme open to volunteers; True when they were in it. Whoever runs the programme (its
    admins) is not removed this way: the programme would be left without them by a click on a check box."""
    _check_same_organization(membership, programme)
    link = ProgrammeMember.objects.filter(
        organization=membership.organization_id, programme=programme, membership=membership
    ).first()
    if link is None:
        return False
    if link.is_admin:
        raise ServiceError(
            _("You run “%(name)s”: ask an administrator to remove you from it.") % {"name": programme.name},
            code="programme_admin",
            field="programmes",
        )
    programme_remove_member(programme=programme, membership=membership, by=membership.user)
    return True


@transaction.atomic
def programmes_choose_self(*, membership: Membership, chosen: Iterable[Programme]) -> None:
    """The member's choice among the programmes open to volunteers: joins those ticked, leaves the others."""
    chosen = list(chosen)
    for programme in chosen:
        _check_same_organization(membership, programme)
    chosen_ids = {programme.pk for programme in chosen}
    current = Programme.objects.filter(
        organization=membership.organization_id,
        open_to_volunteers=True,
        members__membership=membership,
    )
    for programme in current:
        if programme.pk not in chosen_ids:
            programme_leave_self(membership=membership, programme=programme)
    for programme in chosen:
        programme_join_self(membership=membership, programme=programme)


@transaction.atomic
def profile_save(
    *,
    profile: AmbassadorProfile,
    interests: Iterable[Topic],
    languages: Iterable[str],
    time_zone: str,
    show_in_rankings: bool,
) -> AmbassadorProfile:
    """What the member says about themselves: interests among the organisation's topics, the languages they share
    in (on their membership, as they decide which posts are offered: none keeps the language they read Relais in),
    their time zone (on their user: empty keeps the organisation's) and whether rankings may show their name (an
    opt-in). Anything not offered is refused with a ``ServiceError`` on its field."""
    membership = profile.membership
    topics = list(interests)
    if any(topic.organization_id != profile.organization_id for topic in topics):
        raise ServiceError(_("Pick topics from the list."), code="invalid_topic", field="interests")
    offered = {code for code, _label in settings.LANGUAGES}
    languages = list(dict.fromkeys(languages))
    if not set(languages) <= offered:
        raise ServiceError(_("Pick languages from the list."), code="invalid_language", field="languages")
    if time_zone and time_zone not in canonical_zones():
        raise ServiceError(
            _("“%(value)s” is not a time zone we offer: pick a city from the list.") % {"value": time_zone},
            code="invalid_time_zone",
            field="time_zone",
        )
    ProfileInterest.objects.filter(organization=profile.organization_id, profile=profile).exclude(
        topic__in=topics
    ).delete()
    kept = set(
        ProfileInterest.objects.filter(organization=profile.organization_id, profile=profile).values_list(
            "topic_id", flat=True
        )
    )
    ProfileInterest.objects.bulk_create(
        [
            ProfileInterest(organization_id=profile.organization_id, profile=profile, topic=topic)
            for topic in topics
            if topic.pk not in kept
        ],
        ignore_conflicts=True,  # a second tab saving the same interests at once
    )
    profile.show_in_rankings = show_in_rankings
    profile.save(update_fields=["show_in_rankings", "updated_at"])
    if membership.languages != languages:
        membership.languages = languages
        membership.save(update_fields=["languages"])
    user = membership.user
    if user.time_zone != time_zone:
        user.time_zone = time_zone
        user.save(update_fields=["time_zone"])
    return profile


def _skippable(step: str) -> bool:
    found = step_for(step)
    return found is not None and found.skippable


@transaction.atomic
def onboarding_skip(*, profile: AmbassadorProfile, step: str) -> None:
    """Put a step of the welcome tour behind the member without doing it; the required steps refuse."""
    if not _skippable(step):
        raise ServiceError(_("This step cannot be skipped."), code="not_skippable")
    locked = AmbassadorProfile.objects.select_for_update().get(organization=profile.organization_id, pk=profile.pk)
    if step not in locked.onboarding_skipped:
        locked.onboarding_skipped = [*locked.onboarding_skipped, step]
        locked.save(update_fields=["onboarding_skipped", "updated_at"])
    profile.onboarding_skipped = locked.onboarding_skipped


def onboarding_finish(*, profile: AmbassadorProfile) -> bool:
    """The member finished the welcome tour; True the first time (finishing again keeps the first moment)."""
    now = timezone.now()
    updated = AmbassadorProfile.objects.filter(
        organization=profile.organization_id, pk=profile.pk, onboarding_done_at__isnull=True
    ).update(onboarding_done_at=now, updated_at=now)
    if updated:
        profile.onboarding_done_at = now
    return bool(updated)


def checklist_tick(*, profile: AmbassadorProfile, ticked: Iterable[str]) -> AmbassadorProfile:
    """The LinkedIn profile checklist items the member has ticked (the others are unticked)."""
    ticked = set(ticked)
    if not ticked <= set(AmbassadorProfile.Checklist.values):
        raise ServiceError(_("Pick items from the checklist."), code="invalid_item", field="checklist")
    profile.checklist = [item for item in AmbassadorProfile.Checklist.values if item in ticked]
    profile.save(update_fields=["checklist", "updated_at"])
    return profile
