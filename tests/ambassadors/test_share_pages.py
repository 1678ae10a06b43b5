"""The shares pages: a member's own shares only, the composer with the gate's messages (the old share form's address
leads to it), a share's page with its attempt log and actions, the publishing settings, the outsider's 404 and a
bounded number of queries."""

import datetime as dt
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from advocacy.tenancy import organization_scope
from ambassadors.models import MetricSnapshot, PublishingSettings, Share, ShareAttempt
from charter.compliance import rules_save
from content.models import Post
from tests.ambassadors.factories import connect_on
from tests.ambassadors.test_shares import accept_charter, live_post, share_of
from tests.charter.factories import publish_charter
from tests.conftest import org_url
from tests.content.factories import PostFactory

pytestmark = pytest.mark.django_db

Status = Share.Status


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world(personas):
    """The ambassador accepted the charter; a live post; one share of theirs and one of the editor's."""
    with organization_scope(personas.organization):
        accept_charter(personas, personas.ambassador)
        member = personas.membership(personas.ambassador)
        post = live_post(personas, title="Quarterly figures")
        mine = share_of(personas, member, post, status=Status.SCHEDULED, text="Mine, in my words.")
        theirs = share_of(
            personas, personas.membership(personas.editor), post, status=Status.SCHEDULED, text="The editor's words."
        )
    return {"member": member, "post": post, "mine": mine, "theirs": theirs}


# --- Access ----------------------------------------------------------------------------------------------------------


def _urls(personas, world):
    return [
        org_url("shares", personas),
        org_url("share_create", personas) + f"?post={world['post'].pk}",
        org_url("composer", personas, world["post"].pk),
        org_url("share_detail", personas, world["mine"].pk),
        org_url("publishing_settings", personas),
    ]


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_outsider_gets_404_on_every_shares_page(personas, world, method):
    for url in _urls(personas, world):
        response = getattr(_client(personas.outsider), method)(url)
        assert response.status_code == 404, url


def test_anonymous_visitors_are_sent_to_sign_in(personas, world):
    for url in _urls(personas, world):
        assert Client().get(url).status_code == 302


def test_another_members_share_is_a_404_for_a_member(personas, world):
    client = _client(personas.ambassador)
    assert client.get(org_url("share_detail", personas, world["theirs"].pk)).status_code == 404
    response = client.post(org_url("share_detail", personas, world["theirs"].pk), {"action": "cancel"})
    assert response.status_code == 404
    with organization_scope(personas.organization):
        assert Share.objects.get(pk=world["theirs"].pk).status == Status.SCHEDULED


def test_an_administrator_reads_a_members_share_without_acting_on_it(personas, world):
    client = _client(personas.admin)
    page = client.get(org_url("share_detail", personas, world["theirs"].pk)).content.decode()
    response = client.post(org_url("share_detail", personas, world["theirs"].pk), {"action": "cancel"})

    assert "The editor&#x27;s words." in page and "only they can act on it" in page
    assert 'value="cancel"' not in page
    assert response.status_code == 403


@pytest.mark.parametrize("role", ["editor", "approver", "manager", "ambassador"])
def test_only_administrators_open_the_publishing_settings(personas, role):
    assert _client(getattr(personas, role)).get(org_url("publishing_settings", personas)).status_code == 403


# --- The list --------------------------------------------------------------------------------------------------------


def test_the_list_shows_the_members_own_shares_only(personas, world):
    page = _client(personas.ambassador).get(org_url("shares", personas)).content.decode()

    assert "Mine, in my words." in page and "Quarterly figures" in page
    assert "The editor" not in page


def test_each_row_says_what_to_do(personas, world, settings):
    member, post = world["member"], world["post"]
    with organization_scope(personas.organization):
        share_of(personas, member, post, network="x", status=Status.NEEDS_ACTION, action_required="reconnect")
        share_of(personas, member, post, network="generic", status=Status.MANUAL, text="Copy me please")
        published = share_of(
            personas,
            member,
            post,
            network="linkedin",
            status=Status.PUBLISHED,
            published_at=timezone.now(),
            external_url="https://www.linkedin.com/feed/update/urn:li:share:9",
        )
        MetricSnapshot.objects.create(
            organization=personas.organization, share=published, slot=0, taken_at=timezone.now(), likes=12
        )

    page = _client(personas.ambassador).get(org_url("shares", personas)).content.decode()

    assert "Your X account needs reconnecting" in page and "Reconnect X" in page and "/connections/" in page
    assert "<textarea" in page and "readonly" in page and "Copy me please" in page
    assert 'href="https://www.linkedin.com/feed/update/urn:li:share:9"' in page
    assert ">12<" in page and "not available" in page
    assert "Published." in page and "To post yourself" in page


def test_times_are_shown_in_the_members_time_zone(personas, world):
    with organization_scope(personas.organization):
        personas.ambassador.time_zone = "America/New_York"
        personas.ambassador.save()
        Share.objects.filter(pk=world["mine"].pk).update(scheduled_at=dt.datetime(2031, 1, 10, 15, 0, tzinfo=dt.UTC))

    page = _client(personas.ambassador).get(org_url("shares", personas)).content.decode()

    assert 'datetime="2031-01-10T10:00:00-05:00"' in page


def test_the_tabs_filter_by_status(personas, world):
    with organization_scope(personas.organization):
        share_of(personas, world["member"], world["post"], status=Status.FAILED, text="It failed, sadly.")

    page = _client(personas.ambassador).get(org_url("shares", personas) + "?status=failed").content.decode()

    assert "It failed, sadly." in page and "Mine, in my words." not in page
    assert _client(personas.ambassador).get(org_url("shares", personas) + "?status=nonsense").status_code == 200


def _fill(personas, member, count):
    with organization_scope(personas.organization):
        statuses = [Status.SCHEDULED, Status.PUBLISHED, Status.MANUAL, Status.NEEDS_ACTION, Status.FAILED]
        for n in range(count):
            post = live_post(personas, title=f"Post {n}")
            status = statuses[n % len(statuses)]
            share = share_of(
                personas,
                member,
                post,
                network=["linkedin", "x", "generic"][n % 3],
                status=status,
                action_required="reconnect" if status == Status.NEEDS_ACTION else "",
            )
            if status == Status.PUBLISHED:
                MetricSnapshot.objects.create(
                    organization=personas.organization, share=share, slot=0, taken_at=timezone.now(), likes=n
                )


@pytest.mark.parametrize("query", ["", "?status=needs_you", "?status=needs_action"])
def test_the_list_runs_a_bounded_number_of_queries(personas, world, query, django_assert_max_num_queries):
    client = _client(personas.ambassador)
    url = org_url("shares", personas) + query
    _fill(personas, world["member"], 5)  # a share in every section, so each section's queries are counted
    client.get(url)  # warm the caches every page shares (session, organisation)
    with django_assert_max_num_queries(30) as few:
        client.get(url)
    _fill(personas, world["member"], 24)
    with django_assert_max_num_queries(len(few.captured_queries)) as many:
        response = client.get(url)

    assert response.status_code == 200 and "Post 23" in response.content.decode()
    assert len(many.captured_queries) == len(few.captured_queries)


# --- Sharing a post ----------------------------------------------------------------------------------------------


def _composer(personas, post) -> str:
    return org_url("composer", personas, post.pk)


def test_the_old_share_address_leads_to_the_composer_on_the_network_asked(personas, world):
    client = _client(personas.ambassador)
    old = org_url("share_create", personas) + f"?post={world['post'].pk}"
    composer = _composer(personas, world["post"])

    assert client.get(old + "&network=x")["Location"] == composer + "?network=x"
    assert client.get(old + "&network=myspace")["Location"] == composer
    assert client.get(old)["Location"] == composer


def test_the_old_share_address_leads_to_the_feed_alike_for_a_missing_and_a_hidden_post(personas, world):
    with organization_scope(personas.organization):
        draft = live_post(personas, title="Not yet")
        Post.objects.filter(pk=draft.pk).update(status=Post.Status.DRAFT)
    with organization_scope(personas.other_organization):
        foreign = PostFactory(organization=personas.other_organization, status=Post.Status.APPROVED)
    client = _client(personas.ambassador)
    old = org_url("share_create", personas)

    answers = {
        (response.status_code, response["Location"])
        for post in [None, "987654", str(draft.pk), str(foreign.pk), "9" * 30, "abc"]
        for response in [client.get(old, {"network": "x"} if post is None else {"post": post, "network": "x"})]
    }

    assert answers == {(302, org_url("feed", personas))}


def test_the_old_share_form_takes_no_share_any_more(personas, world):
    data = {"post": world["post"].pk, "network": "generic", "text": "Worth reading.", "when": "now"}

    response = _client(personas.ambassador).post(org_url("share_create", personas), data)

    assert response.status_code == 405
    with organization_scope(personas.organization):
        assert not Share.objects.filter(text="Worth reading.").exists()


def test_the_composer_is_prefilled_with_the_posts_text_for_the_network(personas, world):
    client = _client(personas.ambassador)
    linkedin = client.get(_composer(personas, world["post"]) + "?network=linkedin").content.decode()
    x = client.get(_composer(personas, world["post"]) + "?network=x").content.decode()

    assert "Our Q3 report is out: proud of the team." in linkedin
    assert "Q3 report is out!" in x


def test_sharing_by_copy_and_open_leads_to_the_share(personas, world):
    data = {"network": "generic", "text": "Worth reading.", "when": "now"}

    response = _client(personas.ambassador).post(_composer(personas, world["post"]), data)

    with organization_scope(personas.organization):
        share = Share.objects.get(text="Worth reading.")
    assert response.status_code == 302 and response["Location"] == org_url("share_detail", personas, share.pk)
    assert share.status == Status.MANUAL and share.membership == world["member"]


def test_sharing_later_on_linkedin(personas, world, fake_linkedin):
    with organization_scope(personas.organization):
        connect_on(fake_linkedin, world["member"])
        post = live_post(personas, title="Fresh news")
    data = {
        "network": "linkedin",
        "text": "Later, in my words.",
        "when": "later",
        "at": (timezone.localtime() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
    }

    response = _client(personas.ambassador).post(_composer(personas, post), data)

    assert response.status_code == 302
    with organization_scope(personas.organization):
        share = Share.objects.get(text="Later, in my words.")
    assert share.status == Status.SCHEDULED and share.scheduled_at > timezone.now()


def test_later_without_a_time_is_refused_on_the_form(personas, world):
    data = {"network": "generic", "text": "Hi", "when": "later", "at": ""}
    response = _client(personas.ambassador).post(_composer(personas, world["post"]), data)
    assert response.status_code == 400 and "Choose the date and time" in response.content.decode()


def test_the_form_shown_again_with_its_errors_still_names_the_members_time_zone(personas, world):
    with organization_scope(personas.organization):
        personas.ambassador.time_zone = "America/New_York"
        personas.ambassador.save(update_fields=["time_zone"])
    data = {"network": "generic", "text": "Hi", "when": "later", "at": ""}
    page = _client(personas.ambassador).post(_composer(personas, world["post"]), data).content.decode()
    assert "America/New_York" in page and "%(zone)s" not in page


def _close_charter(personas, world):
    publish_charter(personas.organization, personas.admin, requires_reacceptance=True)


def _block(personas, world):
    rules_save(organization=personas.organization, by=personas.admin, blocked_phrases="secret")


def _cap(personas, world):
    rules_save(organization=personas.organization, by=personas.admin, daily_cap=1)


def _no_account(personas, world):
    # A post the member has not shared on LinkedIn yet, through an account they have not connected.
    return live_post(personas, title="Fresh news")


PAGE_GATE_CASES = [
    pytest.param(_close_charter, "generic", "charter", "charter_join", id="charter-not-accepted"),
    pytest.param(_block, "generic", "not allowed by the charter", None, id="blocked-phrase"),
    pytest.param(_cap, "generic", "limit", None, id="daily-cap"),
    pytest.param(_no_account, "linkedin", "Connect your LinkedIn account", "connections", id="no-linkedin-account"),
]


@pytest.mark.parametrize(("close", "network", "words", "fix"), PAGE_GATE_CASES)
def test_the_gate_refuses_on_the_form_and_keeps_the_text(personas, world, close, network, words, fix):
    with organization_scope(personas.organization):
        post = close(personas, world) or world["post"]
    data = {"network": network, "text": "Our secret plan, in my words.", "when": "now"}

    response = _client(personas.ambassador).post(_composer(personas, post), data)

    page = response.content.decode()
    assert response.status_code == 400 and words in page and "Our secret plan, in my words." in page
    fix_links = re.findall(r'<a class="btn btn-primary btn-sm" href="([^"]+)"', page)
    assert fix_links == ([] if fix is None else [org_url(fix, personas)])
    with organization_scope(personas.organization):
        assert not Share.objects.filter(text__startswith="Our secret").exists()


def test_a_post_withdrawn_before_the_click_is_a_404_and_creates_nothing(personas, world):
    url = _composer(personas, world["post"])
    client = _client(personas.ambassador)
    assert client.get(url).status_code == 200
    with organization_scope(personas.organization):
        Post.objects.filter(pk=world["post"].pk).update(status=Post.Status.WITHDRAWN)

    response = client.post(url, {"network": "generic", "text": "Too late, in my words.", "when": "now"})

    assert response.status_code == 404
    with organization_scope(personas.organization):
        assert not Share.objects.filter(text__startswith="Too late").exists()


def test_a_post_of_another_organisation_is_refused_as_a_missing_one_and_creates_nothing(personas, world):
    with organization_scope(personas.other_organization):
        foreign = PostFactory(organization=personas.other_organization, status=Post.Status.APPROVED)
    data = {"network": "generic", "text": "Hi", "when": "now"}
    client = _client(personas.ambassador)

    response = client.post(_composer(personas, foreign), data)

    assert response.status_code == 404 and foreign.title not in response.content.decode()
    with organization_scope(personas.organization):
        assert not Share.objects.filter(text="Hi").exists()


# --- One share -------------------------------------------------------------------------------------------------------


def test_the_share_page_shows_the_attempt_log_in_words(personas, world):
    with organization_scope(personas.organization):
        ShareAttempt.objects.create(
            organization=personas.organization,
            share=world["mine"],
            number=1,
            started_at=timezone.now(),
            finished_at=timezone.now(),
            outcome="reject",
            detail="Your Tweet text is too long.",
        )

    page = _client(personas.ambassador).get(org_url("share_detail", personas, world["mine"].pk)).content.decode()

    assert "Refused by the network" in page and "Your Tweet text is too long." in page


def test_cancelling_from_the_share_page(personas, world):
    url = org_url("share_detail", personas, world["mine"].pk)
    response = _client(personas.ambassador).post(url, {"action": "cancel"})

    assert response.status_code == 302 and response["Location"] == url
    with organization_scope(personas.organization):
        assert Share.objects.get(pk=world["mine"].pk).status == Status.CANCELLED


def test_rescheduling_from_the_share_page_in_the_members_time_zone(personas, world, fake_linkedin):
    with organization_scope(personas.organization):
        connect_on(fake_linkedin, world["member"])
    at = timezone.now().astimezone(ZoneInfo(personas.organization.time_zone)) + dt.timedelta(days=3)
    url = org_url("share_detail", personas, world["mine"].pk)
    response = _client(personas.ambassador).post(url, {"action": "reschedule", "at": at.strftime("%Y-%m-%dT%H:%M")})

    assert response.status_code == 302
    with organization_scope(personas.organization):
        assert Share.objects.get(pk=world["mine"].pk).scheduled_at == at.replace(second=0, microsecond=0)


def test_a_refused_action_is_shown_not_a_500(personas, world):
    with organization_scope(personas.organization):
        Share.objects.filter(pk=world["mine"].pk).update(status=Status.PUBLISHING)
    url = org_url("share_detail", personas, world["mine"].pk)

    cancel = _client(personas.ambassador).post(url, {"action": "cancel"})
    unknown = _client(personas.ambassador).post(url, {"action": "explode"})

    assert cancel.status_code == 400 and "wait a moment" in cancel.content.decode()
    assert unknown.status_code == 400


def test_publishing_now_without_the_current_charter_is_refused_on_the_page(personas, world):
    with organization_scope(personas.organization):
        _close_charter(personas, world)
    url = org_url("share_detail", personas, world["mine"].pk)

    response = _client(personas.ambassador).post(url, {"action": "publish_now"})

    assert response.status_code == 400 and "charter" in response.content.decode()


def test_marking_posted_with_an_address_on_another_site_is_refused(personas, world):
    with organization_scope(personas.organization):
        Share.objects.filter(pk=world["mine"].pk).update(status=Status.MANUAL)
    url = org_url("share_detail", personas, world["mine"].pk)

    refused = _client(personas.ambassador).post(url, {"action": "mark_posted", "url": "https://evil.example/p"})
    done = _client(personas.ambassador).post(
        url, {"action": "mark_posted", "url": "https://www.linkedin.com/feed/update/urn:li:share:1"}
    )

    assert refused.status_code == 400 and "not on LinkedIn" in refused.content.decode()
    assert done.status_code == 302


def test_editing_the_text_with_a_blocked_phrase_is_refused_and_kept(personas, world):
    with organization_scope(personas.organization):
        _block(personas, world)
    url = org_url("share_detail", personas, world["mine"].pk)

    response = _client(personas.ambassador).post(url, {"action": "edit", "text": "Our secret is out"})

    assert response.status_code == 400 and "Our secret is out" in response.content.decode()
    with organization_scope(personas.organization):
        assert Share.objects.get(pk=world["mine"].pk).text == "Mine, in my words."


# --- Publishing settings ---------------------------------------------------------------------------------------


def test_the_administrator_sees_the_x_spend_and_the_costs(personas):
    page = _client(personas.admin).get(org_url("publishing_settings", personas)).content.decode()

    assert "$0.015" in page and "$0.20" in page and "free" in page
    assert re.search(r"Spent</dt><dd[^>]*>\$0\.00", page)


def test_the_administrator_sets_the_budget_and_turns_the_api_off(personas):
    response = _client(personas.admin).post(org_url("publishing_settings", personas), {"x_monthly_budget": "75.50"})

    assert response.status_code == 302
    with organization_scope(personas.organization):
        saved = PublishingSettings.objects.get()
    assert saved.x_monthly_budget == Decimal("75.50") and not saved.x_api_enabled


def test_a_negative_budget_is_refused_on_the_form(personas):
    response = _client(personas.admin).post(org_url("publishing_settings", personas), {"x_monthly_budget": "-3"})
    assert response.status_code == 400


def test_a_published_share_links_to_the_network_by_name_not_by_its_long_address(personas, world):
    address = "https://www.linkedin.com/feed/update/urn:li:share:7737873730273440302/"
    with organization_scope(personas.organization):
        Share.objects.filter(pk=world["mine"].pk).update(
            status=Status.PUBLISHED, published_at=timezone.now(), external_url=address
        )
    personas.ambassador.language = "fr"
    personas.ambassador.save(update_fields=["language"])

    page = _client(personas.ambassador).get(org_url("share_detail", personas, world["mine"].pk)).content.decode()

    link = re.search(rf'<a href="{re.escape(address)}"[^>]*>(.*?)</a>', page, re.S)
    assert link is not None
    assert link.group(1).startswith("Voir sur le réseau")
    assert f">{address}<" not in page
