"""``GET /api/v1/o/<org>/shares/<id>/links/``: a share's tracked links and their counts, with the visibility of the
share itself (its owner; administrators overseeing publishing may read), 403 for API tokens, 404 for outsiders."""

import pytest
from rest_framework.test import APIClient

from advocacy.models import ApiToken
from advocacy.tenancy import organization_scope
from ambassadors.models import Share
from tests.ambassadors.test_shares import accept_charter, live_post, share_of
from tests.analytics.factories import tracked
from tests.api.conftest import client_for
from tests.factories import ApiTokenFactory

pytestmark = pytest.mark.django_db

Status = Share.Status
BASE = "/api/v1/o/acme/shares/"


@pytest.fixture
def world(personas):
    with organization_scope(personas.organization):
        accept_charter(personas, personas.ambassador)
        member = personas.membership(personas.ambassador)
        post = live_post(personas, title="Quarterly figures", link="https://news.example.test/q3")
        mine = share_of(personas, member, post, status=Status.PUBLISHED)
        theirs = share_of(personas, personas.membership(personas.editor), post, status=Status.PUBLISHED)
        link = tracked(mine, clicks=15, unique=12, filtered=4)
        tracked(theirs, clicks=1, unique=1)
    return {"mine": mine, "theirs": theirs, "link": link}


def _url(share) -> str:
    return f"{BASE}{share.pk}/links/"


def test_the_owner_reads_the_links_and_their_counts(personas, world):
    response = client_for(personas.ambassador).get(_url(world["mine"]))

    assert response.status_code == 200
    [row] = response.json()
    link = world["link"]
    assert row["code"] == link.code and row["url"] == link.url
    assert row["destination"].startswith("https://news.example.test/q3?utm_source=linkedin")
    assert (row["network"], row["clicks"], row["unique_clicks"], row["filtered_clicks"]) == ("linkedin", 15, 12, 4)
    assert row["last_clicked_at"] is None and row["created_at"]


def test_a_share_without_a_link_to_track_has_none(personas, world):
    with organization_scope(personas.organization):
        post = live_post(personas, title="No link", link="")
        bare = share_of(personas, personas.membership(personas.ambassador), post, status=Status.PUBLISHED)
    assert client_for(personas.ambassador).get(_url(bare)).json() == []


def test_another_members_links_are_a_404_but_publishing_admins_may_read_them(personas, world):
    assert client_for(personas.ambassador).get(_url(world["theirs"])).status_code == 404
    response = client_for(personas.admin).get(_url(world["theirs"]))
    assert response.status_code == 200 and response.json()[0]["unique_clicks"] == 1
    # An editor oversees no publishing: another member's share stays hidden.
    assert client_for(personas.editor).get(_url(world["mine"])).status_code == 404


def test_the_outsider_gets_404(personas, world):
    assert client_for(personas.outsider).get(_url(world["mine"])).status_code == 404
    assert client_for(personas.outsider).get(f"/api/v1/o/globex/shares/{world['mine'].pk}/links/").status_code == 404


def test_an_api_token_gets_403(personas, world):
    with organization_scope(personas.organization):
        ApiTokenFactory(organization=personas.organization, token_digest=ApiToken.digest("rls_linkstoken"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer rls_linkstoken")
    assert client.get(_url(world["mine"])).status_code == 403


def test_anonymous_callers_get_401(personas, world):
    assert APIClient().get(_url(world["mine"])).status_code == 401


def test_writing_is_not_allowed(personas, world):
    assert client_for(personas.ambassador).post(_url(world["mine"])).status_code == 405


def test_the_links_take_a_bounded_number_of_queries(personas, world, django_assert_max_num_queries):
    client = client_for(personas.ambassador)
    client.get(_url(world["mine"]))
    with django_assert_max_num_queries(12):
        assert client.get(_url(world["mine"])).status_code == 200


def test_the_endpoint_is_documented(personas):
    schema = client_for(personas.admin).get("/api/v1/schema/").content.decode()
    assert "/api/v1/o/{org}/shares/{id}/links/" in schema
    assert "The tracked links of one of my shares" in schema
