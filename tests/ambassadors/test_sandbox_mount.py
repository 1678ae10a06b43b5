"""The fake networks mounted under /sandbox/<network>/ for the embedded demo, and only when the setting is on."""

import pytest
from django.test import Client

from ambassadors.sandbox import registry

pytestmark = pytest.mark.django_db


@pytest.fixture
def fresh_registry(monkeypatch):
    """Each test gets its own process-global fakes."""
    monkeypatch.setattr(registry, "_networks", {})


@pytest.mark.parametrize("network", ["linkedin", "x"])
def test_the_sandbox_page_is_served_when_the_setting_is_on(network, settings, fresh_registry):
    settings.RELAIS_SANDBOX_NETWORKS = True
    settings.RELAIS_SITE_URL = "http://demo.test:8000"

    response = Client().get(f"/sandbox/{network}/_sandbox/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    fake = registry.sandbox_network(network)
    assert fake.base_url == f"http://demo.test:8000/sandbox/{network}"
    assert fake.auto_consent is None
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


def test_the_demo_consent_page_is_shown(settings, fresh_registry):
    settings.RELAIS_SANDBOX_NETWORKS = True

    response = Client().get(
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
