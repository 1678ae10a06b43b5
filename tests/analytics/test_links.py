"""Tracked links are made when a share is planned, lead to the post's link with the organisation's tracking
parameters and the member's referral code, never to anything but http(s), and are what goes out: the LinkedIn
article, the X text and the copy-and-open text carry them. An outsider's scope never sees another's links."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from advocacy.models import Membership
from advocacy.tenancy import organization_scope
from ambassadors.models import Share
from ambassadors.presentation import share_copy_and_open
from ambassadors.services.shares import share_schedule
from ambassadors.tasks.publishing import publish_share
from analytics.links import destination_for, link_for_share, outgoing, utm_template_errors
from analytics.models import CODE_PATTERN, DEFAULT_UTM_TEMPLATE, ReferralCode, TrackedLink, TrackingSettings
from content.models import Post
from tests.ambassadors.factories import ShareFactory, connect_on
from tests.charter.factories import CharterAcceptanceFactory
from tests.content.factories import PostFactory
from tests.factories import MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

LINK = "https://careers.example.test/jobs/42?lang=fr"


@pytest.fixture(autouse=True)
def _no_pacing(settings):
    settings.RELAIS_PUBLISH_INTERVAL_SECONDS = {"linkedin": 0.0, "x": 0.0}


@pytest.fixture
def member(personas) -> Membership:
    organization = personas.organization
    with organization_scope(organization):
        membership = Membership.objects.select_related("user", "organization").get(user=personas.ambassador)
        CharterAcceptanceFactory(organization=organization, membership=membership)
    return membership


def live_post(organization, **fields) -> Post:
    fields.setdefault("link", LINK)
    fields.setdefault("title", "Senior engineer, Lyon")
    return PostFactory(organization=organization, status=Post.Status.APPROVED, **fields)


def test_destination_adds_the_template_keeps_the_editors_parameters_and_adds_the_referral(member):
    organization = member.organization
    with organization_scope(organization):
        post = live_post(organization, link="https://careers.example.test/jobs/42?utm_source=newsletter&ref=old")
        destination = destination_for(
            link=post.link,
            template=DEFAULT_UTM_TEMPLATE + "&utm_content={post_id}-{organization}",
            organization=organization,
            post=post,
            network="x",
            referral=("ref", "k3y"),
        )
    assert destination == (
        "https://careers.example.test/jobs/42?utm_source=newsletter&utm_medium=employee_advocacy"
        f"&utm_campaign=senior-engineer-lyon&utm_content={post.pk}-{organization.slug}&ref=k3y"
    )


@pytest.mark.parametrize(
    ("template", "named"),
    [
        ("utm_source={netwrok}", "{netwrok}"),
        ("utm_source={network}&utm_campaign={title}", "{title}"),
        ("utm_source={network", "brace"),
        ("utm_source", "name=value"),
    ],
)
def test_a_bad_template_gets_an_error_naming_the_problem(template, named):
    errors = utm_template_errors(template)
    assert errors and named in " ".join(errors)


def test_good_templates_pass():
    assert utm_template_errors(DEFAULT_UTM_TEMPLATE) == []
    assert utm_template_errors("") == []
    assert utm_template_errors("utm_source=relais&utm_term={post_id}") == []


def test_planning_a_share_gives_it_a_link_of_its_own(member):
    organization = member.organization
    with organization_scope(organization):
        post = live_post(organization, referral_parameter="ref")
        TrackingSettings.objects.create(organization=organization, utm_template="utm_source={network}")
        share = share_schedule(
            membership=member,
            post=post,
            network="generic",
            text="We are hiring in Lyon",
            at=timezone.now() + timedelta(days=1),
            by=member.user,
        )
        link = TrackedLink.objects.get(share=share)
        code = ReferralCode.objects.get(membership=member).code
        again = link_for_share(share)

    assert again == link
    assert CODE_PATTERN.fullmatch(link.code)
    assert (link.post_id, link.membership_id, link.network) == (post.pk, member.pk, "generic")
    assert link.destination == f"{LINK}&utm_source=generic&ref={code}"
    assert link.url.endswith(f"/r/{link.code}")


def test_codes_are_unique_and_unguessable_in_shape(member):
    organization = member.organization
    with organization_scope(organization):
        post = live_post(organization)
        codes = {
            link_for_share(ShareFactory(organization=organization, membership=member, post=post)).code
            for _ in range(50)
        }
    assert len(codes) == 50 and all(CODE_PATTERN.fullmatch(code) for code in codes)


def test_a_destination_that_is_not_http_can_never_be_stored(member):
    organization = member.organization
    with organization_scope(organization):
        share = ShareFactory(organization=organization, membership=member, post=live_post(organization))
        for destination in ("javascript:alert(1)", "data:text/html,hi", "ftp://files.example.test/x"):
            with pytest.raises(IntegrityError), transaction.atomic():
                TrackedLink.objects.create(
                    organization=organization,
                    code="Abcdefgh",
                    share=share,
                    post=share.post,
                    membership=member,
                    network="linkedin",
                    destination=destination,
                )


def test_a_share_without_an_http_link_goes_out_untracked(member):
    organization = member.organization
    with organization_scope(organization):
        share = ShareFactory(organization=organization, membership=member, post=live_post(organization, link=""))
        assert link_for_share(share) is None
        assert outgoing(share).link == "" and outgoing(share).text == share.text


def test_a_share_planned_before_links_existed_keeps_going_out_with_the_posts_link(member):
    organization = member.organization
    with organization_scope(organization):
        share = ShareFactory(organization=organization, membership=member, post=live_post(organization))
        assert not TrackedLink.objects.filter(share=share).exists()
        sent = outgoing(share)
    assert (sent.text, sent.link) == (share.text, LINK)


def _share(member, connection, network: str, text: str) -> Share:
    organization = member.organization
    with organization_scope(organization):
        post = live_post(organization)
        return share_schedule(
            membership=member,
            post=post,
            network=network,
            text=text,
            at=timezone.now() + timedelta(hours=1),
            by=member.user,
        )


def test_linkedin_receives_the_tracked_link_as_its_article(fake_linkedin, member):
    with organization_scope(member.organization):
        connection = connect_on(fake_linkedin, member)
    share = _share(member, connection, "linkedin", "We are hiring in Lyon")
    with organization_scope(member.organization):
        Share.objects.filter(pk=share.pk).update(scheduled_at=timezone.now())

    assert publish_share(organization_id=share.organization_id, share_id=share.pk) == "published"
    [received] = fake_linkedin.live_posts()
    with organization_scope(member.organization):
        link = TrackedLink.objects.get(share=share)
    assert received.link == link.url
    assert LINK not in received.text


def test_x_receives_the_tracked_link_in_place_of_the_posts(fake_x, member):
    with organization_scope(member.organization):
        connection = connect_on(fake_x, member)
    share = _share(member, connection, "x", f"We are hiring: {LINK}")
    with organization_scope(member.organization):
        Share.objects.filter(pk=share.pk).update(scheduled_at=timezone.now())

    assert publish_share(organization_id=share.organization_id, share_id=share.pk) == "published"
    [received] = fake_x.live_posts()
    with organization_scope(member.organization):
        link = TrackedLink.objects.get(share=share)
    assert link.url in received.sent_text and LINK not in received.sent_text


def test_copy_and_open_carries_the_tracked_link(member):
    generic = _share(member, None, "generic", "We are hiring in Lyon")
    organization = member.organization
    with organization_scope(organization):
        link = TrackedLink.objects.get(share=generic)
        sent = outgoing(Share.objects.get(pk=generic.pk))
        on_x = ShareFactory(organization=organization, membership=member, post=live_post(organization), network="x")
        x_link = link_for_share(on_x)
        intent = share_copy_and_open(on_x)

    assert generic.status == Share.Status.MANUAL
    assert sent.link == link.url and sent.x_text == f"We are hiring in Lyon {link.url}"
    assert x_link is not None and x_link.code in intent and "careers.example.test" not in intent


@pytest.mark.tenancy
def test_an_outsider_scope_never_sees_another_organisations_links(member):
    organization = member.organization
    with organization_scope(organization):
        link_for_share(ShareFactory(organization=organization, membership=member, post=live_post(organization)))
    outsider = OrganizationFactory()
    with organization_scope(outsider):
        MembershipFactory(organization=outsider)
        assert TrackedLink.objects.count() == 0
        assert ReferralCode.objects.count() == 0


def test_a_new_link_is_in_the_shared_cache_before_its_first_click(member, django_capture_on_commit_callbacks):
    import redis
    from django.conf import settings

    from analytics import clicks, redirect

    clicks._fast = None
    organization = member.organization
    with organization_scope(organization), django_capture_on_commit_callbacks(execute=True):
        link = link_for_share(ShareFactory(organization=organization, membership=member, post=live_post(organization)))
    cached = redis.Redis.from_url(settings.RELAIS_CLICKS_REDIS_URL).get(f"relais:clicks:link:{link.code}")

    assert cached is not None
    assert redirect.Target.decode(cached.decode()).destination == link.destination
