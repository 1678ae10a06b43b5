"""An organisation that requires two-factor sends members without TOTP to set it up, then to the page they wanted."""

import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

ORG_HOME = "/o/acme/"


def _current_code(secret: str) -> str:
    # RFC 6238 with allauth's defaults (30-second period, 6 digits), the way an authenticator app computes it.
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def _signed_in(user, *, reauthenticated: bool = False) -> Client:
    """A real password sign-in, as in the browser; optionally also the re-authentication MFA changes ask for."""
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(reverse("account_login"), {"login": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    if reauthenticated:
        assert client.post(reverse("account_reauthenticate"), {"password": DEFAULT_PASSWORD}).status_code == 302
    return client


@pytest.fixture
def strict(personas):
    personas.organization.require_two_factor = True
    personas.organization.save()
    return personas


def test_member_without_totp_is_sent_to_the_setup_page_with_next(strict):
    client = _signed_in(strict.ambassador)
    response = client.get(ORG_HOME + "?tab=1")
    assert response.status_code == 302
    assert response["Location"] == reverse("two_factor_required") + "?next=%2Fo%2Facme%2F%3Ftab%3D1"


def test_every_organisation_page_waits_for_the_setup(strict):
    client = _signed_in(strict.admin)
    for path in (ORG_HOME, "/o/acme/members/", "/o/acme/settings/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(reverse("two_factor_required")), path


def test_activation_with_a_real_code_shows_recovery_codes_then_continues_to_the_wanted_page(strict):
    client = _signed_in(strict.ambassador)
    to_setup = client.get(ORG_HOME)["Location"]
    # allauth asks for the password again before any change of authenticators, then comes back here.
    to_reauthenticate = client.get(to_setup)["Location"]
    assert to_reauthenticate.startswith(reverse("account_reauthenticate"))
    back = client.post(to_reauthenticate, {"password": DEFAULT_PASSWORD})
    assert back["Location"] == to_setup
    setup = client.get(to_setup)
    assert setup.status_code == 200
    assert "Set up two-factor authentication" in setup.content.decode()
    secret = client.session[SECRET_SESSION_KEY]
    assert secret in setup.content.decode()

    done = client.post(reverse("two_factor_required") + "?next=%2Fo%2Facme%2F", {"code": _current_code(secret)})
    page = done.content.decode()
    assert done.status_code == 200
    assert Authenticator.objects.filter(user=strict.ambassador, type=Authenticator.Type.TOTP).exists()
    assert "Recovery codes" in page
    assert f'href="{ORG_HOME}"' in page
    assert client.get(ORG_HOME).status_code == 200


def test_a_wrong_code_is_refused_with_a_message(strict):
    client = _signed_in(strict.ambassador, reauthenticated=True)
    client.get(reverse("two_factor_required"), {"next": ORG_HOME})
    response = client.post(reverse("two_factor_required") + "?next=%2Fo%2Facme%2F", {"code": "000000"})
    assert response.status_code == 200
    assert "Incorrect code." in response.content.decode()
    assert not Authenticator.objects.filter(user=strict.ambassador).exists()
    assert client.get(ORG_HOME).status_code == 302


@pytest.mark.parametrize("unsafe", ["//evil.example", "https://evil.example/", "/\\evil.example"])
def test_setup_never_continues_to_another_site(strict, unsafe):
    client = _signed_in(strict.ambassador, reauthenticated=True)
    client.get(reverse("two_factor_required"), {"next": unsafe})
    secret = client.session[SECRET_SESSION_KEY]
    done = client.post(reverse("two_factor_required"), {"code": _current_code(secret), "next": unsafe})
    assert "evil.example" not in done.content.decode()


def test_member_with_totp_goes_straight_in(strict):
    TOTP.activate(strict.editor, generate_totp_secret())
    client = Client()
    client.force_login(strict.editor)
    assert client.get(ORG_HOME).status_code == 200
    # The setup page itself steps aside for someone who already has it.
    response = client.get(reverse("two_factor_required"), {"next": ORG_HOME})
    assert response.status_code == 302
    assert response["Location"] == ORG_HOME


def test_organisation_without_the_requirement_lets_members_in(personas):
    client = Client()
    client.force_login(personas.ambassador)
    assert client.get(ORG_HOME).status_code == 200


def test_outsider_gets_404_not_the_setup_page(strict):
    client = Client()
    client.force_login(strict.outsider)
    assert client.get(ORG_HOME).status_code == 404


def test_setup_page_requires_sign_in():
    response = Client().get(reverse("two_factor_required"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]
