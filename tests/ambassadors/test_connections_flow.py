"""The connect flow end to end: our pages, the fake network's consent over real HTTP, our public callback, the
organisation's callback, and the stored connection (provider-contracts.md §1.1, §2.1)."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.messages import get_messages
from django.urls import reverse

from advocacy.models import AuditEntry
from advocacy.tenancy import organization_scope
from ambassadors.models import Notification, SocialConnection
from ambassadors.services.connections import SESSION_KEY
from ambassadors.signals import connection_restored

pytestmark = pytest.mark.django_db


def start(client, org: str, provider: str) -> str:
    """POST "connect" and return the network's authorize URL we were sent to."""
    response = client.post(reverse("connection_connect", args=[org, provider]))
    assert response.status_code == 302, response.content
    return response["Location"]


def consent(authorize_url: str) -> str:
    """Follow the fake's authorize page (auto-consent); return where it sends the browser: our public callback."""
    answer = requests.get(authorize_url, allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def come_back(client, callback_url: str):
    """Hit our public callback as the browser would, then the organisation's callback it redirects to."""
    parts = urlsplit(callback_url)
    public = client.get(f"{parts.path}?{parts.query}")
    if public.status_code != 302:
        return public
    return client.get(public["Location"])


def connect_through(client, org: str, provider: str):
    """The whole flow; returns the organisation callback's response (a redirect to the connections page)."""
    return come_back(client, consent(start(client, org, provider)))


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def ambassador(client, personas):
    client.force_login(personas.ambassador)
    return client


@pytest.mark.parametrize("network", ["linkedin", "x"])
def test_an_ambassador_connects_an_account_through_the_networks_consent(
    network, ambassador, personas, request, django_capture_on_commit_callbacks
):
    fake = request.getfixturevalue(f"fake_{network}")
    fake.auto_consent = "approve"
    received = []

    def listener(sender, connection, **kwargs):
        received.append(connection.pk)

    connection_restored.connect(listener)
    try:
        response = connect_through(ambassador, "acme", network)
    finally:
        connection_restored.disconnect(listener)

    assert response.status_code == 302
    assert response["Location"] == reverse("connections", args=["acme"]) + f"#{network}"
    assert any("is connected" in message for message in messages_of(response))
    with organization_scope(personas.organization):
        connection = SocialConnection.objects.get(membership__user=personas.ambassador, provider=network)
        assert connection.status == SocialConnection.Status.ACTIVE
        assert connection.display_name == "Ada Lovelace"
        assert connection.access_token()
        assert connection.access_expires_at is not None
        assert AuditEntry.objects.filter(action="connection.connected", object_id=str(connection.pk)).exists()
    assert received == [connection.pk]
    page = ambassador.get(reverse("connections", args=["acme"]))
    assert "Connected as Ada Lovelace" in page.content.decode()


def test_x_gets_a_pkce_challenge_and_verifier_and_linkedin_gets_none(ambassador, fake_x, fake_linkedin):
    fake_x.auto_consent = fake_linkedin.auto_consent = "approve"

    x_query = parse_qs(urlsplit(start(ambassador, "acme", "x")).query)
    linkedin_query = parse_qs(urlsplit(start(ambassador, "acme", "linkedin")).query)

    assert x_query["code_challenge_method"] == ["S256"] and x_query["code_challenge"][0]
    assert "code_challenge" not in linkedin_query
    assert x_query["state"] != linkedin_query["state"]
    assert x_query["redirect_uri"] == ["http://127.0.0.1:8000/connections/callback/x/"]
    assert linkedin_query["redirect_uri"] == ["http://127.0.0.1:8000/connections/callback/linkedin/"]
    # Each network's token exchange carries (or not) the verifier.
    connect_through(ambassador, "acme", "x")
    connect_through(ambassador, "acme", "linkedin")
    assert "code_verifier=" in fake_x.requests_to("POST", "/2/oauth2/token")[0].body
    assert "code_verifier" not in fake_linkedin.requests_to("POST", "/oauth/v2/accessToken")[0].body


@pytest.mark.parametrize(("network", "refusal"), [("x", "deny"), ("linkedin", "deny"), ("linkedin", "cancel_login")])
def test_a_cancelled_consent_says_so_and_stores_nothing(network, refusal, ambassador, personas, request):
    fake = request.getfixturevalue(f"fake_{network}")
    fake.auto_consent = refusal

    response = connect_through(ambassador, "acme", network)

    assert response.status_code == 302
    assert any("was cancelled; nothing was changed" in message for message in messages_of(response))
    with organization_scope(personas.organization):
        assert not SocialConnection.objects.exists()
    assert fake.requests_to("POST", "/") == []


def test_a_state_works_once(ambassador, personas, fake_x):
    fake_x.auto_consent = "approve"
    callback = consent(start(ambassador, "acme", "x"))
    first = come_back(ambassador, callback)
    assert any("is connected" in message for message in messages_of(first))

    # The public callback is outside any organisation: it speaks the browser's language.
    replay = ambassador.get(urlsplit(callback).path + "?" + urlsplit(callback).query, HTTP_ACCEPT_LANGUAGE="en")

    assert replay.status_code == 400
    assert "does not match a connection started in this browser" in replay.content.decode()
    assert len(fake_x.requests_to("POST", "/2/oauth2/token")) == 1


def test_a_forged_state_is_refused_at_both_callbacks(ambassador, personas, fake_x):
    fake_x.auto_consent = "approve"
    callback = consent(start(ambassador, "acme", "x"))
    code = parse_qs(urlsplit(callback).query)["code"][0]

    public = ambassador.get(reverse("connection_oauth_callback", args=["x"]), {"code": code, "state": "forged"})
    direct = ambassador.get(
        reverse("connection_callback", args=["acme", "x"]), {"code": code, "state": "forged"}, follow=True
    )

    assert public.status_code == 400
    assert "This connection attempt is no longer valid" in direct.content.decode()
    assert fake_x.requests_to("POST", "/2/oauth2/token") == []
    with organization_scope(personas.organization):
        assert not SocialConnection.objects.exists()


def test_another_members_state_is_refused(client, personas, fake_x):
    """A state started by one member and completed in another member's session (a stolen callback URL) fails."""
    fake_x.auto_consent = "approve"
    client.force_login(personas.ambassador)
    callback = consent(start(client, "acme", "x"))
    pending = client.session[SESSION_KEY]
    other = type(client)()
    other.force_login(personas.editor)
    session = other.session
    session[SESSION_KEY] = {
        state: {**entry, "return_to": reverse("connection_callback", args=["acme", "x"])}
        for state, entry in pending.items()
    }
    session.save()

    response = come_back(other, callback)

    assert response.status_code == 302
    assert any("no longer valid" in message for message in messages_of(response))
    with organization_scope(personas.organization):
        assert not SocialConnection.objects.exists()


def test_the_public_callback_only_knows_this_sessions_attempts(client, personas, fake_x):
    fake_x.auto_consent = "approve"
    client.force_login(personas.ambassador)
    callback = consent(start(client, "acme", "x"))
    stranger = type(client)()
    stranger.force_login(personas.admin)

    response = stranger.get(urlsplit(callback).path + "?" + urlsplit(callback).query)

    assert response.status_code == 400


def test_reconnecting_the_same_account_refreshes_the_connection_and_reads_the_notice(
    ambassador, personas, fake_linkedin
):
    fake_linkedin.auto_consent = "approve"
    connect_through(ambassador, "acme", "linkedin")
    with organization_scope(personas.organization):
        connection = SocialConnection.objects.get()
        first_token, first_version = connection.access_token(), connection.token_version
        SocialConnection.objects.filter(pk=connection.pk).update(
            status=SocialConnection.Status.NEEDS_RECONNECT, last_error_code="revoked"
        )
        notice = Notification.objects.create(
            membership=connection.membership,
            kind="reconnect",
            message="Reconnect",
            url=reverse("connections", args=["acme"]) + "#linkedin",
        )

    connect_through(ambassador, "acme", "linkedin")

    with organization_scope(personas.organization):
        assert SocialConnection.objects.count() == 1
        connection.refresh_from_db()
        assert connection.status == SocialConnection.Status.ACTIVE
        assert connection.last_error_code == ""
        assert connection.access_token() != first_token
        assert connection.token_version > first_version
        notice.refresh_from_db()
        assert notice.read_at is not None
        assert AuditEntry.objects.filter(action="connection.reconnected").count() == 1


def test_connecting_another_account_replaces_the_old_one(ambassador, personas, fake_x):
    fake_x.auto_consent = "approve"
    connect_through(ambassador, "acme", "x")
    fake_x.consent_identity = {"id": "999", "name": "Grace Hopper", "username": "grace"}

    connect_through(ambassador, "acme", "x")

    with organization_scope(personas.organization):
        rows = {row.provider_uid: row for row in SocialConnection.objects.all()}
    assert rows["999"].status == SocialConnection.Status.ACTIVE
    assert rows["2244994945"].status == SocialConnection.Status.DISCONNECTED
    assert rows["2244994945"].access_token_sealed == ""


def test_a_consent_without_the_publishing_scope_is_refused(ambassador, personas, fake_x):
    fake_x.auto_consent = "approve"
    fake_x.granted_scopes = "tweet.read users.read offline.access"

    response = connect_through(ambassador, "acme", "x")

    assert any("You did not allow Relais to publish on X" in message for message in messages_of(response))
    with organization_scope(personas.organization):
        assert not SocialConnection.objects.exists()


def test_a_network_down_at_the_exchange_says_try_again(ambassador, personas, fake_x):
    fake_x.auto_consent = "approve"
    fake_x.set_faults("token", script=[503])

    response = connect_through(ambassador, "acme", "x")

    assert any("did not answer as expected" in message for message in messages_of(response))
    with organization_scope(personas.organization):
        assert not SocialConnection.objects.exists()


def test_pending_attempts_stay_few_and_expire(ambassador, fake_x, settings):
    for _ in range(8):
        start(ambassador, "acme", "x")

    assert len(ambassador.session[SESSION_KEY]) == 5
    assert all("org" not in key for entry in ambassador.session[SESSION_KEY].values() for key in entry)


def test_an_unknown_network_is_404(ambassador):
    assert ambassador.post(reverse("connection_connect", args=["acme", "myspace"])).status_code == 404
    assert ambassador.get(reverse("connection_oauth_callback", args=["myspace"])).status_code == 404


@pytest.mark.parametrize("network", ["linkedin", "x"])
def test_connecting_from_the_tour_or_the_composer_comes_back_there(network, ambassador, request):
    fake = request.getfixturevalue(f"fake_{network}")
    fake.auto_consent = "approve"
    for origin in ("/o/acme/welcome/connect/", "/o/acme/feed/12/share/?network=x"):
        started = ambassador.post(reverse("connection_connect", args=["acme", network]), {"next": origin})

        response = come_back(ambassador, consent(started["Location"]))

        assert response.status_code == 302 and response["Location"] == origin
        assert any("is connected" in message for message in messages_of(response))


@pytest.mark.parametrize("origin", ["https://evil.example/", "//evil.example/", "/\\evil.example/", "javascript:x"])
def test_a_return_path_off_the_site_is_ignored(origin, ambassador, fake_x):
    fake_x.auto_consent = "approve"
    started = ambassador.post(reverse("connection_connect", args=["acme", "x"]), {"next": origin})

    response = come_back(ambassador, consent(started["Location"]))

    assert response["Location"] == reverse("connections", args=["acme"]) + "#x"


def test_the_accounts_page_passes_the_composers_return_path_to_its_buttons(ambassador):
    origin = "/o/acme/feed/12/share/?network=linkedin"
    page = ambassador.get(reverse("connections", args=["acme"]), {"next": origin}).content.decode()
    assert page.count(f'name="next" value="{origin}"') == 2
    unsafe = ambassador.get(reverse("connections", args=["acme"]), {"next": "//evil.example/"}).content.decode()
    assert 'name="next" value="//evil.example/"' not in unsafe
