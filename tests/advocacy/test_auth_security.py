"""Sign-in hardening: login rate limit on the real cache (A1), two-factor (A2), CSRF (A3), open redirects (A4)."""

import time
from urllib.parse import urlsplit

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "account_login"


def _login(client: Client, email: str, password: str = DEFAULT_PASSWORD, **extra):
    return client.post(reverse(LOGIN), {"login": email, "password": password}, **extra)


def _signed_in_user_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def _form_error_codes(response) -> set[str]:
    form = response.context["form"] if response.context else None
    if form is None:
        return set()
    return {error.code for errors in form.errors.as_data().values() for error in errors}


# --- A1: five failed logins for one account, then even the right password is refused ---------------------------------


def test_the_login_rate_limit_counts_in_the_shared_redis_cache():
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert "5/5m/key" in settings.ACCOUNT_RATE_LIMITS["login_failed"]


def test_the_sixth_login_after_five_failures_is_refused_even_with_the_right_password():
    alice = UserFactory(email="alice@acme.test")
    # Each attempt from another address: the per-account limit, not the per-address one, must stop the sixth.
    for n in range(5):
        response = _login(Client(), alice.email, "wrong-password", REMOTE_ADDR=f"10.0.0.{n + 1}")
        assert response.status_code == 200
        assert _form_error_codes(response) != {"too_many_login_attempts"}

    client = Client()
    response = _login(client, alice.email, REMOTE_ADDR="10.0.0.99")

    # allauth refuses a blocked account on the form (200 with an error), not with a 429 page.
    assert response.status_code in (200, 429)
    assert "too_many_login_attempts" in _form_error_codes(response)
    assert _signed_in_user_id(client) is None


def test_the_limit_of_one_account_does_not_lock_out_another():
    alice, bob = UserFactory(email="alice@acme.test"), UserFactory(email="bob@acme.test")
    for n in range(5):
        _login(Client(), alice.email, "wrong-password", REMOTE_ADDR=f"10.0.1.{n + 1}")

    client = Client()
    response = _login(client, bob.email, REMOTE_ADDR="10.0.1.99")

    assert response.status_code == 302
    assert _signed_in_user_id(client) == str(bob.pk)


def test_fewer_than_five_failures_still_let_the_right_password_in():
    alice = UserFactory(email="alice@acme.test")
    for _ in range(4):
        _login(Client(), alice.email, "wrong-password")

    client = Client()
    assert _login(client, alice.email).status_code == 302
    assert _signed_in_user_id(client) == str(alice.pk)


# --- A2: two-factor authentication with allauth's TOTP and recovery codes ---------------------------------------------


def _current_totp(secret: str, offset: int = 0) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // mfa_settings.TOTP_PERIOD + offset))


@pytest.fixture
def two_factor_user():
    user = UserFactory(email="secure@acme.test")
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    codes = RecoveryCodes.activate(user).generate_codes()
    return user, secret, codes


def _password_step(client: Client, user) -> None:
    response = _login(client, user.email)
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == reverse("mfa_authenticate")
    assert _signed_in_user_id(client) is None


def test_the_password_alone_does_not_sign_in_a_user_with_two_factor(two_factor_user):
    user, _secret, _codes = two_factor_user
    client = Client()

    _password_step(client, user)

    assert not client.get(reverse("home")).wsgi_request.user.is_authenticated
    assert client.post(reverse("mfa_authenticate"), {"code": "000000"}).status_code == 200
    assert _signed_in_user_id(client) is None


def test_the_right_totp_code_completes_the_sign_in(two_factor_user):
    user, secret, _codes = two_factor_user
    client = Client()
    _password_step(client, user)

    response = client.post(reverse("mfa_authenticate"), {"code": _current_totp(secret)})

    assert response.status_code == 302
    assert _signed_in_user_id(client) == str(user.pk)


def test_a_totp_code_is_not_accepted_twice(two_factor_user):
    user, secret, _codes = two_factor_user
    code = _current_totp(secret)
    first = Client()
    _password_step(first, user)
    first.post(reverse("mfa_authenticate"), {"code": code})
    assert _signed_in_user_id(first) == str(user.pk)

    second = Client()
    _password_step(second, user)
    second.post(reverse("mfa_authenticate"), {"code": code})

    assert _signed_in_user_id(second) is None


def test_a_recovery_code_works_exactly_once(two_factor_user):
    user, _secret, codes = two_factor_user
    first = Client()
    _password_step(first, user)
    response = first.post(reverse("mfa_authenticate"), {"code": codes[0]})
    assert response.status_code == 302
    assert _signed_in_user_id(first) == str(user.pk)

    second = Client()
    _password_step(second, user)
    second.post(reverse("mfa_authenticate"), {"code": codes[0]})
    assert _signed_in_user_id(second) is None

    recovery = Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)
    assert codes[0] not in RecoveryCodes(recovery).get_unused_codes()
    assert codes[1] in RecoveryCodes(recovery).get_unused_codes()


# --- A3: forms refuse a POST without a CSRF token (the route-wide matrix is in test_url_isolation) --------------------


def test_the_login_form_refuses_a_post_without_csrf_token():
    user = UserFactory(email="alice@acme.test")
    client = Client(enforce_csrf_checks=True)

    response = _login(client, user.email)

    assert response.status_code == 403
    assert _signed_in_user_id(client) is None


def test_sign_out_refuses_a_post_without_csrf_token():
    user = UserFactory(email="alice@acme.test")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    response = client.post(reverse("account_logout"))

    assert response.status_code == 403
    assert _signed_in_user_id(client) == str(user.pk)


def test_the_session_api_refuses_a_write_without_csrf_token(personas):
    url = reverse("api-members-invite", kwargs={"org": personas.organization.slug})
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.admin)

    response = client.post(url, {"emails": "newcomer@acme.test"}, content_type="application/json")

    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/json")


# --- A4: next= never leads off-site -------------------------------------------------------------------------------

OFF_SITE = [
    "//evil.example",
    "https://evil.example",
    "http://evil.example/o/acme/",
    "/\\evil.example",
    "\\\\evil.example",
    "https:evil.example",
    "javascript:alert(1)",
    " //evil.example",
]


def _is_local(location: str) -> bool:
    parts = urlsplit(location)
    return (
        not parts.scheme
        and not parts.netloc
        and location.startswith("/")
        and not location.startswith(("//", "/\\"))
        and "evil.example" not in location
    )


@pytest.mark.parametrize("target", OFF_SITE)
def test_sign_in_never_redirects_off_site(target):
    user = UserFactory(email="alice@acme.test")
    client = Client()

    response = client.post(
        f"{reverse(LOGIN)}?next={target}", {"login": user.email, "password": DEFAULT_PASSWORD, "next": target}
    )

    assert response.status_code == 302
    assert _signed_in_user_id(client) == str(user.pk)
    assert _is_local(response["Location"]), f"next={target!r} redirected to {response['Location']!r}"


def test_sign_in_follows_a_local_next(personas):
    client = Client()
    target = reverse("org_home", kwargs={"org": personas.organization.slug})

    response = client.post(
        f"{reverse(LOGIN)}?next={target}", {"login": personas.admin.email, "password": DEFAULT_PASSWORD, "next": target}
    )

    assert response.status_code == 302
    assert response["Location"] == target
