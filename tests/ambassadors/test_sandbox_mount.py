"""The fake networks mounted under /sandbox/<network>/ for the embedded demo, and only when the setting is on: the
admin endpoints and the full journal for staff only, a member's own posts for members, exact redirect URIs, and
one fake member per Relais user."""

import base64
import hashlib
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client

from ambassadors.sandbox import registry
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"
CALLBACK = {
    "linkedin": "http://127.0.0.1:8000/connections/callback/linkedin/",
    "x": "http://127.0.0.1:8000/connections/callback/x/",
}


@pytest.fixture
def fresh_registry(monkeypatch):
    """Each test gets its own process-global fakes."""
    monkeypatch.setattr(registry, "_networks", {})


@pytest.mark.parametrize("network", ["linkedin", "x"])
def test_the_sandbox_page_is_served_when_the_setting_is_on(network, settings, fresh_registry):
    settings.RELAIS_SANDBOX_NETWORKS = True
    settings.RELAIS_SITE_URL = "http://demo.test:8000"

    response = signed_in(UserFactory(is_staff=True)).get(f"/sandbox/{network}/_sandbox/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    fake = registry.sandbox_network(network)
    assert fake.base_url == f"http://demo.test:8000/sandbox/{network}"
    assert fake.auto_consent is None
    assert fake.registered_redirect_uris == [f"http://demo.test:8000/connections/callback/{network}/"]
    assert fake.requests_to("GET", "/_sandbox/")


@pytest.mark.parametrize("network", ["linkedin", "x"])
def test_the_sandbox_is_404_when_the_setting_is_off(network, settings, fresh_registry):
    settings.RELAIS_SANDBOX_NETWORKS = False

    assert Client().get(f"/sandbox/{network}/_sandbox/").status_code == 404
    assert Client().post(f"/sandbox/{network}/2/oauth2/token").status_code == 404


def test_an_unknown_sandbox_network_is_404(settings, fresh_registry):
    settings.RELAIS_SANDBOX_NETWORKS = True

    assert Client().get("/sandbox/myspace/_sandbox/").status_code == 404


def test_a_post_reaches_the_fake_with_its_body_and_without_csrf(settings, fresh_registry):
    settings.RELAIS_SANDBOX_NETWORKS = True
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        "/sandbox/x/2/oauth2/token",
        "grant_type=refresh_token&refresh_token=nope",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized_client"
    entry = registry.sandbox_network("x").requests_to("POST", "/2/oauth2/token")[0]
    assert "grant_type=refresh_token" in entry.body


def test_the_demo_consent_page_is_shown(settings, fresh_registry, personas):
    settings.RELAIS_SANDBOX_NETWORKS = True

    response = signed_in(personas.ambassador).get(
        "/sandbox/x/i/oauth2/authorize",
        {
            "response_type": "code",
            "client_id": "relais-sandbox",
            "redirect_uri": "http://127.0.0.1:8000/connections/callback/x/",
            "state": "abc",
            "code_challenge": "xyz",
            "code_challenge_method": "S256",
            "scope": "tweet.read tweet.write users.read offline.access",
        },
    )

    assert response.status_code == 200
    assert "<form" in response.content.decode()


# --- who may see and do what ---------------------------------------------------------------------------------------


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


ADMIN_CALLS = [
    ("get", "_sandbox/journal", None),
    ("post", "_sandbox/knobs", {"client_secret": "mine", "registered_redirect_uris": ["https://evil.example/cb"]}),
    ("post", "_sandbox/clock", {"advance": 86400}),
    ("post", "_sandbox/faults", {"publish": {"error_rate": 1}}),
    ("post", "_sandbox/reset", {}),
]


def call(client, network, method, path, body):
    if method == "get":
        return client.get(f"/sandbox/{network}/{path}")
    return client.post(f"/sandbox/{network}/{path}", body, content_type="application/json")


@pytest.fixture
def sandbox_on(settings, fresh_registry):
    settings.RELAIS_SANDBOX_NETWORKS = True


@pytest.mark.parametrize("network", ["linkedin", "x"])
@pytest.mark.parametrize(("method", "path", "body"), ADMIN_CALLS, ids=[path for _, path, _ in ADMIN_CALLS])
def test_admin_endpoints_are_for_staff_only(sandbox_on, personas, network, method, path, body):
    fake = registry.sandbox_network(network)
    before = (fake.knobs(), fake.clock.now(), dict(fake.faults))

    anonymous = call(Client(), network, method, path, body)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    for user in (personas.admin, personas.ambassador, personas.outsider):
        refused = call(signed_in(user), network, method, path, body)
        assert refused.status_code == 403
        assert b"relais-sandbox-secret" not in refused.content
    # Even a forged control header does not open them.
    forged = Client(HTTP_X_SANDBOX_CONTROL="guessed")
    forged.force_login(personas.ambassador)
    assert call(forged, network, method, path, body).status_code == 403

    assert fake.knobs() == before[0]
    assert fake.clock.now() - before[1] < 60
    assert fake.faults == before[2]
    staff = call(signed_in(UserFactory(is_staff=True)), network, method, path, body)
    assert staff.status_code == 200
    assert b"relais-sandbox-secret" not in staff.content


@pytest.mark.parametrize("network", ["linkedin", "x"])
def test_the_received_page_needs_a_signed_in_user(sandbox_on, network):
    for path in ("_sandbox/", ""):
        response = Client().get(f"/sandbox/{network}/{path}")
        if response.status_code == 404:
            continue
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def consent(client, network, *, redirect_uri=None, decision="allow", name=""):
    """Answer the fake's consent page as the signed-in user; returns the response."""
    redirect_uri = redirect_uri or CALLBACK[network]
    if network == "linkedin":
        query = {"response_type": "code", "client_id": "relais-sandbox", "redirect_uri": redirect_uri, "state": "s"}
        query["scope"] = "openid profile email w_member_social"
        form = {"action": decision, "name": name}
        return client.post(
            f"/sandbox/linkedin/oauth/v2/authorization?{urlencode(query)}", urlencode(form), content_type=FORM
        )
    verifier = "v" * 43
    form = {
        "response_type": "code",
        "client_id": "relais-sandbox",
        "redirect_uri": redirect_uri,
        "scope": "tweet.read tweet.write users.read offline.access",
        "state": "s",
        "code_challenge": base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("="),
        "code_challenge_method": "S256",
        "decision": "authorize" if decision == "allow" else "cancel",
        "name": name,
    }
    return client.post("/sandbox/x/i/oauth2/authorize", urlencode(form), content_type=FORM)


def consented_uid(client, network, **kwargs) -> str:
    """The fake member id the signed-in user consented as."""
    response = consent(client, network, **kwargs)
    assert response.status_code == 302, response.content
    code = parse_qs(urlsplit(response["Location"]).query)["code"][0]
    fake = registry.sandbox_network(network)
    pending = fake.codes[code]
    return pending.identity["sub"] if network == "linkedin" else pending.uid


def publish_as(network, uid, text):
    fake = registry.sandbox_network(network)
    token = fake.issue_token(uid=uid, name=f"Member {uid}")["access_token"]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if network == "x":
        body = {"text": text}
        response = Client().post("/sandbox/x/2/tweets", body, content_type="application/json", **auth)
    else:
        body = {
            "author": f"urn:li:person:{uid}",
            "commentary": text,
            "visibility": "PUBLIC",
            "lifecycleState": "PUBLISHED",
            "distribution": {"feedDistribution": "MAIN_FEED"},
        }
        headers = {"HTTP_LINKEDIN_VERSION": "202608", "HTTP_X_RESTLI_PROTOCOL_VERSION": "2.0.0", **auth}
        response = Client().post("/sandbox/linkedin/rest/posts", body, content_type="application/json", **headers)
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("network", ["linkedin", "x"])
def test_each_relais_user_consents_as_a_fake_member_of_their_own(sandbox_on, personas, network):
    ambassador, outsider = signed_in(personas.ambassador), signed_in(personas.outsider)

    first = consented_uid(ambassador, network, name="Same Name")
    other = consented_uid(outsider, network, name="Same Name")

    assert first != other
    assert consented_uid(ambassador, network) == first
    assert consented_uid(signed_in(personas.editor), network) not in (first, other)


@pytest.mark.parametrize("network", ["linkedin", "x"])
def test_the_received_page_shows_a_member_only_their_own_accounts_posts(sandbox_on, personas, network):
    mine = consented_uid(signed_in(personas.ambassador), network)
    theirs = consented_uid(signed_in(personas.outsider), network)
    publish_as(network, mine, "Posted by the Acme ambassador")
    publish_as(network, theirs, "Posted by the Globex admin")

    own = signed_in(personas.ambassador).get(f"/sandbox/{network}/_sandbox/").content.decode()
    assert "Posted by the Acme ambassador" in own and "Posted by the Globex admin" not in own
    outsider = signed_in(personas.outsider).get(f"/sandbox/{network}/_sandbox/").content.decode()
    assert "Posted by the Globex admin" in outsider and "Posted by the Acme ambassador" not in outsider
    nobody = signed_in(personas.editor).get(f"/sandbox/{network}/_sandbox/")
    assert nobody.status_code == 200 and "Posted by" not in nobody.content.decode()
    everything = signed_in(UserFactory(is_staff=True)).get(f"/sandbox/{network}/_sandbox/").content.decode()
    assert "Posted by the Acme ambassador" in everything and "Posted by the Globex admin" in everything


@pytest.mark.parametrize("network", ["linkedin", "x"])
@pytest.mark.parametrize("decision", ["allow", "cancel"])
def test_the_consent_page_redirects_only_to_relais_callback(sandbox_on, personas, network, decision):
    client = signed_in(personas.ambassador)
    for redirect_uri in ("https://evil.example/cb", CALLBACK[network] + "?next=//evil.example", CALLBACK[network][:-1]):
        refused = consent(client, network, redirect_uri=redirect_uri, decision=decision)
        assert refused.status_code == 400
        assert "Location" not in refused
        assert refused["Content-Type"].startswith("text/html")
    answered = consent(client, network, decision=decision)
    assert answered.status_code == 302
    assert answered["Location"].startswith(CALLBACK[network] + "?")


@pytest.mark.parametrize("network", ["linkedin", "x"])
def test_the_consent_page_needs_a_signed_in_user(sandbox_on, network):
    response = consent(Client(), network)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert not registry.sandbox_network(network).codes
