"""The fake networks, each on a real socket in a thread, with the settings pointing the real clients at them."""

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from ambassadors.sandbox.base import CONTROL_HEADER, SandboxServer


def registered_redirect_uris(network: str) -> list[str]:
    """Relais's OAuth callback, and the one the client and fake tests use: what the fakes accept, exactly."""
    callback = django_settings.RELAIS_SITE_URL.rstrip("/") + reverse("connection_oauth_callback", args=[network])
    return [callback, f"https://relais.example/connect/{network}/callback"]


def control(fake) -> dict[str, str]:
    """The header that lets the test harness use a fake's admin endpoints and see everything it received."""
    return {CONTROL_HEADER: fake.control_secret}


@pytest.fixture
def fake_linkedin(settings):
    from ambassadors.sandbox.linkedin import FakeLinkedIn

    network = FakeLinkedIn()
    with SandboxServer(network) as server:
        network.base_url = server.url
        network.registered_redirect_uris = registered_redirect_uris("linkedin")
        settings.RELAIS_LINKEDIN_AUTH_URL = server.url
        settings.RELAIS_LINKEDIN_API_URL = server.url
        settings.RELAIS_LINKEDIN_CLIENT_ID = network.client_id
        settings.RELAIS_LINKEDIN_CLIENT_SECRET = network.client_secret
        yield network


@pytest.fixture
def fake_x(settings):
    from ambassadors.sandbox.x import FakeX

    network = FakeX()
    with SandboxServer(network) as server:
        network.base_url = server.url
        network.registered_redirect_uris = registered_redirect_uris("x")
        settings.RELAIS_X_AUTH_URL = server.url
        settings.RELAIS_X_API_URL = server.url
        settings.RELAIS_X_CLIENT_ID = network.client_id
        settings.RELAIS_X_CLIENT_SECRET = network.client_secret
        yield network


@pytest.fixture
def fast_timeouts(settings):
    """The contract's 30 s read timeout shortened so "slow" faults time out in a test's lifetime."""
    settings.RELAIS_PROVIDER_CONNECT_TIMEOUT = 2.0
    settings.RELAIS_PROVIDER_READ_TIMEOUT = 1.5
