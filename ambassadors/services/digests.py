"""The e-mail digest of new posts, and how a member hears from Relais (digest frequency, hour and weekday, nudges).

A member's digest goes out at their own hour in their own time zone (``next_digest_at``, kept in
``AmbassadorProfile.digest_next_at`` so the beat's tick is one indexed range scan). It lists the posts that went live
since the previous digest (``digest_covered_until``), live now, meant for the member and not shared by them yet; with
``nudges_in_digest``, the colleagues' shares they were told about and have not opened. An empty digest sends nothing
but still advances the window.

A batch of digests is built from a fixed number of queries whatever its size (``digests_build``); each e-mail then
goes through ``advocacy.mail``'s send-once guard, keyed by member and window, and carries a one-click unsubscribe
(RFC 8058): a signed token naming the membership, honoured without signing in.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from advocacy.errors import ServiceError
from advocacy.mail import Email, EmailBatch, Message, email_send_each
from advocacy.models import Membership, Organization, ProgrammeMember, User
from advocacy.services import audit_log
from advocacy.unsubscribe import membership_from_token, membership_token, membership_url
from ambassadors.models import AmbassadorProfile, DigestFrequency, Notification, Share
from ambassadors.services.profiles import profile_for
from charter.compliance import member_zone
from content.models import Post, PostProgramme
from content.selectors import targets

PERIODS: dict[str, timedelta] = {DigestFrequency.DAILY: timedelta(days=1), DigestFrequency.WEEKLY: timedelta(days=7)}
# However long a member's digest waited (workers down, a digest turned back on), it reaches back this far at most.
MAX_LOOKBACK = timedelta(days=31)
# Posts listed in one e-mail; the rest wait in the feed, which the e-mail links to.
POSTS_PER_DIGEST = 10
NUDGE_KIND = "nudge"
UNSUBSCRIBE_SALT = "relais.digest.unsubscribe"


# --- When ----------------------------------------------------------------------------------------------------------


def next_digest_at(profile: AmbassadorProfile, zone: ZoneInfo, after: datetime) -> datetime | None:
    """The first moment strictly after ``after`` at the profile's hour (on its weekday for a weekly digest) in
    ``zone``, in UTC; None when the digest is off.

    The wall-clock hour is kept across a change of offset: 08:00 in Paris is 07:00 UTC in winter and 06:00 UTC in
    summer. An hour that does not exist on the day the clocks go forward is taken with the offset before the change
    (02:30 becomes 03:30); an hour that happens twice is taken the first time."""
    if profile.digest_frequency not in PERIODS:
        return None
    local = after.astimezone(zone)
    for days in range(9):
        day = local.date() + timedelta(days=days)
        if profile.digest_frequency == DigestFrequency.WEEKLY and day.weekday() != profile.digest_weekday:
            continue
        candidate = datetime.combine(day, time(profile.digest_hour), tzinfo=zone).astimezone(UTC)
        if candidate > after:
            return candidate
    raise AssertionError("a daily or weekly occurrence always falls within nine days")


def window_start(profile: AmbassadorProfile, now: datetime) -> datetime:
    """Where the member's next digest starts: the end of the previous one; for a first digest, the profile's creation
    or one period back, whichever is later."""
    if profile.digest_covered_until is not None:
        return max(profile.digest_covered_until, now - MAX_LOOKBACK)
    period = PERIODS.get(profile.digest_frequency, PERIODS[DigestFrequency.WEEKLY])
    created: datetime = profile.created_at
    return max(created, now - period)


# --- Preferences ---------------------------------------------------------------------------------------------------


def digest_preferences_save(
    *,
    profile: AmbassadorProfile,
    by: User | None,
    digest_frequency: str,
    digest_hour: int,
    digest_weekday: int,
    nudges: bool,
    nudges_in_digest: bool,
    now: datetime | None = None,
) -> AmbassadorProfile:
    """Save how the member hears from Relais and schedule their next digest in their own time zone. A digest turned
    back on starts afresh (one period back at most), not from the last one sent months ago."""
    if digest_frequency not in DigestFrequency.values:
        raise ServiceError(_("Choose how often you get the digest."), field="digest_frequency")
    if not 0 <= digest_hour <= 23:
        raise ServiceError(_("Choose an hour between 0 and 23."), field="digest_hour")
    if not 0 <= digest_weekday <= 6:
        raise ServiceError(_("Choose a day of the week."), field="digest_weekday")
    now = now or timezone.now()
    with transaction.atomic():
        row = (
            AmbassadorProfile.objects.select_for_update(of=("self",))
            .select_related("membership__user", "membership__organization")
            .get(organization=profile.organization_id, pk=profile.pk)
        )
        if row.digest_frequency == DigestFrequency.OFF and digest_frequency != DigestFrequency.OFF:
            row.digest_covered_until = None
        row.digest_frequency = digest_frequency
        row.digest_hour = digest_hour
        row.digest_weekday = digest_weekday
        row.nudges = nudges
        row.nudges_in_digest = nudges_in_digest
        row.digest_next_at = next_digest_at(row, member_zone(row.membership), now)
        row.save()
        audit_log(
            organization=row.organization,
            actor=by,
            action="digest.preferences_changed",
            target=row,
            data={
                "digest_frequency": digest_frequency,
                "digest_hour": digest_hour,
                "digest_weekday": digest_weekday,
                "nudges": nudges,
                "nudges_in_digest": nudges_in_digest,
            },
        )
    return row


# --- One-click unsubscribe (RFC 8058) ------------------------------------------------------------------------------


def unsubscribe_token(membership: Membership) -> str:
    return membership_token(membership, salt=UNSUBSCRIBE_SALT)


def unsubscribe_url(membership: Membership) -> str:
    return membership_url(membership, salt=UNSUBSCRIBE_SALT, url_name="digest_unsubscribe")


def unsubscribe_membership(token: str) -> Membership | None:
    return membership_from_token(token, salt=UNSUBSCRIBE_SALT)


def digest_unsubscribe(*, membership: Membership) -> bool:
    """Turn the member's digest off (the unsubscribe link); True when it was on. Only this member's."""
    with transaction.atomic():
        profile = profile_for(membership=membership)
        row = AmbassadorProfile.objects.select_for_update().get(organization=membership.organization_id, pk=profile.pk)
        if row.digest_frequency == DigestFrequency.OFF:
            return False
        previous = row.digest_frequency
        row.digest_frequency = DigestFrequency.OFF
        row.digest_next_at = None
        row.save(update_fields=["digest_frequency", "digest_next_at", "updated_at"])
        audit_log(
            organization=membership.organization,
            actor=membership.user,
            action="digest.unsubscribed",
            target=row,
            data={"previous": previous},
        )
    return True


# --- Building and sending ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DigestPost:
    pk: int
    title: str
    featured: bool
    went_live: datetime
    composer_url: str


@dataclass
class Digest:
    profile: AmbassadorProfile
    start: datetime
    posts: list[DigestPost] = field(default_factory=list)
    nudges: list[Notification] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.posts and not self.nudges


@dataclass
class _Rows:
    """What a batch's digests are built from, read once for all its members."""

    programmes: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    posts: list[dict[str, Any]] = field(default_factory=list)
    post_programmes: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    shared: set[tuple[int, int]] = field(default_factory=set)
    nudges: dict[int, list[Notification]] = field(default_factory=lambda: defaultdict(list))


def _rows(
    *, organization: Organization, profiles: Sequence[AmbassadorProfile], since: datetime, now: datetime
) -> _Rows:
    rows = _Rows()
    membership_ids = [profile.membership_id for profile in profiles]
    for membership_id, programme_id in ProgrammeMember.objects.filter(
        organization=organization, membership_id__in=membership_ids
    ).values_list("membership_id", "programme_id"):
        rows.programmes[membership_id].add(programme_id)
    rows.posts = [
        dict(post)
        for post in Post.objects.filter(organization=organization)
        .filter(Post.live_filter(now))
        .annotate(went_live=Post.live_since())
        .filter(went_live__gt=since, went_live__lte=now)
        .order_by("-featured", "-went_live", "-pk")
        .values("pk", "title", "featured", "languages", "went_live")
    ]
    post_ids = [post["pk"] for post in rows.posts]
    if post_ids:
        for post_id, programme_id in PostProgramme.objects.filter(
            organization=organization, post_id__in=post_ids
        ).values_list("post_id", "programme_id"):
            rows.post_programmes[post_id].add(programme_id)
        # As ``shared_post_ids``: a cancelled share does not count.
        rows.shared = set(
            Share.objects.filter(organization=organization, membership_id__in=membership_ids, post_id__in=post_ids)
            .exclude(status=Share.Status.CANCELLED)
            .values_list("membership_id", "post_id")
        )
    nudge_members = [profile.membership_id for profile in profiles if profile.nudges_in_digest]
    if nudge_members:
        for notification in Notification.objects.filter(
            organization=organization,
            membership_id__in=nudge_members,
            kind=NUDGE_KIND,
            read_at__isnull=True,
            created_at__gt=since,
            created_at__lte=now,
        ).order_by("-created_at", "-pk"):
            rows.nudges[notification.membership_id].append(notification)
    return rows


def _fill(digest: Digest, rows: _Rows, organization: Organization) -> None:
    membership = digest.profile.membership
    languages = membership.sharing_languages()
    site = settings.RELAIS_SITE_URL.rstrip("/")
    for post in rows.posts:
        if post["went_live"] <= digest.start or (membership.pk, post["pk"]) in rows.shared:
            continue
        if targets(
            post_programmes=rows.post_programmes[post["pk"]],
            post_languages=post["languages"] or [],
            member_programmes=rows.programmes[membership.pk],
            member_languages=languages,
        ):
            digest.posts.append(
                DigestPost(
                    pk=post["pk"],
                    title=post["title"],
                    featured=post["featured"],
                    went_live=post["went_live"],
                    composer_url=site + reverse("composer", args=[organization.slug, post["pk"]]),
                )
            )
    digest.nudges = [n for n in rows.nudges[membership.pk] if n.created_at > digest.start]


def digests_build(*, organization: Organization, profiles: Sequence[AmbassadorProfile], now: datetime) -> list[Digest]:
    """Each profile's digest, from five queries whatever the number of members: their programmes, the posts that
    went live in the widest window, those posts' programmes, the members' shares of them and the unread nudges.
    ``profiles`` come with ``membership__user`` and ``membership__organization``."""
    if not profiles:
        return []
    digests = [Digest(profile=profile, start=window_start(profile, now)) for profile in profiles]
    rows = _rows(organization=organization, profiles=profiles, since=min(d.start for d in digests), now=now)
    for digest in digests:
        _fill(digest, rows, organization)
    return digests


def digest_key(profile: AmbassadorProfile) -> str:
    """One e-mail per member and window: the window is named by the moment it was due, which a retry keeps."""
    due = profile.digest_next_at.isoformat() if profile.digest_next_at else "first"
    return f"digest:{profile.membership_id}:{due}"


def digest_email(digest: Digest) -> Email:
    membership = digest.profile.membership
    user, organization = membership.user, membership.organization
    site = settings.RELAIS_SITE_URL.rstrip("/")
    unsubscribe = unsubscribe_url(membership)
    with translation.override(membership.reading_language()):
        count = len(digest.posts)
        if count:
            subject = ngettext(
                "%(count)s new post to share — %(organization)s",
                "%(count)s new posts to share — %(organization)s",
                count,
            ) % {"count": count, "organization": organization.name}
        else:
            subject = _("Your colleagues shared — %(organization)s") % {"organization": organization.name}
        body = render_to_string(
            "emails/digest.txt",
            {
                "recipient": user,
                "organization": organization,
                "posts": digest.posts[:POSTS_PER_DIGEST],
                "more": max(0, count - POSTS_PER_DIGEST),
                "nudges": [
                    {"message": n.message, "url": site + n.url if n.url.startswith("/") else ""} for n in digest.nudges
                ],
                "feed_url": site + reverse("feed", args=[organization.slug]),
                "settings_url": site + reverse("notification_settings", args=[organization.slug]),
                "unsubscribe_url": unsubscribe,
            },
        )
    headers = {"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    return Email(subject=subject, body=body, to=user.email, headers=headers)


@dataclass
class DigestRun:
    batch: EmailBatch
    scheduled: int = 0
    advanced: int = 0


def due_profiles(*, organization: Organization, profile_ids: Sequence[int], now: datetime) -> list[AmbassadorProfile]:
    """The listed profiles whose digest is on and due (or not scheduled yet), of active members."""
    return list(
        AmbassadorProfile.objects.filter(organization=organization, pk__in=profile_ids)
        .exclude(digest_frequency=DigestFrequency.OFF)
        .filter(Q(digest_next_at__lte=now) | Q(digest_next_at__isnull=True))
        .filter(membership__status=Membership.Status.ACTIVE)
        .select_related("membership__user", "membership__organization")
        .order_by("pk")
    )


def digests_send(*, organization_id: int, profile_ids: Sequence[int], now: datetime | None = None) -> DigestRun:
    """Send the due digests of a batch of profiles of one organisation; schedule those not scheduled yet (their
    first digest comes at their next hour). A digest that could not be sent keeps its window, for the retry."""
    now = now or timezone.now()
    organization = Organization.objects.get(pk=organization_id)
    profiles = due_profiles(organization=organization, profile_ids=profile_ids, now=now)
    unscheduled = [profile for profile in profiles if profile.digest_next_at is None]
    for profile in unscheduled:
        profile.digest_next_at = next_digest_at(profile, member_zone(profile.membership), now)
    if unscheduled:
        AmbassadorProfile.objects.bulk_update(unscheduled, ["digest_next_at"])
    due = [profile for profile in profiles if profile.digest_next_at is not None and profile.digest_next_at <= now]
    digests = digests_build(organization=organization, profiles=due, now=now)
    batch = email_send_each(
        organization=organization,
        messages=(
            Message(ref=digest.profile.pk, key=digest_key(digest.profile), compose=partial(digest_email, digest))
            for digest in digests
            if not digest.is_empty
        ),
    )
    failed = set(batch.failed)
    advanced = [digest.profile for digest in digests if digest.profile.pk not in failed]
    for profile in advanced:
        profile.digest_covered_until = now
        profile.digest_next_at = next_digest_at(profile, member_zone(profile.membership), now)
    if advanced:
        AmbassadorProfile.objects.bulk_update(advanced, ["digest_covered_until", "digest_next_at"])
    return DigestRun(batch=batch, scheduled=len(unscheduled), advanced=len(advanced))
