"""The main journeys, in a real headless Chromium against the live app."""

import re
import time

import pytest
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.core import mail
from django.core.management import call_command

from advocacy.models import Membership, Organization, User
from advocacy.roles import Role
from advocacy.tenancy import organization_scope
from tests.browser.conftest import assert_accessible
from tests.content.factories import eager_celery
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, OrganizationFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO_ADMIN = "admin@demo.relais.test"
DEMO_PASSWORD = "relais-demo-2026"
NEW_MEMBER = "nadia.haddad@example.test"


def totp_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def fresh_totp_code(secret: str) -> str:
    """A code with time left in its 30-second window, so it is still valid when the server checks it."""
    if time.time() % 30 > 25:
        time.sleep(30 - time.time() % 30 + 0.5)
    return totp_code(secret)


def sign_in(page, base_url: str, email: str, password: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label(re.compile("mail", re.I)).first.fill(email)
    page.get_by_label(re.compile("password", re.I)).first.fill(password)
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()


@pytest.fixture
def demo_org_requiring_two_factor():
    """The demo organisation, with two-factor required and the demo admin already enrolled."""
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115 - the logins it prints are known
    organization = Organization.objects.get(slug="demo")
    organization.require_two_factor = True
    organization.language = "en"
    organization.save()
    admin = User.objects.get(email=DEMO_ADMIN)
    secret = generate_totp_secret()
    TOTP.activate(admin, secret)
    return organization, secret


def test_admin_invites_a_member_who_joins_with_password_and_totp(
    live_server, page, new_page, demo_org_requiring_two_factor
):
    organization, admin_secret = demo_org_requiring_two_factor
    base = live_server.url

    sign_in(page, base, DEMO_ADMIN, DEMO_PASSWORD)
    page.get_by_label(re.compile("code", re.I)).first.fill(fresh_totp_code(admin_secret))
    page.get_by_role("button", name=re.compile("sign in|confirm|verify", re.I)).first.click()
    page.wait_for_url(re.compile(r"/($|\?)"))

    page.goto(f"{base}/o/{organization.slug}/members/invite/")
    assert_accessible(page)
    page.get_by_label(re.compile("e-mail addresses", re.I)).fill(f"Nadia Haddad <{NEW_MEMBER}>")
    page.get_by_label(re.compile("^role", re.I)).select_option(Role.AMBASSADOR.value)
    with eager_celery():  # the batch's e-mails go out from a task
        page.get_by_role("button", name=re.compile("send the invitations", re.I)).click()
        page.get_by_text(NEW_MEMBER).first.wait_for()

    page.goto(f"{base}/o/{organization.slug}/members/")
    assert_accessible(page)

    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/invitations/\S+/", mail.outbox[0].body).group(0)
    invite_path = link.split("/invitations/", 1)[1]

    member = new_page()
    member.goto(f"{base}/invitations/{invite_path}")
    member.get_by_label(re.compile("name", re.I)).first.fill("Nadia Haddad")
    passwords = member.locator("input[type=password]")
    passwords.nth(0).fill("a-long-and-private-passphrase")
    passwords.nth(1).fill("a-long-and-private-passphrase")
    member.get_by_role("button", name=re.compile("create my account", re.I)).click()

    member.wait_for_url(re.compile(r"/account/two-factor/required/"))
    secret = member.locator("#authenticator_secret").input_value()
    member.get_by_label(re.compile("code", re.I)).first.fill(fresh_totp_code(secret))
    member.get_by_role("button", name=re.compile("activate", re.I)).click()
    member.get_by_role("link", name=re.compile("continue", re.I)).click()

    member.wait_for_url(re.compile(rf"/o/{organization.slug}/$"))
    assert member.get_by_role("heading", level=1).count() >= 1
    with organization_scope(organization):
        joined = Membership.objects.get(user__email=NEW_MEMBER)
    assert joined.role == Role.AMBASSADOR

    outsider_org = OrganizationFactory(slug="globex", name="Globex")
    outsider = UserFactory(email="outsider@globex.test")
    with organization_scope(outsider_org):
        MembershipFactory(organization=outsider_org, user=outsider, role=Role.ADMIN)
    stranger = new_page()
    sign_in(stranger, base, outsider.email, DEFAULT_PASSWORD)
    stranger.wait_for_url(re.compile(r"/($|\?)"))
    response = stranger.goto(f"{base}/o/{organization.slug}/members/")
    assert response.status == 404
    assert stranger.get_by_role("heading", level=1).count() == 1
    assert organization.name not in stranger.content()


def test_sign_in_page_is_accessible(live_server, page):
    page.goto(f"{live_server.url}/accounts/login/")
    assert page.locator("input[type=password]").count() == 1
    assert_accessible(page)
