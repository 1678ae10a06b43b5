"""Nudges after posting: when a share is published (through the API or marked posted by hand with its address), the
author's colleagues of the same programmes hear of it once per post, in their language; not the author, not those
who turned nudges off, not other programmes' members, nobody in another organisation. And the comments alert: the
author hears of new comments once per count."""

from datetime import timedelta

import pytest
from django.utils import timezone

from advocacy.models import Membership
from advocacy.roles import Role
from advocacy.tenancy import organization_scope
from ambassadors.models import AmbassadorProfile, MetricSnapshot, Notification, Share
from ambassadors.services.nudges import comments_alert
from ambassadors.services.shares import share_mark_posted_manually
from ambassadors.tasks.channels import nudge_colleagues
from ambassadors.tasks.publishing import publish_share
from content.models import Post, PostProgramme
from tests.ambassadors.factories import ShareFactory, connect_on
from tests.ambassadors.test_metrics import HOUR, _connected, _poll, _published
from tests.charter.factories import CharterAcceptanceFactory
from tests.content.factories import PostFactory, eager_celery
from tests.factories import (
    MembershipFactory,
    OrganizationFactory,
    ProgrammeFactory,
    ProgrammeMemberFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

POST_URL = "https://www.linkedin.com/feed/update/urn:li:share:7234567890123456789/"


class Team:
    """The ambassador persona (the author) and colleagues in the programme "Sales", and one in "Engineering"."""

    def __init__(self, personas):
        organization = personas.organization
        self.organization = organization
        with organization_scope(organization):
            self.sales = ProgrammeFactory(organization=organization, name="Sales")
            self.engineering = ProgrammeFactory(organization=organization, name="Engineering")
            self.author = self._member(personas.ambassador)
            self.colleague = self._new("ada@acme.test", language="en")
            self.french = self._new("zoe@acme.test", language="fr")
            self.quiet = self._new("quiet@acme.test")
            AmbassadorProfile.objects.create(organization=organization, membership=self.quiet, nudges=False)
            self.keen = self._new("keen@acme.test")
            AmbassadorProfile.objects.create(organization=organization, membership=self.keen, nudges=True)
            self.gone = self._new("gone@acme.test", status=Membership.Status.SUSPENDED)
            self.engineer = self._new("eng@acme.test", programme=self.engineering)
            self.post = PostFactory(
                organization=organization, author=personas.editor, status=Post.Status.APPROVED, title="Q3 report"
            )

    def _member(self, user, programme=None):
        membership = Membership.objects.select_related("user", "organization").get(user=user)
        ProgrammeMemberFactory(programme=programme or self.sales, membership=membership)
        return membership

    def _new(self, email, *, language="", programme=None, **fields):
        user = UserFactory(email=email, language=language)
        membership = MembershipFactory(organization=self.organization, user=user, role=Role.AMBASSADOR, **fields)
        ProgrammeMemberFactory(programme=programme or self.sales, membership=membership)
        return membership

    def share(self, membership, **fields) -> Share:
        with organization_scope(self.organization):
            return ShareFactory(
                organization=self.organization,
                membership=membership,
                post=self.post,
                **{"status": Share.Status.MANUAL, **fields},
            )

    def nudges(self):
        with organization_scope(self.organization):
            return list(Notification.objects.filter(kind="nudge").select_related("membership").order_by("pk"))


@pytest.fixture
def team(personas):
    return Team(personas)


def mark_posted(team, share, url=POST_URL, *, capture):
    # Eager outermost: the captured callbacks run as the capture ends, and must run the task in-process.
    with eager_celery(), capture(execute=True), organization_scope(team.organization):
        share_mark_posted_manually(share=share, by=share.membership.user, url=url)


def test_marking_a_share_posted_nudges_the_authors_colleagues_once(team, django_capture_on_commit_callbacks):
    share = team.share(team.author)

    mark_posted(team, share, capture=django_capture_on_commit_callbacks)

    nudges = team.nudges()
    assert {nudge.membership for nudge in nudges} == {team.colleague, team.french, team.keen}
    english = next(nudge for nudge in nudges if nudge.membership == team.colleague)
    name = team.author.user.display_name
    assert english.message == (
        f"{name} just shared “Q3 report” on LinkedIn: a reaction or a comment in the first hour helps it reach further."
    )
    assert english.url == POST_URL and english.post == team.post and english.dedupe_key == f"nudge:{team.post.pk}"
    french = next(nudge for nudge in nudges if nudge.membership == team.french)
    assert french.message.startswith(f"{name} vient de partager « Q3 report » sur LinkedIn")


def test_a_second_colleagues_share_of_the_same_post_nudges_nobody_twice(team, django_capture_on_commit_callbacks):
    mark_posted(team, team.share(team.author), capture=django_capture_on_commit_callbacks)
    mark_posted(team, team.share(team.colleague), capture=django_capture_on_commit_callbacks)
    with eager_celery():
        nudge_colleagues.apply(kwargs={"organization_id": team.organization.pk, "share_id": team.share(team.keen).pk})

    by_member = {}
    for nudge in team.nudges():
        by_member[nudge.membership] = by_member.get(nudge.membership, 0) + 1
    # The author was not nudged for their own share; the colleague's share told them once.
    assert by_member == {team.colleague: 1, team.french: 1, team.keen: 1, team.author: 1}


def test_marking_posted_without_the_posts_address_nudges_nobody(team, django_capture_on_commit_callbacks):
    mark_posted(team, team.share(team.author), url="", capture=django_capture_on_commit_callbacks)

    assert team.nudges() == []


def test_a_post_for_another_programme_nudges_only_the_colleagues_it_is_meant_for(
    team, django_capture_on_commit_callbacks
):
    with organization_scope(team.organization):
        ProgrammeMemberFactory(programme=team.engineering, membership=team.author)
        ProgrammeMemberFactory(programme=team.engineering, membership=team.colleague)
        PostProgramme.objects.create(organization=team.organization, post=team.post, programme=team.engineering)

    mark_posted(team, team.share(team.author), capture=django_capture_on_commit_callbacks)

    assert {nudge.membership for nudge in team.nudges()} == {team.engineer, team.colleague}


def test_a_post_in_one_language_nudges_only_the_colleagues_who_read_it(team, django_capture_on_commit_callbacks):
    with organization_scope(team.organization):
        Post.objects.filter(pk=team.post.pk).update(languages=["fr"])
        team.post.refresh_from_db()

    mark_posted(team, team.share(team.author), capture=django_capture_on_commit_callbacks)

    assert {nudge.membership for nudge in team.nudges()} == {team.french}


def test_a_post_in_one_language_nudges_the_colleagues_who_chose_to_share_in_it(
    team, django_capture_on_commit_callbacks
):
    with organization_scope(team.organization):
        Post.objects.filter(pk=team.post.pk).update(languages=["fr"])
        team.post.refresh_from_db()
        # Their choice, not the language they read Relais in, decides.
        Membership.objects.filter(pk=team.colleague.pk).update(languages=["en", "fr"])
        Membership.objects.filter(pk=team.french.pk).update(languages=["en"])

    mark_posted(team, team.share(team.author), capture=django_capture_on_commit_callbacks)

    assert {nudge.membership for nudge in team.nudges()} == {team.colleague}


def test_a_share_published_through_the_api_nudges_the_colleagues(
    team, fake_linkedin, django_capture_on_commit_callbacks
):
    with organization_scope(team.organization):
        CharterAcceptanceFactory(organization=team.organization, membership=team.author)
        connection = connect_on(fake_linkedin, team.author)
    share = team.share(team.author, status=Share.Status.SCHEDULED, connection=connection)

    with eager_celery(), django_capture_on_commit_callbacks(execute=True):
        assert publish_share(organization_id=team.organization.pk, share_id=share.pk) == "published"

    nudges = team.nudges()
    assert {nudge.membership for nudge in nudges} == {team.colleague, team.french, team.keen}
    with organization_scope(team.organization):
        share.refresh_from_db()
    assert nudges[0].url == share.external_url != ""


def test_nobody_in_another_organisation_is_nudged(team, personas, django_capture_on_commit_callbacks):
    outsider = personas.outsider
    with organization_scope(personas.other_organization):
        theirs = ProgrammeFactory(organization=personas.other_organization)
        ProgrammeMemberFactory(programme=theirs, membership=Membership.objects.get(user=outsider))

    mark_posted(team, team.share(team.author), capture=django_capture_on_commit_callbacks)

    with organization_scope(personas.other_organization):
        assert not Notification.objects.exists()


# --- New comments --------------------------------------------------------------------------------------------------


def snapshot(share, slot, comments):
    with organization_scope(share.organization):
        return MetricSnapshot.objects.update_or_create(
            organization=share.organization,
            share=share,
            slot=slot,
            defaults={"taken_at": timezone.now(), "comments": comments},
        )[0]


def comment_alerts(team):
    with organization_scope(team.organization):
        return list(Notification.objects.filter(kind="comments").order_by("pk"))


def test_new_comments_tell_the_author_once_per_count(team):
    share = team.share(team.author, status=Share.Status.PUBLISHED, external_url=POST_URL)
    with organization_scope(team.organization):
        assert comments_alert(snapshots=[snapshot(share, 1, 0)]) == 0
        comments_alert(snapshots=[snapshot(share, 2, 3)])
        # A replayed poll of the same slot finds the same count: nothing new.
        comments_alert(snapshots=[snapshot(share, 2, 3)])
        # Fewer comments (some deleted) is not news.
        comments_alert(snapshots=[snapshot(share, 3, 2)])
        comments_alert(snapshots=[snapshot(share, 4, 5)])

    alerts = comment_alerts(team)
    assert [alert.dedupe_key for alert in alerts] == [f"comments:{share.pk}:3", f"comments:{share.pk}:5"]
    assert alerts[0].membership == team.author and alerts[0].url == POST_URL and alerts[0].post == team.post
    assert alerts[0].message == (
        "3 new comments on your post “Q3 report”: answering quickly keeps the conversation going."
    )
    assert alerts[1].message.startswith("3 new comments")


def test_a_metrics_poll_that_reads_comments_tells_each_author_once(fake_x):
    connection = _connected(fake_x, OrganizationFactory())
    shares = _published(fake_x, connection, 10, age=timedelta(days=3))
    fake_x.clock.advance(3 * 24 * HOUR)

    _poll(connection)
    _poll(connection)

    organization = connection.organization
    with organization_scope(organization):
        commented = {
            (snapshot.share_id, snapshot.comments)
            for snapshot in MetricSnapshot.objects.filter(share__in=[share.pk for share in shares], comments__gt=0)
        }
        alerts = list(Notification.objects.filter(kind="comments"))
    assert commented, "the fake's counters gave no comment at all"
    assert sorted(alert.dedupe_key for alert in alerts) == sorted(f"comments:{pk}:{count}" for pk, count in commented)
    assert {alert.membership_id for alert in alerts} == {connection.membership_id}
