"""The welcome tour's steps, in order, and how far a member has come through them.

A step is behind the member once they skipped it or once what it asks for is done (a programme joined, the charter
accepted, something said about themselves, an account connected); the last step is behind them only when they finish
the tour. The progress is one query; the charter's standing is asked only of a member past the first step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Exists, JSONField, OuterRef, Subquery
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from advocacy.models import Membership, Programme, ProgrammeMember
from ambassadors.models import AmbassadorProfile, ProfileInterest, SocialConnection
from charter import selectors as charter_selectors
from content.models import Topic

PROGRAMMES = "programmes"
CHARTER = "charter"
PROFILE = "profile"
CONNECT = "connect"
FIRST_SHARE = "first-share"


@dataclass(frozen=True)
class Step:
    key: str
    title: Promise
    why: Promise
    skippable: bool

    @property
    def template(self) -> str:
        return f"ambassadors/welcome_{self.key.replace('-', '_')}.html"


STEPS: tuple[Step, ...] = (
    Step(
        PROGRAMMES,
        _("Join your programmes"),
        _(
            "Programmes group the colleagues who share on the same subjects: "
            "joining one brings you the posts meant for it."
        ),
        skippable=True,
    ),
    Step(
        CHARTER,
        _("Accept the charter"),
        _(
            "The charter sets the rules we all share by: what may be said, what stays confidential, "
            "how to disclose it. You can share once you have accepted it."
        ),
        skippable=False,
    ),
    Step(
        PROFILE,
        _("Tell us about you"),
        _(
            "Your interests and languages decide which posts the feed shows you first; "
            "your time zone, when your scheduled shares go out."
        ),
        skippable=True,
    ),
    Step(
        CONNECT,
        _("Connect your accounts"),
        _(
            "With your LinkedIn or X account connected, Relais publishes your shares for you, "
            "at the time you choose. Without one, you copy the text and open the network yourself."
        ),
        skippable=True,
    ),
    Step(
        FIRST_SHARE,
        _("Make your first share"),
        _(
            "A first share is the best way to see how it works; "
            "a complete LinkedIn profile makes people trust what you share."
        ),
        skippable=False,
    ),
)
KEYS = tuple(step.key for step in STEPS)


def step_for(key: str) -> Step | None:
    return next((step for step in STEPS if step.key == key), None)


def step_number(key: str) -> int:
    """1 for the first step."""
    return KEYS.index(key) + 1


def neighbours(key: str) -> tuple[Step | None, Step | None]:
    """The steps before and after ``key`` (None at either end)."""
    index = KEYS.index(key)
    return (STEPS[index - 1] if index > 0 else None, STEPS[index + 1] if index + 1 < len(STEPS) else None)


def charter_settled(membership: Membership) -> bool:
    """The charter step is behind the member once they may share, or when there is no charter to accept yet."""
    status = charter_selectors.charter_status(membership=membership)
    return status.can_share or status.state == charter_selectors.NO_CHARTER


@dataclass(frozen=True)
class Progress:
    """What the tour needs to know of a member, read in one query (``progress_of``)."""

    done_at: datetime | None
    skipped: frozenset[str]
    in_a_programme: bool
    said_about_themselves: bool
    connected: bool


def progress_of(membership: Membership) -> Progress:
    """The member's way through the tour in one query, whether or not their profile exists yet (it is never made
    here: the home reads this and a visit to the home writes nothing)."""
    organization = membership.organization_id
    profile = AmbassadorProfile.objects.filter(organization=organization, membership=OuterRef("pk"))
    row: Mapping[str, Any] = (
        Membership.objects.filter(organization=organization, pk=membership.pk)
        .annotate(
            done_at=Subquery(profile.values("onboarding_done_at")[:1]),
            skipped=Subquery(profile.values("onboarding_skipped")[:1], output_field=JSONField()),
            in_a_programme=Exists(ProgrammeMember.objects.filter(organization=organization, membership=OuterRef("pk"))),
            has_interests=Exists(
                ProfileInterest.objects.filter(organization=organization, profile__membership=OuterRef("pk"))
            ),
            connected=Exists(
                SocialConnection.objects.filter(
                    organization=organization, membership=OuterRef("pk"), status=SocialConnection.Status.ACTIVE
                )
            ),
        )
        .values("done_at", "skipped", "languages", "in_a_programme", "has_interests", "connected")
        .first()
    ) or {}
    return Progress(
        done_at=row.get("done_at"),
        skipped=frozenset(row.get("skipped") or ()),
        in_a_programme=bool(row.get("in_a_programme")),
        said_about_themselves=bool(row.get("languages") or row.get("has_interests") or membership.user.time_zone),
        connected=bool(row.get("connected")),
    )


_DONE: dict[str, Callable[[Membership, Progress], bool]] = {
    PROGRAMMES: lambda membership, progress: progress.in_a_programme,
    # Last of the checks, as it costs the most queries: only a member past the programmes step pays for it.
    CHARTER: lambda membership, progress: charter_settled(membership),
    PROFILE: lambda membership, progress: progress.said_about_themselves,
    CONNECT: lambda membership, progress: progress.connected,
    FIRST_SHARE: lambda membership, progress: progress.done_at is not None,
}


def first_step_ahead(membership: Membership, progress: Progress) -> Step:
    """The first step the member neither skipped nor did; the last one until they finish the tour."""
    for step in STEPS:
        if step.key not in progress.skipped and not _DONE[step.key](membership, progress):
            return step
    return STEPS[-1]


def open_programmes(*, membership: Membership) -> list[Programme]:
    """The programmes the member may join or leave themselves, with a flag ``joined`` (one query)."""
    mine = ProgrammeMember.objects.filter(
        organization=membership.organization_id, membership=membership, programme=OuterRef("pk")
    )
    return list(
        Programme.objects.filter(organization=membership.organization_id, open_to_volunteers=True).annotate(
            joined=Exists(mine)
        )
    )


def closed_programmes_joined(*, membership: Membership) -> list[Programme]:
    """The member's programmes that only their administrators fill: shown, not offered."""
    return list(
        Programme.objects.filter(
            organization=membership.organization_id, open_to_volunteers=False, members__membership=membership
        )
    )


def organization_topics(*, membership: Membership) -> list[Topic]:
    return list(Topic.objects.filter(organization=membership.organization_id))


def interest_ids(*, profile: AmbassadorProfile) -> list[int]:
    return list(
        ProfileInterest.objects.filter(organization=profile.organization_id, profile=profile).values_list(
            "topic_id", flat=True
        )
    )
