"""The e-mail digest of new posts: at each member's own hour in their own time zone (daily, weekly, across DST), with
the posts that went live since the last one, are live, meant for them and not shared by them yet, featured first;
once per member and window; built from a fixed number of queries whatever the batch's size."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from advocacy.models import Membership, ProgrammeMember, User
from advocacy.roles import Role
from advocacy.tenancy import organization_scope
from ambassadors.models import AmbassadorProfile, DigestFrequency, Notification, Share
from ambassadors.services.digests import (
    digest_preferences_save,
    digests_build,
    digests_send,
    due_profiles,
    next_digest_at,
)
from ambassadors.services.profiles import profile_for
from ambassadors.tasks.digests import enqueue_due_digests
from ambassadors.ticks.digests import due_digest_profiles
from content.models import Post, PostProgramme
from content.selectors import post_is_meant_for, targets
from tests.ambassadors.factories import ShareFactory
from tests.content.factories import PostFactory, eager_celery
from tests.factories import MembershipFactory, OrganizationFactory, ProgrammeFactory, UserFactory

PARIS, NEW_YORK = ZoneInfo("Europe/Paris"), ZoneInfo("America/New_York")
# A Monday in winter: Paris is UTC+1, New York UTC-5.
MONDAY = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
# Sunday evening, before the members' Monday 08:00 everywhere.
SUBSCRIBED = MONDAY - timedelta(hours=6)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def new_member(organization, email, *, time_zone="", language="", role=Role.AMBASSADOR) -> Membership:
    user = UserFactory(email=email, time_zone=time_zone, language=language)
    return MembershipFactory(organization=organization, user=user, role=role)


def subscribe(membership, *, frequency=DigestFrequency.DAILY, hour=8, weekday=0, nudges_in_digest=False):
    return digest_preferences_save(
        profile=profile_for(membership=membership),
        by=membership.user,
        digest_frequency=frequency,
        digest_hour=hour,
        digest_weekday=weekday,
        nudges=True,
        nudges_in_digest=nudges_in_digest,
    )


def live(organization, title, *, at, **fields) -> Post:
    """A post approved (so live) at ``at``."""
    return PostFactory(
        organization=organization, title=title, status=Post.Status.APPROVED, approved_at=at, created_at=at, **fields
    )


def run_tick_at(moment: datetime) -> list[str]:
    """The beat tick at ``moment``, its batches run in-process; the recipients of the e-mails it sent."""
    before = len(mail.outbox)
    with time_machine.travel(moment, tick=False), eager_celery():
        enqueue_due_digests()
    return sorted(message.to[0] for message in mail.outbox[before:])


def profile_of(membership) -> AmbassadorProfile:
    with organization_scope(membership.organization):
        return AmbassadorProfile.objects.get(organization=membership.organization_id, membership=membership)


# --- When ----------------------------------------------------------------------------------------------------------


def profile(frequency=DigestFrequency.DAILY, hour=8, weekday=0) -> AmbassadorProfile:
    return AmbassadorProfile(digest_frequency=frequency, digest_hour=hour, digest_weekday=weekday)


def test_next_digest_is_at_the_members_own_hour_in_their_zone():
    assert next_digest_at(profile(), PARIS, MONDAY) == utc(2026, 3, 2, 7)
    assert next_digest_at(profile(), NEW_YORK, MONDAY) == utc(2026, 3, 2, 13)
    # Exactly at the hour, the next one is tomorrow's.
    assert next_digest_at(profile(), PARIS, utc(2026, 3, 2, 7)) == utc(2026, 3, 3, 7)


def test_next_digest_keeps_the_wall_clock_hour_across_dst_changes():
    # New York moves to summer time on Sunday 8 March 2026, Paris on Sunday 29 March.
    assert next_digest_at(profile(), NEW_YORK, utc(2026, 3, 7, 14)) == utc(2026, 3, 8, 12)
    assert next_digest_at(profile(), PARIS, utc(2026, 3, 28, 8)) == utc(2026, 3, 29, 6)
    # Back to winter time in Paris on Sunday 25 October.
    assert next_digest_at(profile(), PARIS, utc(2026, 10, 24, 7)) == utc(2026, 10, 25, 7)
    weekly_monday = profile(DigestFrequency.WEEKLY, weekday=0)
    assert next_digest_at(weekly_monday, PARIS, utc(2026, 3, 25, 12)) == utc(2026, 3, 30, 6)


def test_an_hour_skipped_or_repeated_by_the_clocks_still_gets_one_digest():
    # 02:30 does not exist in Paris on 29 March (02:00 → 03:00): taken with the winter offset, i.e. 03:00 summer.
    assert next_digest_at(profile(hour=2), PARIS, utc(2026, 3, 28, 12)) == utc(2026, 3, 29, 1)
    # 02:00 happens twice on 25 October: the first time.
    assert next_digest_at(profile(hour=2), PARIS, utc(2026, 10, 24, 12)) == utc(2026, 10, 25, 0)


def test_weekly_digest_falls_on_the_chosen_weekday():
    wednesday = profile(DigestFrequency.WEEKLY, weekday=2)
    assert next_digest_at(wednesday, PARIS, MONDAY) == utc(2026, 3, 4, 7)
    assert next_digest_at(wednesday, PARIS, utc(2026, 3, 4, 7)) == utc(2026, 3, 11, 7)


def test_a_digest_turned_off_has_no_next_moment():
    assert next_digest_at(profile(DigestFrequency.OFF), PARIS, MONDAY) is None


# --- The tick at the members' hours --------------------------------------------------------------------------------


@pytest.fixture
def acme(personas):
    return personas.organization


def test_paris_and_new_york_members_each_get_their_digest_at_their_own_eight_oclock(acme):
    with time_machine.travel(SUBSCRIBED, tick=False), organization_scope(acme):
        paris = new_member(acme, "paris@acme.test", time_zone="Europe/Paris")
        new_york = new_member(acme, "ny@acme.test", time_zone="America/New_York")
        subscribe(paris)
        subscribe(new_york)
    with organization_scope(acme):
        live(acme, "Our new plant opens", at=MONDAY - timedelta(hours=2))

    assert run_tick_at(utc(2026, 3, 2, 6, 55)) == []
    assert run_tick_at(utc(2026, 3, 2, 7, 0)) == ["paris@acme.test"]
    assert run_tick_at(utc(2026, 3, 2, 7, 5)) == []
    assert run_tick_at(utc(2026, 3, 2, 12, 55)) == []
    assert run_tick_at(utc(2026, 3, 2, 13, 0)) == ["ny@acme.test"]
    assert "Our new plant opens" in mail.outbox[0].body
    assert profile_of(paris).digest_next_at == utc(2026, 3, 3, 7)
    assert profile_of(new_york).digest_next_at == utc(2026, 3, 3, 13)
    assert profile_of(paris).digest_covered_until == utc(2026, 3, 2, 7)


def test_new_york_digest_moves_one_hour_earlier_in_utc_when_the_clocks_change(acme):
    with time_machine.travel(utc(2026, 3, 6, 14), tick=False), organization_scope(acme):
        new_york = new_member(acme, "ny@acme.test", time_zone="America/New_York")
        subscribe(new_york)
    assert profile_of(new_york).digest_next_at == utc(2026, 3, 7, 13)
    with organization_scope(acme):
        live(acme, "Saturday news", at=utc(2026, 3, 7, 1))
        live(acme, "Sunday news", at=utc(2026, 3, 8, 1))
    assert run_tick_at(utc(2026, 3, 7, 13)) == ["ny@acme.test"]
    assert profile_of(new_york).digest_next_at == utc(2026, 3, 8, 12)
    assert run_tick_at(utc(2026, 3, 8, 12)) == ["ny@acme.test"]
    sunday = mail.outbox[-1].body
    assert "Sunday news" in sunday and "Saturday news" not in sunday


def test_weekly_digest_comes_on_the_chosen_weekday_only(acme):
    with time_machine.travel(MONDAY, tick=False), organization_scope(acme):
        member = new_member(acme, "weekly@acme.test", time_zone="Europe/Paris")
        subscribe(member, frequency=DigestFrequency.WEEKLY, weekday=2)
        live(acme, "Monday news", at=MONDAY + timedelta(hours=1))
    assert run_tick_at(utc(2026, 3, 3, 7)) == []
    assert run_tick_at(utc(2026, 3, 4, 7)) == ["weekly@acme.test"]
    assert profile_of(member).digest_next_at == utc(2026, 3, 11, 7)


def test_no_new_post_sends_nothing_but_the_window_still_advances(acme):
    with time_machine.travel(MONDAY, tick=False), organization_scope(acme):
        member = new_member(acme, "quiet@acme.test", time_zone="Europe/Paris")
        subscribe(member)
    assert run_tick_at(utc(2026, 3, 2, 7)) == []
    assert profile_of(member).digest_covered_until == utc(2026, 3, 2, 7)
    assert profile_of(member).digest_next_at == utc(2026, 3, 3, 7)


def test_a_profile_never_scheduled_is_picked_up_and_its_first_digest_covers_posts_since_its_creation(acme):
    with time_machine.travel(MONDAY, tick=False), organization_scope(acme):
        member = new_member(acme, "new@acme.test", time_zone="Europe/Paris")
        live(acme, "Before joining", at=MONDAY - timedelta(days=3))
        profile_for(membership=member)  # default: weekly, Monday 08:00, not scheduled yet
    assert profile_of(member).digest_next_at is None
    with organization_scope(acme):
        live(acme, "After joining", at=MONDAY + timedelta(hours=1))
    assert run_tick_at(MONDAY + timedelta(minutes=5)) == []
    assert profile_of(member).digest_next_at == utc(2026, 3, 2, 7)
    assert run_tick_at(utc(2026, 3, 2, 7)) == ["new@acme.test"]
    body = mail.outbox[-1].body
    assert "After joining" in body and "Before joining" not in body


def test_off_suspended_members_and_closed_organisations_are_not_due(acme):
    closed = OrganizationFactory(slug="closed", is_active=False)
    with time_machine.travel(MONDAY, tick=False):
        with organization_scope(acme):
            off = new_member(acme, "off@acme.test")
            subscribe(off, frequency=DigestFrequency.OFF)
            suspended = new_member(acme, "suspended@acme.test")
            subscribe(suspended)
            Membership.objects.filter(organization=acme, pk=suspended.pk).update(status=Membership.Status.SUSPENDED)
            due = new_member(acme, "due@acme.test")
            subscribe(due)
        with organization_scope(closed):
            subscribe(new_member(closed, "closed@closed.test"))
    pairs = due_digest_profiles(now=MONDAY + timedelta(days=2))
    assert pairs == [(profile_of(due).pk, acme.pk)]


def test_the_tick_enqueues_one_batch_per_organisation_and_at_most_batch_size_profiles(acme, personas):
    with time_machine.travel(MONDAY, tick=False):
        with organization_scope(acme):
            for n in range(5):
                subscribe(new_member(acme, f"m{n}@acme.test"))
        with organization_scope(personas.other_organization):
            subscribe(new_member(personas.other_organization, "g@globex.test"))
    with time_machine.travel(MONDAY + timedelta(days=1), tick=False), eager_celery():
        assert enqueue_due_digests(batch_size=2) == 3 + 1


# --- What a digest holds -------------------------------------------------------------------------------------------


@pytest.fixture
def member(acme):
    with time_machine.travel(SUBSCRIBED, tick=False), organization_scope(acme):
        member = new_member(acme, "ada@acme.test", time_zone="Europe/Paris")
        subscribe(member)
    return member


def test_digest_lists_new_live_posts_meant_for_the_member_not_shared_yet_featured_first(acme, member):
    start = MONDAY - timedelta(hours=3)
    with organization_scope(acme):
        mine, other = ProgrammeFactory(organization=acme), ProgrammeFactory(organization=acme)
        ProgrammeMember.objects.create(organization=acme, programme=mine, membership=member)
        live(acme, "For everyone", at=start)
        live(acme, "Featured news", at=start, featured=True)
        in_mine = live(acme, "In my programme", at=start)
        PostProgramme.objects.create(organization=acme, post=in_mine, programme=mine)
        in_other = live(acme, "Other programme", at=start)
        PostProgramme.objects.create(organization=acme, post=in_other, programme=other)
        live(acme, "In French only", at=start, languages=["fr"])
        live(acme, "Already shared", at=start)
        ShareFactory(organization=acme, membership=member, post=Post.objects.get(title="Already shared"))
        cancelled = live(acme, "Share cancelled", at=start)
        ShareFactory(organization=acme, membership=member, post=cancelled, status=Share.Status.CANCELLED)
        live(acme, "Expired", at=start, expires_at=MONDAY)
        live(acme, "Embargoed", at=start, confidential_until=utc(2026, 3, 5))
        live(acme, "Old news", at=MONDAY - timedelta(days=3))
        PostFactory(organization=acme, title="Still a draft")
        every_title = set(Post.objects.filter(organization=acme).values_list("title", flat=True))
    assert run_tick_at(utc(2026, 3, 2, 7)) == ["ada@acme.test"]
    message = mail.outbox[-1]
    listed = [line.lstrip("★ ") for line in message.body.splitlines() if line and not line.startswith(" ")]
    titles = [title for title in listed if title in every_title]
    assert titles[0] == "Featured news"
    assert set(titles) == {"Featured news", "For everyone", "In my programme", "Share cancelled"}
    assert message.subject == "4 new posts to share — Acme"


def test_each_post_links_to_its_composer_with_an_absolute_address(acme, member, settings):
    settings.RELAIS_SITE_URL = "https://relais.example"
    with organization_scope(acme):
        post = live(acme, "Launch", at=MONDAY - timedelta(hours=1))
    run_tick_at(utc(2026, 3, 2, 7))
    assert f"https://relais.example{reverse('composer', args=['acme', post.pk])}" in mail.outbox[-1].body


def test_the_digest_carries_one_click_unsubscribe_headers(acme, member):
    with organization_scope(acme):
        live(acme, "Launch", at=MONDAY - timedelta(hours=1))
    run_tick_at(utc(2026, 3, 2, 7))
    headers = mail.outbox[-1].extra_headers
    assert headers["List-Unsubscribe"].startswith("<http") and "/unsubscribe/" in headers["List-Unsubscribe"]
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_the_digest_is_written_in_the_members_language(acme):
    with time_machine.travel(SUBSCRIBED, tick=False), organization_scope(acme):
        subscribe(new_member(acme, "marie@acme.test", language="fr", time_zone="Europe/Paris"))
        live(acme, "Lancement", at=MONDAY - timedelta(hours=1))
    run_tick_at(utc(2026, 3, 2, 7))
    assert mail.outbox[-1].subject == "1 nouvelle publication à partager — Acme"
    assert "Bonjour" in mail.outbox[-1].body or "La partager" in mail.outbox[-1].body


def test_unread_nudges_come_in_the_digest_only_when_asked(acme):
    with time_machine.travel(SUBSCRIBED, tick=False), organization_scope(acme):
        wants = new_member(acme, "wants@acme.test", time_zone="Europe/Paris")
        subscribe(wants, nudges_in_digest=True)
        not_asked = new_member(acme, "no@acme.test", time_zone="Europe/Paris")
        subscribe(not_asked)
    with time_machine.travel(MONDAY, tick=False), organization_scope(acme):
        for membership in (wants, not_asked):
            Notification.objects.create(
                organization=acme, membership=membership, kind="nudge", message="Bob shared “Launch”.", url="/o/acme/"
            )
            Notification.objects.create(
                organization=acme,
                membership=membership,
                kind="nudge",
                message="Already read.",
                read_at=MONDAY,
            )
    assert run_tick_at(utc(2026, 3, 2, 7)) == ["wants@acme.test"]
    body = mail.outbox[-1].body
    assert "Bob shared “Launch”." in body and "Already read." not in body
    assert mail.outbox[-1].subject == "Your colleagues shared — Acme"


def test_a_digest_is_sent_once_per_member_and_window(acme, member):
    with organization_scope(acme):
        live(acme, "Launch", at=MONDAY - timedelta(hours=1))
    due = profile_of(member)
    moment = utc(2026, 3, 2, 7)
    with time_machine.travel(moment, tick=False), organization_scope(acme):
        digests_send(organization_id=acme.pk, profile_ids=[due.pk])
        # A redelivered batch that read the profile before the first one moved its window on.
        AmbassadorProfile.objects.filter(organization=acme, pk=due.pk).update(
            digest_next_at=due.digest_next_at, digest_covered_until=due.digest_covered_until
        )
        digests_send(organization_id=acme.pk, profile_ids=[due.pk])
    assert len(mail.outbox) == 1


# --- A bounded number of queries -----------------------------------------------------------------------------------


def _members_with_profiles(organization, count: int, prefix: str) -> list[int]:
    """``count`` members with a daily 08:00 digest due, inserted in bulk (factories would take minutes for 2,000)."""
    password = make_password(None)
    users = User.objects.bulk_create(
        [User(email=f"{prefix}{n}@acme.test", password=password) for n in range(count)], batch_size=1000
    )
    memberships = Membership.objects.bulk_create(
        [Membership(organization=organization, user=user, role=Role.AMBASSADOR) for user in users], batch_size=1000
    )
    profiles = AmbassadorProfile.objects.bulk_create(
        [
            AmbassadorProfile(
                organization=organization,
                membership=membership,
                digest_frequency=DigestFrequency.DAILY,
                digest_next_at=MONDAY,
                digest_covered_until=MONDAY - timedelta(days=1),
                nudges_in_digest=True,
            )
            for membership in memberships
        ],
        batch_size=1000,
    )
    return [profile.pk for profile in profiles]


def _build_queries(organization, profile_ids) -> tuple[int, int]:
    """(queries to read the batch and build its digests, how many digests have posts)."""
    with CaptureQueriesContext(connection) as queries:
        profiles = due_profiles(organization=organization, profile_ids=profile_ids, now=MONDAY)
        digests = digests_build(organization=organization, profiles=profiles, now=MONDAY)
    return len(queries), sum(1 for digest in digests if digest.posts)


def test_building_a_batch_takes_the_same_queries_for_ten_members_as_for_two_thousand(acme):
    with organization_scope(acme):
        programme = ProgrammeFactory(organization=acme)
        for n in range(5):
            post = live(acme, f"News {n}", at=MONDAY - timedelta(hours=n + 1))
            if n == 0:
                PostProgramme.objects.create(organization=acme, post=post, programme=programme)
        small = _members_with_profiles(acme, 10, "small")
        large = _members_with_profiles(acme, 2000, "large")
        ProgrammeMember.objects.bulk_create(
            [
                ProgrammeMember(organization=acme, programme=programme, membership_id=membership_id)
                for membership_id in AmbassadorProfile.objects.filter(pk__in=large[:100]).values_list(
                    "membership_id", flat=True
                )
            ]
        )
        small_queries, small_digests = _build_queries(acme, small)
        large_queries, large_digests = _build_queries(acme, large)
    assert (small_digests, large_digests) == (10, 2000)
    assert small_queries == large_queries <= 6


def test_sending_a_batch_adds_only_the_send_once_guard_per_email(acme):
    """Beyond the fixed reads and the two bulk updates, each e-mail costs the claim and the mark of its key."""
    with organization_scope(acme):
        live(acme, "Launch", at=MONDAY - timedelta(hours=1))
        few = _members_with_profiles(acme, 3, "few")
        many = _members_with_profiles(acme, 30, "many")

        def queries(ids):
            with time_machine.travel(MONDAY, tick=False), CaptureQueriesContext(connection) as captured:
                run = digests_send(organization_id=acme.pk, profile_ids=ids)
            guard = [
                q
                for q in captured.captured_queries
                if "advocacy_sentemail" in q["sql"] or "SAVEPOINT" in q["sql"].upper()
            ]
            return len(captured) - len(guard), run.batch.sent

        assert queries(few) == (queries(many)[0], 3)
    assert len(mail.outbox) == 33


# --- The Python targeting rule agrees with the database's ----------------------------------------------------------


def test_python_targeting_agrees_with_targeted_at(acme):
    with organization_scope(acme):
        programme_a, programme_b = ProgrammeFactory(organization=acme), ProgrammeFactory(organization=acme)
        members = [
            new_member(acme, "none@acme.test", language="en"),
            new_member(acme, "a@acme.test", language="fr"),
            new_member(acme, "ab@acme.test"),
            new_member(acme, "chose-fr@acme.test", language="en"),
            new_member(acme, "chose-both@acme.test"),
        ]
        Membership.objects.filter(pk=members[3].pk).update(languages=["fr"])
        Membership.objects.filter(pk=members[4].pk).update(languages=["en", "fr"])
        ProgrammeMember.objects.create(organization=acme, programme=programme_a, membership=members[1])
        ProgrammeMember.objects.create(organization=acme, programme=programme_a, membership=members[2])
        ProgrammeMember.objects.create(organization=acme, programme=programme_b, membership=members[2])
        posts = []
        for programmes in ([], [programme_a], [programme_b], [programme_a, programme_b]):
            for languages in ([], ["en"], ["fr"], ["fr", "en"], ["fr-ca"]):
                post = live(acme, "p", at=MONDAY, languages=languages)
                for programme in programmes:
                    PostProgramme.objects.create(organization=acme, post=post, programme=programme)
                posts.append((post, {p.pk for p in programmes}, languages))
        for membership in members:
            membership = Membership.objects.select_related("user", "organization").get(pk=membership.pk)
            mine = set(
                ProgrammeMember.objects.filter(organization=acme, membership=membership).values_list(
                    "programme_id", flat=True
                )
            )
            for post, programmes, languages in posts:
                expected = post_is_meant_for(membership=membership, post=post)
                assert (
                    targets(
                        post_programmes=programmes,
                        post_languages=languages,
                        member_programmes=mine,
                        member_languages=membership.sharing_languages(),
                    )
                    == expected
                ), (membership.user.email, programmes, languages)


def test_another_organisations_member_is_never_in_a_batch(acme, personas):
    with time_machine.travel(SUBSCRIBED, tick=False):
        with organization_scope(personas.other_organization):
            outsider = new_member(personas.other_organization, "x@globex.test")
            subscribe(outsider)
    with time_machine.travel(MONDAY + timedelta(days=1), tick=False), organization_scope(acme):
        run = digests_send(organization_id=acme.pk, profile_ids=[profile_of(outsider).pk])
    assert run.advanced == 0 and mail.outbox == []


def test_a_member_who_never_opened_their_profile_gets_one_and_then_the_default_weekly_digest(acme, personas):
    from ambassadors.tasks.digests import enqueue_missing_profiles

    with time_machine.travel(SUBSCRIBED, tick=False), organization_scope(acme):
        quiet = new_member(acme, "quiet@acme.test", time_zone="Europe/Paris")
        suspended = new_member(acme, "gone@acme.test")
        suspended.status = Membership.Status.SUSPENDED
        suspended.save()
    with time_machine.travel(SUBSCRIBED, tick=False), eager_celery():
        enqueue_missing_profiles()
        enqueue_missing_profiles()
    with organization_scope(acme):
        profiles = AmbassadorProfile.objects.filter(membership__in=[quiet, suspended])
        assert [(profile.membership_id, profile.digest_frequency) for profile in profiles] == [
            (quiet.pk, DigestFrequency.WEEKLY)
        ]
    with organization_scope(personas.other_organization):
        assert AmbassadorProfile.objects.filter(membership__user=personas.outsider).exists()
    run_tick_at(SUBSCRIBED + timedelta(minutes=5))
    with organization_scope(acme):
        live(acme, "Fresh news", at=SUBSCRIBED + timedelta(hours=1))
    # Monday 08:00 in Paris, the default day and hour; the suspended member gets nothing.
    recipients = run_tick_at(utc(2026, 3, 2, 7, 0))
    assert "quiet@acme.test" in recipients and "gone@acme.test" not in recipients
