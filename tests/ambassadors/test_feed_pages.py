"""The feed and the composer: what a member finds in their feed and why it may be empty, the composer's first text,
live check (rules named, the anti-parrot notice) and share, double submission, bad times, posts gone, the outsider's
404 and bounded queries."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from advocacy.tenancy import organization_scope
from ambassadors.models import ProfileInterest, PublishingSettings, Share
from ambassadors.services.profiles import profile_for
from charter.compliance import rules_save
from content.models import Post, PostTopic
from tests.ambassadors.factories import connect_on
from tests.ambassadors.test_shares import accept_charter, live_post, share_of
from tests.conftest import org_url
from tests.content.factories import TopicFactory

pytestmark = pytest.mark.django_db

SUGGESTION = "Our Q3 report is out: proud of the team."
PERSONAL = "I worked on the supply chain part of it and learned how much our suppliers changed in a single year."


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world(personas):
    with organization_scope(personas.organization):
        accept_charter(personas, personas.ambassador)
        member = personas.membership(personas.ambassador)
        post = live_post(personas, title="Quarterly figures", note="Say what the numbers mean for your team.")
        featured = live_post(personas, title="The big launch", featured=True)
        shared = live_post(personas, title="Already shared")
        share_of(personas, member, shared, status=Share.Status.PUBLISHED, text="Mine.")
        old = timezone.now() - dt.timedelta(days=5)
        live_post(personas, title="Old news", publish_at=old, expires_at=old + dt.timedelta(days=2))
        withdrawn = live_post(personas, title="Withdrawn news")
        Post.objects.filter(pk=withdrawn.pk).update(status=Post.Status.WITHDRAWN)
    return {"member": member, "post": post, "featured": featured, "shared": shared}


def _titles(response) -> list[str]:
    return [post.title for post in response.context["posts"]]


# --- The feed ------------------------------------------------------------------------------------------------------


def test_the_feed_shows_live_posts_featured_first_and_marks_those_already_shared(personas, world):
    response = _client(personas.ambassador).get(org_url("feed", personas))
    assert response.status_code == 200
    titles = _titles(response)
    assert titles[0] == "The big launch"
    assert set(titles) == {"The big launch", "Quarterly figures", "Already shared"}
    body = response.content.decode()
    assert "Say what the numbers mean for your team." in body
    assert "See my share" in body
    assert org_url("composer", personas, world["post"].pk) in body


def test_the_feed_filters_by_topic_network_and_interests(personas, world):
    with organization_scope(personas.organization):
        topic = TopicFactory(organization=personas.organization, name="Finance")
        PostTopic.objects.create(organization=personas.organization, post=world["post"], topic=topic)
        other = TopicFactory(organization=personas.organization, name="Sport")
        PostTopic.objects.create(organization=personas.organization, post=world["featured"], topic=other)
        only_x = live_post(personas, title="Only on LinkedIn")
        only_x.variants.filter(network="x").delete()
    client = _client(personas.ambassador)
    assert _titles(client.get(org_url("feed", personas) + f"?topic={topic.pk}")) == ["Quarterly figures"]
    assert "Only on LinkedIn" not in _titles(client.get(org_url("feed", personas) + "?network=x"))
    with organization_scope(personas.organization):
        profile = profile_for(membership=world["member"])
        ProfileInterest.objects.create(organization=personas.organization, profile=profile, topic=topic)
    mine = _titles(client.get(org_url("feed", personas)))
    assert "Quarterly figures" in mine and "The big launch" not in mine and "Already shared" in mine
    assert "The big launch" in _titles(client.get(org_url("feed", personas) + "?show=all"))


def test_a_bad_filter_value_is_ignored_not_a_500(personas, world):
    response = _client(personas.ambassador).get(org_url("feed", personas) + "?topic=²&network=myspace&show=x")
    assert response.status_code == 200
    assert len(_titles(response)) == 3


def test_more_loads_the_next_page_as_a_fragment_with_htmx(personas, world):
    with organization_scope(personas.organization):
        for number in range(14):
            live_post(personas, title=f"Extra {number}")
    client = _client(personas.ambassador)
    first = client.get(org_url("feed", personas))
    assert "More posts" in first.content.decode()
    more = client.get(org_url("feed", personas) + "?page=2", headers={"HX-Request": "true"})
    assert more.status_code == 200
    body = more.content.decode()
    assert "<html" not in body and "feed-card" in body


def test_an_empty_feed_says_to_accept_the_charter_first(personas, world):
    response = _client(personas.manager).get(org_url("feed", personas))
    assert response.context["empty"]["title"] == "Accept the charter to start sharing"


def test_an_empty_feed_says_nothing_is_meant_for_them_and_offers_to_suggest(personas):
    with organization_scope(personas.organization):
        accept_charter(personas, personas.ambassador)
    response = _client(personas.ambassador).get(org_url("feed", personas))
    assert response.context["empty"]["title"] == "Nothing to share right now"
    assert org_url("suggest", personas) in response.content.decode()


def test_the_feed_is_french_for_a_french_member(personas, world):
    personas.ambassador.language = "fr"
    personas.ambassador.save()
    body = _client(personas.ambassador).get(org_url("feed", personas)).content.decode()
    assert "Voir mon partage" in body


def test_the_languages_chosen_on_the_profile_decide_which_posts_the_feed_offers(personas, world):
    with organization_scope(personas.organization):
        live_post(personas, title="In English only", languages=["en"])
        live_post(personas, title="En français seulement", languages=["fr"])
    client = _client(personas.ambassador)
    profile = org_url("ambassador_profile", personas)
    # Nothing chosen yet: the language they read Relais in (English).
    titles = _titles(client.get(org_url("feed", personas)))
    assert "In English only" in titles and "En français seulement" not in titles

    assert client.post(profile, {"form": "profile", "profile-languages": ["en", "fr"]}).status_code == 302
    titles = _titles(client.get(org_url("feed", personas)))
    assert "In English only" in titles and "En français seulement" in titles and "Quarterly figures" in titles

    client.post(profile, {"form": "profile", "profile-languages": ["fr"]})
    titles = _titles(client.get(org_url("feed", personas)))
    assert "In English only" not in titles and "En français seulement" in titles and "Quarterly figures" in titles


def test_the_feed_runs_a_bounded_number_of_queries(personas, world, django_assert_max_num_queries):
    with organization_scope(personas.organization):
        topic = TopicFactory(organization=personas.organization)
        for number in range(15):
            post = live_post(personas, title=f"More {number}", featured=number % 3 == 0)
            PostTopic.objects.create(organization=personas.organization, post=post, topic=topic)
    client = _client(personas.ambassador)
    client.get(org_url("feed", personas))
    with django_assert_max_num_queries(12):
        assert client.get(org_url("feed", personas)).status_code == 200


# --- The composer --------------------------------------------------------------------------------------------------


def test_the_composer_starts_from_a_suggestion_and_shares_with_it(personas, world, fake_linkedin):
    with organization_scope(personas.organization):
        connect_on(fake_linkedin, world["member"])
    client = _client(personas.ambassador)
    url = org_url("composer", personas, world["post"].pk)
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["form"]["text"].value() == SUGGESTION
    variant = page.context["chosen"]
    response = client.post(
        url, {"network": "linkedin", "variant": variant.pk, "text": f"{PERSONAL}\n\n{SUGGESTION}", "when": "now"}
    )
    assert response.status_code == 302
    with organization_scope(personas.organization):
        share = Share.objects.get(membership=world["member"], post=world["post"])
    assert share.variant == variant
    assert share.similarity is not None and share.similarity < 0.8
    assert response["Location"] == org_url("share_detail", personas, share.pk)


def test_a_double_click_on_share_makes_one_share(personas, world, fake_linkedin):
    with organization_scope(personas.organization):
        connect_on(fake_linkedin, world["member"])
    client = _client(personas.ambassador)
    url = org_url("composer", personas, world["post"].pk)
    later = (timezone.localtime() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    data = {"network": "linkedin", "text": PERSONAL, "when": "later", "at": later}
    first, second = client.post(url, data), client.post(url, data)
    with organization_scope(personas.organization):
        shares = list(Share.objects.filter(membership=world["member"], post=world["post"]))
    assert len(shares) == 1
    assert first["Location"] == second["Location"] == org_url("share_detail", personas, shares[0].pk)


def test_a_time_in_the_past_is_refused_with_a_later_one_offered(personas, world):
    client = _client(personas.ambassador)
    past = (timezone.localtime() - dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        org_url("composer", personas, world["post"].pk),
        {"network": "generic", "text": PERSONAL, "when": "later", "at": past},
    )
    assert response.status_code == 400
    assert "This time has passed. Choose a later one, for example" in response.content.decode()
    assert PERSONAL in response.content.decode()
    with organization_scope(personas.organization):
        assert not Share.objects.filter(post=world["post"]).exists()


def test_a_withdrawn_post_is_refused_with_why_and_gives_back_what_was_typed(personas, world):
    client = _client(personas.ambassador)
    url = org_url("composer", personas, world["post"].pk)
    with organization_scope(personas.organization):
        Post.objects.filter(pk=world["post"].pk).update(status=Post.Status.WITHDRAWN)

    opened = client.get(url)
    sent = client.post(url, {"network": "linkedin", "text": PERSONAL, "when": "now"})

    assert opened.status_code == sent.status_code == 404
    assert "withdrew it, it expired, or it is not meant for you" in opened.content.decode()
    assert PERSONAL in sent.content.decode()
    with organization_scope(personas.organization):
        assert not Share.objects.filter(post=world["post"]).exists()


def test_the_live_check_names_the_parrot_and_lets_a_personal_sentence_clear_it(personas, world):
    client = _client(personas.ambassador)
    url = org_url("composer_check", personas, world["post"].pk)
    copied = client.post(url, {"network": "linkedin", "text": SUGGESTION}, headers={"HX-Request": "true"})
    assert "data-parrot-notice" in copied.content.decode()
    mine = client.post(url, {"network": "linkedin", "text": f"{PERSONAL} {SUGGESTION}"}, headers={"HX-Request": "true"})
    assert "data-parrot-notice" not in mine.content.decode()
    assert "Your own words make this share yours." in mine.content.decode()


def test_the_live_check_names_the_broken_rule_before_sending(personas, world):
    with organization_scope(personas.organization):
        rules_save(organization=personas.organization, by=personas.admin, blocked_phrases="guaranteed returns")
    response = _client(personas.ambassador).post(
        org_url("composer_check", personas, world["post"].pk),
        {"network": "linkedin", "text": f"{PERSONAL} Guaranteed returns!"},
    )
    body = response.content.decode()
    assert "This would not be shared" in body and "is not allowed by the charter" in body


def test_an_organisation_may_require_words_of_ones_own(personas, world):
    with organization_scope(personas.organization):
        PublishingSettings.objects.create(organization=personas.organization, min_personal_words=5)
    client = _client(personas.ambassador)
    response = client.post(
        org_url("composer", personas, world["post"].pk), {"network": "generic", "text": SUGGESTION, "when": "now"}
    )
    assert response.status_code == 400
    assert "at least 5 words that are not in the suggested texts (you have 0)" in response.content.decode()
    response = client.post(
        org_url("composer", personas, world["post"].pk),
        {"network": "generic", "text": f"{PERSONAL} {SUGGESTION}", "when": "now"},
    )
    assert response.status_code == 302


# --- Who may see what ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["composer", "composer_check"])
def test_the_outsider_gets_404_on_the_composer(personas, world, name):
    url = org_url(name, personas, world["post"].pk)
    client = _client(personas.outsider)
    assert client.get(url).status_code == 404
    assert client.post(url, {"network": "linkedin", "text": "x"}).status_code == 404


def test_the_outsider_gets_404_on_the_feed(personas, world):
    assert _client(personas.outsider).get(org_url("feed", personas)).status_code == 404


def test_a_post_not_meant_for_the_member_is_a_404_in_the_composer(personas, world):
    with organization_scope(personas.organization):
        draft = live_post(personas, title="Not yet")
        Post.objects.filter(pk=draft.pk).update(status=Post.Status.DRAFT)
        other_language = live_post(personas, title="Nur auf Deutsch", languages=["de"])
    client = _client(personas.ambassador)
    assert client.get(org_url("composer", personas, draft.pk)).status_code == 404
    assert client.get(org_url("composer", personas, other_language.pk)).status_code == 404
    assert client.get(org_url("composer", personas, 987654)).status_code == 404


def test_an_empty_feed_invites_a_member_in_no_programme_to_join_an_open_one(personas):
    from advocacy.models import Programme

    with organization_scope(personas.organization):
        accept_charter(personas, personas.ambassador)
        Programme.objects.create(organization=personas.organization, name="Tech", slug="tech", open_to_volunteers=True)
    response = _client(personas.ambassador).get(org_url("feed", personas))
    assert response.context["empty"]["title"] == "Join a programme to get its posts"
    assert org_url("welcome_step", personas, "programmes") in response.content.decode()
