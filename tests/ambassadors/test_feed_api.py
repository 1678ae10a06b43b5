"""The feed API: the member's feed (charter first), the first draft (different colleagues, different variants),
the live check (rules named, the anti-parrot verdict), sharing from a variant, tokens, outsiders and bad input."""

import pytest
from rest_framework.test import APIClient

from advocacy.models import ApiToken
from advocacy.tenancy import organization_scope
from ambassadors.models import Share
from charter.compliance import rules_save
from content.models import Post
from tests.ambassadors.test_shares import accept_charter, live_post
from tests.api.conftest import client_for
from tests.content.factories import PostVariantFactory
from tests.factories import ApiTokenFactory

pytestmark = pytest.mark.django_db

BASE = "/api/v1/o/acme/feed/"
SUGGESTION = "Our Q3 report is out: proud of the team."
PERSONAL = "I worked on the supply chain part of it and learned how much our suppliers changed in a single year."


@pytest.fixture
def world(personas):
    with organization_scope(personas.organization):
        accept_charter(personas, personas.ambassador, personas.editor)
        post = live_post(personas, title="Quarterly figures")
        PostVariantFactory(post=post, network="linkedin", text="Another way to say it.", position=1)
        featured = live_post(personas, title="Launch", featured=True)
        withdrawn = live_post(personas, title="Gone")
        Post.objects.filter(pk=withdrawn.pk).update(status=Post.Status.WITHDRAWN)
    return {"post": post, "featured": featured, "withdrawn": withdrawn}


def test_the_feed_lists_live_posts_featured_first_with_their_texts(personas, world):
    body = client_for(personas.ambassador).get(BASE).json()
    assert [row["title"] for row in body["results"]] == ["Launch", "Quarterly figures"]
    row = body["results"][1]
    assert {variant["text"] for variant in row["variants"]} >= {SUGGESTION, "Another way to say it."}
    assert row["my_share"] is None and row["composer_url"] == f"/o/acme/feed/{world['post'].pk}/share/"


def test_the_feed_is_empty_until_the_charter_is_accepted(personas, world):
    assert client_for(personas.manager).get(BASE).json()["results"] == []


def test_bad_filters_are_400_with_the_field_named(personas, world):
    response = client_for(personas.ambassador).get(BASE + "?network=myspace&topic=-1")
    assert response.status_code == 400
    assert {"network", "topic"} <= set(response.json()["errors"])


def test_two_colleagues_get_different_first_drafts(personas, world):
    url = f"{BASE}{world['post'].pk}/draft/?network=linkedin"
    first = client_for(personas.ambassador).get(url).json()
    second = client_for(personas.editor).get(url).json()
    assert first["variant"]["id"] != second["variant"]["id"]
    assert client_for(personas.ambassador).get(url).json()["variant"] == first["variant"]
    assert first["suggested_at"]


def test_the_check_names_the_parrot_and_the_broken_rule(personas, world):
    with organization_scope(personas.organization):
        rules_save(organization=personas.organization, by=personas.admin, blocked_phrases="guaranteed returns")
    client = client_for(personas.ambassador)
    url = f"{BASE}{world['post'].pk}/check/"
    copied = client.post(url, {"network": "linkedin", "text": SUGGESTION}, format="json").json()
    assert copied["is_parrot"] and copied["similarity"] == 1.0 and copied["closest_kind"] == "variant"
    mine = client.post(url, {"network": "linkedin", "text": f"{PERSONAL} Guaranteed returns!"}, format="json").json()
    assert not mine["is_parrot"]
    assert len(mine["problems"]) == 1 and "Guaranteed returns" in mine["problems"][0]
    assert client.post(url, {"network": "myspace", "text": "x"}, format="json").status_code == 400


def test_sharing_from_a_variant_records_it_and_refuses_another_posts_variant(personas, world):
    client = client_for(personas.ambassador)
    variant = client.get(f"{BASE}{world['post'].pk}/draft/?network=generic").json()["variant"]
    with organization_scope(personas.organization):
        other = world["featured"].variants.first()
    data = {"post": world["post"].pk, "network": "generic", "text": PERSONAL, "variant": other.pk}
    refused = client.post("/api/v1/o/acme/shares/", data, format="json")
    assert refused.status_code == 400 and "variant" in refused.json()["errors"]
    data["variant"] = variant["id"]
    assert client.post("/api/v1/o/acme/shares/", data, format="json").status_code == 201
    with organization_scope(personas.organization):
        assert Share.objects.get(post=world["post"]).variant_id == variant["id"]


def test_a_withdrawn_or_foreign_post_is_a_404(personas, world):
    client = client_for(personas.ambassador)
    assert client.get(f"{BASE}{world['withdrawn'].pk}/draft/").status_code == 404
    assert client.post(f"{BASE}{world['withdrawn'].pk}/check/", {"network": "x", "text": "a"}).status_code == 404


def _every_url(world):
    pk = world["post"].pk
    return [("get", BASE), ("get", f"{BASE}{pk}/draft/"), ("post", f"{BASE}{pk}/check/")]


def test_the_outsider_gets_404(personas, world):
    client = client_for(personas.outsider)
    for method, url in _every_url(world):
        assert getattr(client, method)(url).status_code == 404, url


def test_an_api_token_acts_as_no_one_and_gets_403(personas, world):
    with organization_scope(personas.organization):
        ApiTokenFactory(organization=personas.organization, token_digest=ApiToken.digest("rls_feedtoken"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer rls_feedtoken")
    for method, url in _every_url(world):
        assert getattr(client, method)(url).status_code == 403, url


def test_the_feed_list_runs_a_bounded_number_of_queries(personas, world, django_assert_max_num_queries):
    with organization_scope(personas.organization):
        for number in range(10):
            live_post(personas, title=f"More {number}")
    client = client_for(personas.ambassador)
    client.get(BASE)
    with django_assert_max_num_queries(12):
        assert client.get(BASE).status_code == 200
