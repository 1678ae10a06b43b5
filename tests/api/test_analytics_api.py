"""``/api/v1/o/<org>/analytics/``: the dashboard's figures (the page's, unknown ones null), the period's field errors
(400, in the caller's language), who may read them (analytics.view for the organisation's, any person for ``me``),
API tokens by their role, the outsider's 404, and a bounded number of queries."""

import pytest
from rest_framework.test import APIClient

from advocacy.models import ApiToken
from advocacy.roles import Role
from advocacy.tenancy import organization_scope
from tests.analytics.test_dashboard import world  # noqa: F401 - the dashboard's figures, for the API too
from tests.api.conftest import client_for
from tests.conftest import org_url
from tests.factories import ApiTokenFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db

BASE = "/api/v1/o/acme/analytics/"
MAY = {"start": "2026-05-01", "end": "2026-05-31"}
ORGANIZATION_ENDPOINTS = ["summary", "over-time", "funnel", "topics", "top-posts", "programmes"]


def _token(personas, role: Role, secret: str) -> APIClient:
    with organization_scope(personas.organization):
        ApiTokenFactory(organization=personas.organization, role=role, token_digest=ApiToken.digest(secret))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def test_the_summary_equals_the_dashboard_page(personas, world):  # noqa: F811
    client = client_for(personas.manager)
    body = client.get(f"{BASE}summary/", MAY).json()
    page = client.get(org_url("analytics_dashboard", personas), MAY).context

    assert body["period"] == {"start": "2026-05-01", "end": "2026-05-31"}
    assert body["previous_period"] == {"start": "2026-03-31", "end": "2026-04-30"}
    current = body["current"]
    for name in ("shares", "clicks", "unique_clicks", "active_ambassadors", "likes", "engagement", "impressions"):
        assert current[name] == getattr(page["figures"], name), name
    assert (current["shares"], current["unique_clicks"], current["likes"], current["likes_known"]) == (4, 25, 15, 4)
    assert (body["previous"]["shares"], body["previous"]["unique_clicks"]) == (1, 2)
    networks = {row["network"]: row for row in body["by_network"]}
    assert networks["x"]["unique_clicks"] == 20


def test_unknown_figures_are_null_never_zero(personas, world):  # noqa: F811
    body = client_for(personas.manager).get(f"{BASE}summary/", MAY).json()
    linkedin = {row["network"]: row for row in body["by_network"]}["linkedin"]

    assert linkedin["impressions"] is None and linkedin["impressions_known"] == 0
    assert linkedin["reach"] is None and linkedin["potential_reach"] is None
    assert body["current"]["comments"] is None and body["current"]["comments_known"] == 0
    assert body["current"]["impressions"] == 900 and body["current"]["impressions_known"] == 1


def test_the_filters_narrow_the_figures_like_the_page(personas, world):  # noqa: F811
    client = client_for(personas.manager)
    sales = client.get(f"{BASE}summary/", {**MAY, "programme": world["sales"].pk}).json()["current"]
    linkedin = client.get(f"{BASE}summary/", {**MAY, "network": "linkedin"}).json()["current"]

    assert (sales["shares"], sales["unique_clicks"]) == (1, 20)
    assert (linkedin["shares"], linkedin["unique_clicks"]) == (3, 5)


def test_over_time_buckets_every_day_and_keeps_unknown_null(personas, world):  # noqa: F811
    body = client_for(personas.manager).get(f"{BASE}over-time/", MAY).json()

    assert body["bucket_size"] == "day" and len(body["buckets"]) == 31
    first = {row["network"]: row for row in body["buckets"][0]["by_network"]}
    assert body["buckets"][0]["first_day"] == "2026-05-01"
    assert first["linkedin"]["shares"] == 3 and first["linkedin"]["impressions"] is None


def test_the_topics_name_the_biggest_gaps(personas, world):  # noqa: F811
    body = client_for(personas.manager).get(f"{BASE}topics/", MAY).json()

    assert [row["topic"]["name"] for row in body["topics"]] == ["People", "Product"]
    assert body["topics"][0]["share_of_shares"] == pytest.approx(80.0)
    assert body["wanted"]["topic"]["name"] == "Product" and body["wanted"]["gap"] > 0
    assert body["ignored"]["topic"]["name"] == "People"


def test_top_posts_programmes_and_funnel(personas, world):  # noqa: F811
    client = client_for(personas.manager)
    posts = client.get(f"{BASE}top-posts/", MAY).json()["posts"]
    programmes = client.get(f"{BASE}programmes/", MAY).json()["programmes"]
    funnel = client.get(f"{BASE}funnel/", MAY).json()
    page = client.get(org_url("analytics_dashboard", personas), MAY).context

    assert [row["post"]["title"] for row in posts] == ["Post 1", "Post 0"]
    assert posts[0]["figures"]["unique_clicks"] == 20
    assert programmes == [
        {"programme": {"id": world["sales"].pk, "name": "Sales"}, "members": 0, "figures": programmes[0]["figures"]}
    ]
    assert programmes[0]["figures"]["shares"] == 1
    assert set(funnel["current"]) == {"invited", "joined", "charter", "connected", "shared", "active"}
    assert funnel["current"] == dict(page["adoption"].current.stages())
    assert funnel["previous"] == dict(page["adoption"].previous.stages())
    assert funnel["by_programme"][0]["programme"]["name"] == "Sales"


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"start": "2026-05-31", "end": "2026-05-01"}, "end", "The period ends before it starts"),
        ({"start": "2024-01-01", "end": "2026-05-01"}, "start", "A period covers two years at most"),
        ({"start": "yesterday"}, "start", "Enter a valid date"),
        ({"network": "myspace"}, "network", "Select a valid choice"),
        ({"programme": "999999"}, "programme", "Select a valid choice"),
    ],
)
def test_a_bad_period_or_filter_is_a_400_with_the_fields_reason(personas, query, field, message):
    with organization_scope(personas.organization):
        ProgrammeFactory(organization=personas.organization, name="Sales")
    response = client_for(personas.manager).get(f"{BASE}summary/", query, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert message in body["errors"][field][0]


def test_the_periods_reason_comes_in_the_callers_language(personas):
    personas.manager.language = "fr"
    personas.manager.save(update_fields=["language"])
    response = client_for(personas.manager).get(f"{BASE}summary/", {"start": "2026-05-31", "end": "2026-05-01"})

    assert response.status_code == 400
    assert "La période se termine avant de commencer" in response.json()["errors"]["end"][0]


def test_my_figures_are_my_own_for_any_member(personas, world):  # noqa: F811
    response = client_for(personas.ambassador).get(f"{BASE}me/", MAY)

    assert response.status_code == 200
    body = response.json()
    # Alice's 3 LinkedIn shares, 7 clicks (5 unique); not Bob's X share.
    assert (body["current"]["shares"], body["current"]["clicks"], body["current"]["unique_clicks"]) == (3, 7, 5)
    assert [row["post"]["title"] for row in body["best_posts"]] == ["Post 0"]
    assert [row["topic"]["name"] for row in body["topics"]] == ["People"]
    assert len(body["buckets"]) == 31
    # My figures take no programme or topic filter: another member's posts never come in through one.
    assert client_for(personas.ambassador).get(f"{BASE}me/", {**MAY, "topic": 1}).json()["current"]["shares"] == 3


@pytest.mark.parametrize("endpoint", ORGANIZATION_ENDPOINTS)
def test_an_ambassador_gets_403_on_the_organisations_figures(personas, endpoint):
    assert client_for(personas.ambassador).get(f"{BASE}{endpoint}/").status_code == 403
    assert client_for(personas.approver).get(f"{BASE}{endpoint}/").status_code == 403


@pytest.mark.parametrize("role", ["admin", "editor", "manager"])
def test_admins_editors_and_managers_read_them(personas, role):
    assert client_for(getattr(personas, role)).get(f"{BASE}summary/").status_code == 200


@pytest.mark.parametrize("endpoint", [*ORGANIZATION_ENDPOINTS, "me"])
def test_the_outsider_gets_404(personas, world, endpoint):  # noqa: F811
    assert client_for(personas.outsider).get(f"{BASE}{endpoint}/", MAY).status_code == 404


def test_the_outsiders_own_organisation_never_shows_ours(personas, world):  # noqa: F811
    body = client_for(personas.outsider).get("/api/v1/o/globex/analytics/summary/", MAY).json()

    assert body["current"]["shares"] == 0 and body["previous"]["shares"] == 0 and body["by_network"] == []


def test_a_token_carries_what_its_role_would(personas, world):  # noqa: F811
    manager = _token(personas, Role.MANAGER, "rls_managertoken")
    ambassador = _token(personas, Role.AMBASSADOR, "rls_ambassadortoken")

    assert manager.get(f"{BASE}summary/", MAY).json()["current"]["shares"] == 4
    assert ambassador.get(f"{BASE}summary/", MAY).status_code == 403
    # A token is no person: it has no figures of its own.
    assert manager.get(f"{BASE}me/", MAY).status_code == 403


def test_another_organisations_token_is_unknown_here(personas):
    with organization_scope(personas.other_organization):
        ApiTokenFactory(
            organization=personas.other_organization, role=Role.ADMIN, token_digest=ApiToken.digest("rls_globex")
        )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer rls_globex")
    assert client.get(f"{BASE}summary/").status_code == 401


def test_anonymous_callers_get_401(personas):
    assert APIClient().get(f"{BASE}summary/").status_code == 401


@pytest.mark.parametrize(("endpoint", "queries"), [*((name, 12) for name in ORGANIZATION_ENDPOINTS), ("me", 14)])
def test_each_endpoint_takes_a_bounded_number_of_queries(
    personas,
    world,  # noqa: F811
    endpoint,
    queries,
    django_assert_max_num_queries,
):
    client = client_for(personas.manager)
    with organization_scope(personas.organization):
        for n in range(5):
            ProgrammeFactory(organization=personas.organization, name=f"Programme {n}")
    with django_assert_max_num_queries(queries):
        response = client.get(f"{BASE}{endpoint}/", {"start": "2025-06-01", "end": "2026-05-31"})
    assert response.status_code == 200
