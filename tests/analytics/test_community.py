"""Community insights: the programme's figures shared with its own ambassadors, the organisation's with everyone; only
programmes a member belongs to (dashboard readers see all); colleagues named only if they chose to be; the quarter's
goals; a bounded number of queries; the outsider gets a 404."""

from datetime import date

import pytest
from django.test import Client

from advocacy.tenancy import organization_scope
from ambassadors.models import AmbassadorProfile
from content.models import Post
from tests.analytics.factories import record_post_day
from tests.conftest import org_url
from tests.factories import ProgrammeFactory, ProgrammeMemberFactory

pytestmark = pytest.mark.django_db

MAY = {"start": "2026-05-01", "end": "2026-05-31"}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world(personas):
    organization = personas.organization
    with organization_scope(organization):
        sales = ProgrammeFactory(organization=organization, name="Sales")
        secret = ProgrammeFactory(organization=organization, name="Board")
        alice = personas.membership(personas.ambassador)
        bob = personas.membership(personas.editor)
        ProgrammeMemberFactory(organization=organization, programme=sales, membership=alice)
        AmbassadorProfile.objects.create(organization=organization, membership=bob, show_in_rankings=True)
        post = Post.objects.create(organization=organization, title="Sales post")
        for member, shares, clicks in ((alice, 3, 30), (bob, 2, 10)):
            record_post_day(
                organization,
                date(2026, 5, 4),
                member,
                "linkedin",
                post,
                programmes=[sales],
                shares=shares,
                unique_clicks=clicks,
                clicks=clicks,
            )
    return {"sales": sales, "secret": secret}


def test_an_ambassador_sees_the_organisations_and_their_programmes_figures_and_only_named_colleagues(personas, world):
    client = _client(personas.ambassador)
    response = client.get(org_url("community_insights", personas), MAY)
    text = response.content.decode()

    assert response.status_code == 200
    assert (response.context["figures"].shares, response.context["figures"].unique_clicks) == (5, 40)
    # Bob chose to be named; Alice did not: she sees herself, her colleagues do not see her.
    named = [name for name, _ in response.context["named_ambassadors"]]
    assert named == [personas.ambassador.display_name, personas.editor.display_name]
    colleague = _client(personas.approver).get(org_url("community_insights", personas), MAY)
    assert [name for name, _ in colleague.context["named_ambassadors"]] == [personas.editor.display_name]
    assert personas.ambassador.display_name not in colleague.content.decode()
    assert "Colleagues who made a difference" in text
    programmes = dict(response.context["form"].fields["programme"].choices)
    assert world["sales"].pk in programmes and world["secret"].pk not in programmes

    by_programme = client.get(org_url("community_insights", personas), {**MAY, "programme": world["sales"].pk})
    assert by_programme.status_code == 200
    assert by_programme.context["figures"].shares == 5
    # A programme they are not in is not a choice: a field error, no figures.
    refused = client.get(org_url("community_insights", personas), {**MAY, "programme": world["secret"].pk})
    assert refused.status_code == 400


def test_dashboard_readers_may_pick_any_programme(personas, world):
    response = _client(personas.manager).get(
        org_url("community_insights", personas), {**MAY, "programme": world["secret"].pk}
    )
    assert response.status_code == 200


def test_the_page_takes_a_bounded_number_of_queries(personas, world, django_assert_max_num_queries):
    client = _client(personas.ambassador)
    with django_assert_max_num_queries(22):
        response = client.get(org_url("community_insights", personas), {**MAY, "programme": world["sales"].pk})
    assert response.status_code == 200


def test_the_outsider_gets_a_404(personas, world):
    assert _client(personas.outsider).get(org_url("community_insights", personas)).status_code == 404
