"""A new ambassador's whole journey in a real browser, against a real worker and beat and the fake networks on real
sockets, on a desktop and on a 390 px phone: the welcome tour (a programme, the charter, the profile, LinkedIn
connected through its consent page), the first post from the tour to the composer, where the unchanged suggestion
raises the anti-parrot notice and a sentence of their own clears it; the share scheduled two minutes ahead and found
published on "my shares" with the link to the fake's post; then an X share by copy-and-open, marked as posted.

The worker's clock runs ahead (tests/shifted_clock.py): the share scheduled two minutes ahead is due for it at the
first publish tick beat sends, a minute after it starts, instead of two minutes later.

And the digest's promise: from the e-mail's link to a published LinkedIn share in at most three clicks."""

import re
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

from advocacy.tenancy import organization_scope
from ambassadors.models import PublishingSettings, Share
from ambassadors.services.profiles import profile_for
from charter.models import CharterVersion
from charter.services import charter_accept
from content.models import Network, Post
from tests.ambassadors.conftest import (  # noqa: F401 - the fixtures, shared with this journey
    control,
    fake_linkedin,
    registered_redirect_uris,
)
from tests.ambassadors.factories import connect_on
from tests.ambassadors.test_digest import run_tick_at, subscribe
from tests.browser.conftest import assert_accessible
from tests.browser.test_journeys import sign_in
from tests.celery_processes import (
    network_env,
    require_postgresql,
    start_beat,
    start_worker,
    stopped_at_exit,
    wait_for,
)
from tests.charter.factories import publish_charter
from tests.content.factories import PostFactory, PostVariantFactory, TopicFactory, eager_celery
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, ProgrammeFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SUGGESTION = "Our Q3 report is out: revenue up, emissions down, and a new plant in Lyon."
PERSONAL = "I spent the spring at the Lyon site and saw the team build this line from an empty hall."
ZONE = "Europe/Paris"
WORKER_CLOCK_AHEAD = timedelta(minutes=5)
# Beat sends its first publish tick a minute after it starts; the worker then publishes in a second or two.
PUBLISHED_WITHIN_SECONDS = 150


@pytest.fixture
def acme(personas, settings, live_server):
    """Acme in English, its charter published, a programme open to volunteers, and a featured post for everyone
    with a suggestion per network. X goes by copy-and-open: the organisation keeps its X budget for later."""
    settings.RELAIS_SITE_URL = live_server.url
    organization = personas.organization
    organization.language = "en"
    organization.save()
    with organization_scope(organization):
        publish_charter(organization, personas.admin)
        ProgrammeFactory(organization=organization, name="Voices of Acme", open_to_volunteers=True)
        PublishingSettings.objects.create(organization=organization, x_api_enabled=False)
        topic = TopicFactory(organization=organization, name="Results")
        post = PostFactory(
            organization=organization,
            title="Our Q3 report",
            link="https://news.example.test/q3",
            note="Say what the numbers mean for your team.",
            status=Post.Status.APPROVED,
            approved_revision=1,
            featured=True,
        )
        post.topics.add(topic)
        PostVariantFactory(post=post, network=Network.LINKEDIN, text=SUGGESTION)
        PostVariantFactory(post=post, network=Network.X, text="Q3: revenue up, emissions down.")
    return post


@pytest.fixture
def newcomer(personas):
    """An ambassador who has never signed in: no programme, charter not accepted, nothing connected."""
    organization = personas.organization
    user = UserFactory(email="lea@acme.test", language="en")
    with organization_scope(organization):
        MembershipFactory(organization=organization, user=user)
    return user


@pytest.fixture
def worker_and_beat(transactional_db, tmp_path, live_server, fake_linkedin):  # noqa: F811 - the imported fixture
    require_postgresql()
    env = {**network_env("linkedin", fake_linkedin), "RELAIS_SITE_URL": live_server.url}
    with stopped_at_exit() as processes:
        processes.append(
            start_worker(
                f"relais-journey-{uuid.uuid4().hex[:8]}@localhost",
                log=tmp_path / "worker.log",
                env=env,
                clock_ahead=WORKER_CLOCK_AHEAD,
            )
        )
        processes.append(start_beat(log=tmp_path / "beat.log", schedule=tmp_path / "beat-schedule", env=env))
        yield


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


def _checked(page) -> None:
    assert_accessible(page)
    _no_sideways_scroll(page)


def _continue(page, next_step: str) -> None:
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(rf"/o/acme/welcome/{next_step}/"))


def _in_two_minutes() -> str:
    """The composer's date-time field, two minutes from now on the member's wall clock."""
    return (datetime.now(UTC) + timedelta(minutes=2)).astimezone(ZoneInfo(ZONE)).strftime("%Y-%m-%dT%H:%M")


def _share_of(post, network: str) -> Share:
    with organization_scope(post.organization):
        return Share.objects.get(post=post, network=network)


@pytest.mark.worker
@pytest.mark.parametrize("width", [1280, 390])
def test_a_new_ambassador_onboards_schedules_a_personal_share_and_finds_it_published(
    live_server,
    new_page,
    acme,
    newcomer,
    fake_linkedin,  # noqa: F811 - the imported fixture
    worker_and_beat,
    width,
):
    base = live_server.url
    page = new_page(viewport={"width": width, "height": 900}, timezone_id=ZONE)
    sign_in(page, base, newcomer.email, DEFAULT_PASSWORD)
    page.wait_for_url(re.compile(r"/($|\?)"))

    # The tour: a programme, the charter, the profile, LinkedIn.
    page.goto(f"{base}/o/acme/welcome/")
    page.wait_for_url(re.compile(r"/o/acme/welcome/programmes/"))
    _checked(page)
    page.get_by_text("Voices of Acme").click()
    _continue(page, "charter")
    page.get_by_role("link", name="Read and accept the charter").click()
    page.get_by_label(re.compile("I have read the charter")).check()
    page.get_by_role("button", name=re.compile("Accept version 1")).click()
    page.wait_for_url(re.compile(r"/o/acme/welcome/charter/"))
    _continue(page, "profile")
    _checked(page)
    page.get_by_label("Results").check()
    _continue(page, "connect")
    page.get_by_role("button", name="Connect LinkedIn").click()
    page.get_by_label("name", exact=False).fill("Léa Martin")
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(re.compile(r"/o/acme/welcome/connect/"))
    page.get_by_text("LinkedIn connected as Léa Martin").wait_for()
    _checked(page)
    _continue(page, "first-share")
    _checked(page)

    # The first post, made their own.
    page.get_by_role("link", name="Share Our Q3 report").click()
    page.wait_for_url(re.compile(rf"/o/acme/feed/{acme.pk}/share/"))
    text = page.get_by_label("Your text")
    assert text.input_value() == SUGGESTION
    page.locator("[data-parrot-notice]").wait_for()
    _checked(page)
    page.get_by_role("button", name="What I learned").click()
    assert text.input_value().startswith("What I learned: ")
    text.fill(f"{PERSONAL}\n\n{SUGGESTION}")
    page.locator("[data-parrot-notice]").wait_for(state="detached")
    page.get_by_text("Your own words make this share yours.").wait_for()
    page.get_by_label("At a time I choose").check()
    page.get_by_label("Date and time").fill(_in_two_minutes())
    page.get_by_role("button", name="Share", exact=True).click()
    page.get_by_text("Scheduled").first.wait_for()
    assert fake_linkedin.live_posts() == []

    page.goto(f"{base}/o/acme/feed/")
    _checked(page)

    # Beat's tick, the worker's publish: found on "my shares" with the link to the post on the fake LinkedIn.
    wait_for(
        lambda: _share_of(acme, "linkedin").status == Share.Status.PUBLISHED,
        timeout=PUBLISHED_WITHIN_SECONDS,
        what="the scheduled share to be published by the worker",
    )
    [received] = fake_linkedin.live_posts()
    assert received.text.startswith(PERSONAL)
    page.goto(f"{base}/o/acme/shares/")
    _checked(page)
    on_network = page.get_by_role("link", name=re.compile("See it on the network")).first
    assert on_network.get_attribute("href").startswith(fake_linkedin.base_url)

    # X by copy-and-open: the text to copy, the network's page, then "I posted it".
    page.goto(f"{base}/o/acme/feed/{acme.pk}/share/?network=x")
    page.get_by_label("Your text").fill(f"{PERSONAL} On X too.")
    page.get_by_role("button", name="Share", exact=True).click()
    page.wait_for_url(re.compile(r"/o/acme/shares/\d+/"))
    page.get_by_label("Address of your post (optional)").fill("https://x.com/lea/status/1234567890")
    page.get_by_role("button", name="Mark as posted").click()
    page.get_by_text("Published").first.wait_for()
    assert _share_of(acme, "x").status == Share.Status.PUBLISHED


def test_from_the_digest_link_to_a_published_linkedin_share_in_three_clicks(
    live_server,
    new_page,
    personas,
    acme,
    fake_linkedin,  # noqa: F811 - the imported fixture
):
    organization = personas.organization
    member = personas.membership(personas.ambassador)
    with organization_scope(organization):
        charter_accept(
            membership=member,
            version=CharterVersion.objects.get(),
            ip="127.0.0.1",
            user_agent="test",
        )
        connect_on(fake_linkedin, member, name="Manon Simon")
        subscribe(member)
        # Approved after the member subscribed: new for their next digest.
        Post.objects.filter(pk=acme.pk).update(approved_at=timezone.now())
        digest_at = profile_for(membership=member).digest_next_at
    mail.outbox.clear()
    run_tick_at(digest_at)
    [digest] = mail.outbox
    composer_link = re.search(rf"{re.escape(live_server.url)}/o/acme/feed/{acme.pk}/share/\S*", digest.body).group()

    page = new_page(viewport={"width": 390, "height": 844})
    sign_in(page, live_server.url, personas.ambassador.email, DEFAULT_PASSWORD)
    page.wait_for_url(re.compile(r"/($|\?)"))
    clicks = 0
    with eager_celery():
        page.goto(composer_link)
        clicks += 1
        page.get_by_role("button", name="Share", exact=True).click()
        clicks += 1
        page.get_by_text("Published").first.wait_for()

    assert clicks <= 3
    assert _share_of(acme, "linkedin").status == Share.Status.PUBLISHED
    [received] = fake_linkedin.live_posts()
    assert received.text.startswith(SUGGESTION)
