"""Who sees which connection: the member's own page and API, the admins' health page, the outsider's 404, and the
reconnect notices on the home page."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from advocacy.models import Membership
from advocacy.services import api_token_create
from advocacy.tenancy import organization_scope
from ambassadors.models import Notification, SocialConnection
from ambassadors.services.connections import connection_mark_needs_reconnect
from tests.ambassadors.factories import SocialConnectionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(personas):
    """The ambassador's X and the editor's LinkedIn in Acme; the outsider's X in Globex."""
    with organization_scope(personas.organization):
        mine = SocialConnectionFactory(
            organization=personas.organization,
            membership=personas.membership(personas.ambassador),
            provider="x",
            provider_uid="111",
            display_name="Ada Lovelace",
            username="ada",
            access_expires_at=None,
        )
        mine.set_tokens(access_token="plain-access-secret-0001", refresh_token="plain-refresh-secret-0001")
        mine.save()
        theirs = SocialConnectionFactory(
            organization=personas.organization,
            membership=personas.membership(personas.editor),
            provider="linkedin",
            provider_uid="222",
            display_name="Grace Hopper",
            access_expires_at=timezone.now() + timedelta(days=5),
        )
        theirs.set_tokens(access_token="plain-access-secret-0002", refresh_token=None)
        theirs.save()
    with organization_scope(personas.other_organization):
        foreign = SocialConnectionFactory(
            organization=personas.other_organization,
            membership=Membership.objects.get(user=personas.outsider),
            provider="x",
            provider_uid="333",
            display_name="Globex Spy",
        )
    return {"mine": mine, "theirs": theirs, "foreign": foreign}


def signed_in(user, api=False):
    client = APIClient() if api else Client()
    client.force_login(user)
    return client


def test_the_ambassador_sees_their_own_connections_only(personas, world):
    body = signed_in(personas.ambassador).get(reverse("connections", args=["acme"])).content.decode()

    assert "Connected as Ada Lovelace" in body
    assert "Grace Hopper" not in body and "Globex Spy" not in body
    assert "Connect LinkedIn" in body
    assert "X charges the organisation for every post" in body
    assert "plain-access-secret" not in body and world["mine"].access_token_sealed not in body
    assert reverse("connections_health", args=["acme"]) not in body


def test_disconnecting_is_asked_in_a_dialog_that_posts_to_the_confirmation_page(personas, world):
    body = signed_in(personas.ambassador).get(reverse("connections", args=["acme"])).content.decode()

    disconnect_url = reverse("connection_disconnect", args=["acme", "x"])
    assert f'<form class="modal-content" method="post" action="{disconnect_url}">' in body
    assert "Relais will forget the access to your X account Ada Lovelace." in body
    assert reverse("connection_disconnect", args=["acme", "linkedin"]) not in body  # nothing to disconnect there


def test_an_expiring_connection_says_so_in_words(personas, world):
    body = signed_in(personas.editor).get(reverse("connections", args=["acme"])).content.decode()

    assert "Expires in 5 days — reconnect now" in body
    assert "Reconnect LinkedIn" in body


def test_the_api_lists_own_connections_with_health_and_no_token(personas, world):
    response = signed_in(personas.ambassador, api=True).get(
        reverse("api-connections", args=["acme"]), HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 200
    data = response.json()
    assert [row["id"] for row in data] == [world["mine"].pk]
    assert data[0]["health"]["state"] == "connected"
    assert data[0]["health"]["message"] == "Connected as Ada Lovelace"
    assert not any("token" in key or "sealed" in key for key in data[0])
    assert "plain-" not in response.content.decode()


def test_another_members_connection_is_404_to_delete_and_stays(personas, world):
    api = signed_in(personas.ambassador, api=True)

    response = api.delete(reverse("api-connection-detail", args=["acme", world["theirs"].pk]))
    foreign = api.delete(reverse("api-connection-detail", args=["acme", world["foreign"].pk]))

    assert response.status_code == foreign.status_code == 404
    with organization_scope(personas.organization):
        world["theirs"].refresh_from_db()
        assert world["theirs"].status == SocialConnection.Status.ACTIVE


def test_the_api_disconnects_an_own_connection(personas, world, fake_x):
    api = signed_in(personas.ambassador, api=True)

    response = api.delete(reverse("api-connection-detail", args=["acme", world["mine"].pk]))

    assert response.status_code == 204
    with organization_scope(personas.organization):
        world["mine"].refresh_from_db()
        assert world["mine"].status == SocialConnection.Status.DISCONNECTED
        assert world["mine"].access_token_sealed == world["mine"].refresh_token_sealed == ""
    assert api.get(reverse("api-connections", args=["acme"])).json() == []


def test_the_disconnect_page_asks_then_disconnects(personas, world, fake_x):
    client = signed_in(personas.ambassador)
    url = reverse("connection_disconnect", args=["acme", "x"])

    question = client.get(url)
    done = client.post(url)

    assert question.status_code == 200 and "Disconnect X" in question.content.decode()
    assert done.status_code == 302
    with organization_scope(personas.organization):
        world["mine"].refresh_from_db()
        assert world["mine"].status == SocialConnection.Status.DISCONNECTED
    assert client.get(url).status_code == 302  # nothing left to disconnect: back to the page
    assert client.post(url).status_code == 404


def test_the_admin_sees_everyones_health_and_never_a_token(personas, world):
    response = signed_in(personas.admin).get(reverse("connections_health", args=["acme"]))
    body = response.content.decode()

    assert response.status_code == 200
    assert "Ada Lovelace" in body and "Grace Hopper" in body
    assert personas.ambassador.display_name in body and personas.editor.display_name in body
    assert "Expires in 5 days — reconnect now" in body
    assert "Globex Spy" not in body
    assert "plain-" not in body and "gAAAAA" not in body
    assert (
        reverse("connections_health", args=["acme"])
        in signed_in(personas.admin).get(reverse("connections", args=["acme"])).content.decode()
    )


def test_the_health_page_runs_one_query_for_any_number_of_connections(personas, world, django_assert_max_num_queries):
    with organization_scope(personas.organization):
        for n in range(10):
            SocialConnectionFactory(organization=personas.organization, provider="x", provider_uid=f"9{n}")
    client = signed_in(personas.admin)
    client.get(reverse("connections_health", args=["acme"]))  # warm the session and the organisation caches

    with django_assert_max_num_queries(8):
        response = client.get(reverse("connections_health", args=["acme"]))
    assert response.status_code == 200


@pytest.mark.parametrize("role", ["ambassador", "editor", "approver", "manager"])
def test_only_admins_see_the_health_page(personas, world, role):
    assert signed_in(getattr(personas, role)).get(reverse("connections_health", args=["acme"])).status_code == 403


@pytest.mark.parametrize(
    ("name", "args", "method"),
    [
        ("connections", [], "get"),
        ("connections_health", [], "get"),
        ("connection_connect", ["x"], "post"),
        ("connection_callback", ["x"], "get"),
        ("connection_disconnect", ["x"], "get"),
        ("connection_disconnect", ["x"], "post"),
        ("api-connections", [], "get"),
        ("api-connection-detail", ["MINE"], "delete"),
    ],
)
def test_the_outsider_gets_404_on_every_connections_url(personas, world, name, args, method):
    args = [world["mine"].pk if arg == "MINE" else arg for arg in args]
    client = signed_in(personas.outsider, api=name.startswith("api-"))

    response = getattr(client, method)(reverse(name, args=["acme", *args]))

    assert response.status_code == 404
    with organization_scope(personas.organization):
        world["mine"].refresh_from_db()
        assert world["mine"].status == SocialConnection.Status.ACTIVE


def test_an_api_token_cannot_list_connections(personas, world):
    with organization_scope(personas.organization):
        _token, raw = api_token_create(organization=personas.organization, name="integration", role="admin", by=None)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert client.get(reverse("api-connections", args=["acme"])).status_code == 403


def test_the_home_page_lists_unread_notices_reconnect_first(personas, world, django_capture_on_commit_callbacks):
    with organization_scope(personas.organization):
        membership = personas.membership(personas.ambassador)
        Notification.objects.create(membership=membership, kind="share", message="Your share went out.", url="/x/")
        with django_capture_on_commit_callbacks(execute=False):
            connection_mark_needs_reconnect(connection=world["mine"], code="revoked")
        Notification.objects.create(
            membership=personas.membership(personas.editor), kind="reconnect", message="Editor's notice"
        )

    body = signed_in(personas.ambassador).get(reverse("org_home", args=["acme"])).content.decode()

    assert "Your X account needs reconnecting: the access was revoked on the network" in body
    assert body.index("needs reconnecting") < body.index("Your share went out.")
    assert 'href="/o/acme/connections/#x"' in body
    assert "Editor&#x27;s notice" not in body and "Editor's notice" not in body


def test_the_reconnect_button_is_one_click(personas, world, fake_x):
    with organization_scope(personas.organization):
        connection_mark_needs_reconnect(connection=world["mine"], code="revoked")
    client = signed_in(personas.ambassador)

    body = client.get(reverse("connections", args=["acme"])).content.decode()
    response = client.post(reverse("connection_connect", args=["acme", "x"]))

    assert "Needs reconnecting: the access was revoked on the network" in body
    assert "Reconnect X" in body
    assert response.status_code == 302 and response["Location"].startswith(fake_x.base_url)
