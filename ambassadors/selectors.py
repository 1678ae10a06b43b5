"""Reads of the ambassadors app. Each selector filters by the organisation explicitly (the scope is the second lock)
and owns its ``select_related`` so list pages run a fixed number of queries."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Exists,
    F,
    IntegerField,
    OrderBy,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext

from advocacy.models import Membership, Organization
from advocacy.selectors import status_counts
from ambassadors.models import (
    AmbassadorProfile,
    Notification,
    ProfileInterest,
    PublishingSettings,
    Share,
    ShareAttempt,
    SocialConnection,
)
from charter.compliance import member_zone
from content.models import Post, PostTopic, PostVariant, Topic
from content.selectors import posts_to_share
from content.text import URL_RE

# --- Connections ---------------------------------------------------------------------------------------------------


def without_tokens(connections: QuerySet[SocialConnection]) -> QuerySet[SocialConnection]:
    """``connections`` without their sealed tokens, annotated with what ``refreshable`` needs of them: lists for
    admins never load a token."""
    return connections.defer("access_token_sealed", "refresh_token_sealed").annotate(
        has_refresh=Case(
            When(refresh_token_sealed="", then=Value(False)), default=Value(True), output_field=BooleanField()
        )
    )


def refreshable(connection: SocialConnection) -> bool:
    # Lists built on without_tokens carry the annotation: reading the deferred column would load the sealed token.
    annotated = getattr(connection, "has_refresh", None)
    return bool(connection.refresh_token_sealed) if annotated is None else bool(annotated)


def effective_expiry(connection: SocialConnection, *, refreshable: bool) -> datetime | None:
    """When the member must consent again: the refresh token's end if renewable, else the access token's."""
    return connection.refresh_expires_at if refreshable else connection.access_expires_at


def member_connections(*, membership: Membership) -> QuerySet[SocialConnection]:
    """The member's live connections (connected or waiting for a reconnect), one per network at most."""
    return (
        SocialConnection.objects.filter(organization=membership.organization_id, membership=membership)
        .exclude(status=SocialConnection.Status.DISCONNECTED)
        .order_by("provider")
    )


def organization_live_connections(*, organization: Organization) -> QuerySet[SocialConnection]:
    """Every live connection of the organisation, for admins, by member then network. The sealed tokens are never
    loaded, only whether a refresh token exists."""
    return (
        without_tokens(SocialConnection.objects.filter(organization=organization))
        .exclude(status=SocialConnection.Status.DISCONNECTED)
        .select_related("membership__user")  # the member's name and e-mail on each row, in the same query
        .order_by("membership__user__full_name", "membership__user__email", "provider")
    )


# --- Publishing ----------------------------------------------------------------------------------------------------


def x_post_cost(text: str, link: str) -> Decimal:
    """What X bills for one post of ``text`` with ``link`` (the client appends the link): more with any URL."""
    if link or URL_RE.search(text):
        return Decimal(settings.RELAIS_X_COST_URL_POST)
    return Decimal(settings.RELAIS_X_COST_POST)


def publishing_settings(*, organization: Organization) -> PublishingSettings:
    """The organisation's publishing settings; the defaults (unsaved: reading writes nothing) until an admin saves
    them."""
    found = PublishingSettings.objects.filter(organization=organization).first()
    return found if found is not None else PublishingSettings(organization=organization)


def _month_start(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def x_month_spend(*, organization: Organization, now: datetime | None = None) -> Decimal:
    """What the organisation's X posts cost this calendar month (UTC, as X bills): the sum of the published shares'
    ``cost``."""
    start = _month_start(now or timezone.now())
    total = Share.objects.filter(
        organization=organization, network="x", status=Share.Status.PUBLISHED, published_at__gte=start
    ).aggregate(total=Sum("cost"))["total"]
    return Decimal(total or 0)


# --- Shares --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShareSection:
    """A part of the member's shares page: the statuses it gathers and the order that puts the most useful first."""

    key: str
    statuses: tuple[str, ...]
    order: tuple[OrderBy, ...]


# What waits for the member (a fix, a retry, a post to make by hand), what is yet to go out (soonest first), and
# what went out (newest first). The keys are also filters of the list, beside the statuses.
SHARE_SECTIONS = {
    section.key: section
    for section in (
        ShareSection(
            "needs_you",
            (Share.Status.NEEDS_ACTION, Share.Status.FAILED, Share.Status.MANUAL),
            (F("updated_at").desc(), F("pk").desc()),
        ),
        ShareSection(
            "upcoming",
            (Share.Status.DRAFT, Share.Status.SCHEDULED, Share.Status.PUBLISHING),
            (F("scheduled_at").asc(nulls_last=True), F("pk").asc()),
        ),
        ShareSection("published", (Share.Status.PUBLISHED,), (F("published_at").desc(nulls_last=True), F("pk").desc())),
    )
}


def member_shares(*, membership: Membership, status: str = "") -> QuerySet[Share]:
    """The member's shares, newest first, optionally of one status. Joins what a row shows (the post, the account,
    the URLs' organisation) so a page of them costs one query."""
    rows = Share.objects.filter(organization=membership.organization_id, membership=membership).select_related(
        "post", "connection", "organization", "membership__organization"
    )
    if status in Share.Status.values:
        rows = rows.filter(status=status)
    return rows.order_by("-created_at", "-pk")


def member_section_shares(*, membership: Membership, key: str) -> QuerySet[Share]:
    """The member's shares of one section of ``SHARE_SECTIONS``, in its order (joined as ``member_shares``)."""
    section = SHARE_SECTIONS[key]
    return member_shares(membership=membership).filter(status__in=section.statuses).order_by(*section.order)


def member_share_sections(*, membership: Membership, shown: Mapping[str, int]) -> dict[str, list[Share]]:
    """The first ``shown[key]`` shares of each section of ``SHARE_SECTIONS`` named in ``shown``, each in its order,
    by section (a section without shares is left out).

    One query for every section: each row is numbered within its section (a window partitioned by section) and
    only the first ones are kept. Each section's order applies to its own rows only (it reads NULL on the others),
    so one window serves sections ordered differently.
    """
    sections = [SHARE_SECTIONS[key] for key in shown]
    section_of = Case(
        *(When(status__in=section.statuses, then=Value(section.key)) for section in sections),
        output_field=CharField(),
    )
    order = [
        OrderBy(
            Case(When(status__in=section.statuses, then=term.expression)),
            descending=term.descending,
            nulls_last=True,
        )
        for section in sections
        for term in section.order
    ]
    rows = (
        member_shares(membership=membership)
        .filter(status__in=[status for section in sections for status in section.statuses])
        .annotate(
            section=section_of,
            limit=Case(
                *(When(status__in=section.statuses, then=Value(shown[section.key])) for section in sections),
                output_field=IntegerField(),
            ),
            rank=Window(RowNumber(), partition_by=section_of, order_by=order),
        )
        .filter(rank__lte=F("limit"))
        .order_by("rank")
    )
    found: dict[str, list[Share]] = {}
    for share in rows:
        found.setdefault(share.section, []).append(share)
    return {section.key: found[section.key] for section in sections if section.key in found}


def share_counts(*, membership: Membership) -> dict[str, int]:
    """How many shares the member has in each status (every status present, 0 when none), in one query."""
    shares = Share.objects.filter(organization=membership.organization_id, membership=membership)
    return status_counts(shares, Share.Status.values)


@dataclass(frozen=True)
class XSpend:
    api_enabled: bool
    budget: Decimal
    spent: Decimal
    remaining: Decimal
    cost_per_post: Decimal
    cost_per_post_with_link: Decimal


def x_spend_summary(*, organization: Organization) -> XSpend:
    """This month's X spend against the budget, and what one post costs with and without a link."""
    choices = publishing_settings(organization=organization)
    spent = x_month_spend(organization=organization)
    return XSpend(
        api_enabled=choices.x_api_enabled,
        budget=choices.x_monthly_budget,
        spent=spent,
        remaining=max(choices.x_monthly_budget - spent, Decimal("0")),
        cost_per_post=x_post_cost("Relais", ""),
        cost_per_post_with_link=x_post_cost("Relais", "https://example.com/"),
    )


def member_time_zone(membership: Membership) -> str:
    """The member's time zone name, for the pages that show their shares' times."""
    return member_zone(membership).key


def share_attempts(*, share: Share) -> QuerySet[ShareAttempt]:
    """The attempt log of a share, oldest first."""
    return ShareAttempt.objects.filter(organization=share.organization_id, share=share).order_by("number", "pk")


# --- The organisation home -----------------------------------------------------------------------------------------

# Enough to act on; the oldest unread ones wait until these are read.
NOTICES_SHOWN = 10


def unread_notices(*, membership: Membership) -> list[Notification]:
    """The member's unread notifications, reconnect notices first (one query)."""
    return list(
        Notification.objects.filter(
            organization=membership.organization_id, membership=membership, read_at__isnull=True
        )
        .annotate(urgent=Case(When(kind="reconnect", then=Value(0)), default=Value(1), output_field=IntegerField()))
        .order_by("urgent", "-created_at", "-pk")[:NOTICES_SHOWN]
    )


# Shares that wait for their member: reconnect an account, edit a text, accept the charter, or try again.
SHARES_NEEDING_MEMBER = (Share.Status.NEEDS_ACTION, Share.Status.FAILED)


def shares_needing_member(*, membership: Membership) -> QuerySet[Share]:
    return member_shares(membership=membership).filter(status__in=SHARES_NEEDING_MEMBER)


def shared_post_ids(*, membership: Membership) -> QuerySet[Share, Any]:
    """The posts the member has shared or is sharing (a cancelled share does not count), as a subquery."""
    return (
        Share.objects.filter(organization=membership.organization_id, membership=membership)
        .exclude(status=Share.Status.CANCELLED)
        .values("post_id")
    )


def connection_counts(*, organization: Organization) -> dict[str, int]:
    """How many of the organisation's connections are in each status (every status present), in one query."""
    return status_counts(SocialConnection.objects.filter(organization=organization), SocialConnection.Status.values)


# --- The feed ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedTopics:
    choices: list[tuple[int, str]]
    interests: list[int]


def feed_topics(*, membership: Membership) -> FeedTopics:
    """The organisation's topics (the feed's filter) and those the member said they care about, in one query."""
    organization_id = membership.organization_id
    mine = ProfileInterest.objects.filter(
        organization=organization_id, profile__membership=membership, topic=OuterRef("pk")
    )
    rows = (
        Topic.objects.filter(organization=organization_id)
        .annotate(mine=Exists(mine))
        .order_by("name", "pk")
        .values_list("pk", "name", "mine")
    )
    choices, interests = [], []
    for pk, name, is_mine in rows:
        choices.append((pk, name))
        if is_mine:
            interests.append(pk)
    return FeedTopics(choices, interests)


def feed_posts(
    *,
    membership: Membership,
    topic: int | None = None,
    network: str = "",
    interests: Sequence[int] = (),
    now: datetime | None = None,
) -> QuerySet[Post]:
    """The member's feed: the live posts meant for them (``content.selectors.posts_to_share``: featured first, then
    newest), narrowed to a topic, to posts with a suggested text for ``network``, and to ``interests`` (a post with
    no topic is for everyone). Each post carries ``my_share_id``, the member's latest share of it that was not
    cancelled. Topics and suggested texts are fetched in one query each, whatever the page size."""
    organization_id = membership.organization_id
    posts = posts_to_share(membership=membership, now=now)
    post_topics = PostTopic.objects.filter(organization=organization_id, post=OuterRef("pk"))
    if topic is not None:
        posts = posts.filter(Exists(post_topics.filter(topic=topic)))
    if network:
        posts = posts.filter(
            Exists(PostVariant.objects.filter(organization=organization_id, post=OuterRef("pk"), network=network))
        )
    if interests:
        posts = posts.filter(~Exists(post_topics) | Exists(post_topics.filter(topic__in=list(interests))))
    mine = (
        Share.objects.filter(organization=organization_id, membership=membership, post=OuterRef("pk"))
        .exclude(status=Share.Status.CANCELLED)
        .order_by("-created_at", "-pk")
        .values("pk")[:1]
    )
    return posts.annotate(my_share_id=Subquery(mine)).prefetch_related(
        Prefetch("topics", queryset=Topic.objects.filter(organization=organization_id).order_by("name")),
        Prefetch(
            "variants",
            queryset=PostVariant.objects.filter(organization=organization_id).order_by("network", "position", "pk"),
        ),
    )


# --- Notifications page and bell -----------------------------------------------------------------------------------


def member_notifications(*, membership: Membership) -> QuerySet[Notification]:
    """The member's own notifications, newest first."""
    return Notification.objects.filter(organization=membership.organization_id, membership=membership).order_by(
        "-created_at", "-pk"
    )


def unread_notification_count(*, membership: Membership) -> int:
    return Notification.objects.filter(
        organization=membership.organization_id, membership=membership, read_at__isnull=True
    ).count()


# --- Rankings ------------------------------------------------------------------------------------------------------


def ranking_names(
    membership_ids: Iterable[int], *, viewer: Membership, hidden_left_out: bool = False
) -> dict[int, str]:
    """``{membership id: name}`` for a ranking ``viewer`` sees: the member's name when they chose to show it on their
    profile (``AmbassadorProfile.show_in_rankings``, an opt-in) or when they are the viewer, else "An ambassador".

    One query whatever the number of members: the names are read only for those who may be named, so a hidden
    member's name never leaves the database. Memberships of another organisation get the neutral label. With
    ``hidden_left_out``, those who did not choose to be named are not in the result at all (a page their colleagues
    read, where even an anonymous rank could point at someone)."""
    ids = set(membership_ids)
    opted_in = Exists(
        AmbassadorProfile.objects.filter(
            organization=viewer.organization_id, membership=OuterRef("pk"), show_in_rankings=True
        )
    )
    named = (
        Membership.objects.filter(organization=viewer.organization_id, pk__in=ids)
        .filter(opted_in | Q(pk=viewer.pk))
        .select_related("user")
        .only("pk", "user__full_name", "user__email")
    )
    names = {membership.pk: membership.user.display_name for membership in named}
    if hidden_left_out:
        return names
    hidden = gettext("An ambassador")
    return {pk: names.get(pk, hidden) for pk in ids}
