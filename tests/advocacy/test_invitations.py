"""Accepting an e-mailed invitation: new account, existing account, wrong account, and every unusable link."""

import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from advocacy.models import AuditEntry, Invitation, Membership, User
from advocacy.roles import Role
from advocacy.services import invitation_create_many
from advocacy.tenancy import organization_scope
from tests.content.factories import eager_celery
from tests.factories import DEFAULT_PASSWORD, InvitationFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-long-and-unusual-passphrase-42"


def _invite(personas, email: str, role: str = Role.EDITOR, **fields) -> tuple[Invitation, str]:
    raw, digest = Invitation.new_token()
    with organization_scope(personas.organization):
        invitation = InvitationFactory(
            organization=personas.organization,
            email=email,
            role=role,
            token_digest=digest,
            invited_by=personas.admin,
            **fields,
        )
    return invitation, raw


def _url(raw: str, slug: str = "acme") -> str:
    return reverse("invitation_accept", kwargs={"org_slug": slug, "token": raw})


def _english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _without_csrf(response) -> str:
    # The CSRF token of the layout's forms is masked afresh on every response, and the language switcher brings the
    # visitor back to the URL they typed; the rest must be identical.
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    return re.sub(r'name="next" value="[^"]+"', "", page)


def _memberships_of(personas, email: str) -> int:
    with organization_scope(personas.organization):
        return Membership.objects.filter(user__email=email).count()


def test_the_emailed_link_opens_the_new_account_form(client, personas, django_capture_on_commit_callbacks):
    with eager_celery(), organization_scope(personas.organization), django_capture_on_commit_callbacks(execute=True):
        invitation_create_many(
            organization=personas.organization, inviter=personas.admin, emails=["new@acme.test"], role=Role.EDITOR
        )
    url = next(line for line in mail.outbox[0].body.splitlines() if "/invitations/acme/" in line).strip()
    path = url.split("://", 1)[1].split("/", 1)[1]
    response = _english(client).get("/" + path)
    assert response.status_code == 200
    assert "new@acme.test" in response.content.decode()
    assert 'name="password1"' in response.content.decode()


def test_new_account_flow_creates_a_verified_member_signs_in_and_redirects(client, personas):
    invitation, raw = _invite(personas, "newcomer@acme.test", role=Role.MANAGER)
    response = client.post(
        _url(raw), {"full_name": "Nina Newcomer", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("org_home", kwargs={"org": "acme"})
    user = User.objects.get(email="newcomer@acme.test")
    assert user.full_name == "Nina Newcomer"
    assert user.check_password(NEW_PASSWORD)
    assert EmailAddress.objects.filter(user=user, email="newcomer@acme.test", verified=True, primary=True).exists()
    with organization_scope(personas.organization):
        membership = Membership.objects.get(user=user)
        assert membership.role == Role.MANAGER
        assert AuditEntry.objects.filter(action="invitation.accepted", object_id=str(membership.pk)).exists()
        invitation.refresh_from_db()
    assert invitation.accepted_by == user
    assert int(client.session[SESSION_KEY]) == user.pk
    assert client.get(response["Location"]).status_code == 200


def test_weak_password_is_refused_and_the_typed_name_kept(client, personas):
    _invite(personas, "weak@acme.test")
    _english(client)
    response = client.post(
        _url(_invite(personas, "weak2@acme.test")[1]),
        {"full_name": "Wendy Weak", "password1": "123", "password2": "123"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="Wendy Weak"' in page
    assert "This password is too short" in page
    assert not User.objects.filter(email="weak2@acme.test").exists()


def test_different_passwords_are_refused(client, personas):
    _, raw = _invite(personas, "typo@acme.test")
    response = _english(client).post(
        _url(raw), {"full_name": "Tim Typo", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD + "x"}
    )
    assert response.status_code == 200
    assert "The two passwords differ." in response.content.decode()
    assert not User.objects.filter(email="typo@acme.test").exists()


def test_existing_account_signed_in_joins_with_a_button(client, personas):
    existing = UserFactory(email="known@elsewhere.test")
    _, raw = _invite(personas, "known@elsewhere.test", role=Role.APPROVER)
    client.force_login(existing)
    page = _english(client).get(_url(raw))
    assert page.status_code == 200
    assert "Join Acme" in page.content.decode()
    assert _memberships_of(personas, "known@elsewhere.test") == 0
    response = client.post(_url(raw))
    assert response.status_code == 302
    assert response["Location"] == reverse("org_home", kwargs={"org": "acme"})
    with organization_scope(personas.organization):
        assert Membership.objects.get(user=existing).role == Role.APPROVER


def test_existing_account_not_signed_in_is_asked_to_sign_in_and_come_back(client, personas):
    UserFactory(email="known@elsewhere.test")
    _, raw = _invite(personas, "known@elsewhere.test")
    page = _english(client).get(_url(raw)).content.decode()
    assert "Sign in to accept" in page
    assert f"{reverse('account_login')}?next={_url(raw)}" in page
    login = client.post(
        f"{reverse('account_login')}?next={_url(raw)}",
        {"login": "known@elsewhere.test", "password": DEFAULT_PASSWORD, "next": _url(raw)},
    )
    assert login["Location"] == _url(raw)
    client.post(_url(raw))
    assert _memberships_of(personas, "known@elsewhere.test") == 1


def test_signed_in_as_someone_else_explains_and_offers_sign_out(client, personas):
    _, raw = _invite(personas, "someone@acme.test")
    client.force_login(personas.outsider)
    _english(client)
    page = client.get(_url(raw)).content.decode()
    assert "outsider@globex.test" in page
    assert reverse("account_logout") in page
    response = client.post(_url(raw), {"full_name": "Intruder", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 200
    assert not User.objects.filter(email="someone@acme.test").exists()
    assert _memberships_of(personas, "outsider@globex.test") == 0


def test_accepting_twice_makes_one_membership(client, personas):
    existing = UserFactory(email="twice@acme.test")
    _, raw = _invite(personas, "twice@acme.test")
    client.force_login(existing)
    client.post(_url(raw))
    second = client.post(_url(raw))
    assert second.status_code == 302  # the same person opening the link again just goes in
    assert _memberships_of(personas, "twice@acme.test") == 1


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"expires_at": timezone.now() - timedelta(minutes=1)}, 410, "This invitation has expired"),
        ({"accepted_at": timezone.now()}, 410, "This invitation has already been used"),
        ({"revoked_at": timezone.now()}, 410, "This invitation has been withdrawn"),
    ],
)
def test_unusable_invitation_says_why_and_whom_to_ask_and_creates_nothing(client, personas, fields, status, message):
    _, raw = _invite(personas, "late@acme.test", **fields)
    response = _english(client).get(_url(raw))
    page = response.content.decode()
    assert response.status_code == status
    assert message in page
    assert personas.admin.email in page  # the inviter
    post = client.post(_url(raw), {"full_name": "Late", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert post.status_code == status
    assert not User.objects.filter(email="late@acme.test").exists()


def test_forged_token_and_unknown_organisation_get_the_same_404(client, personas):
    _, raw = _invite(personas, "real@acme.test")
    _english(client)
    forged = client.get(_url("forged-token-that-does-not-exist"))
    unknown_org = client.get(_url(raw, slug="no-such-org"))
    assert forged.status_code == unknown_org.status_code == 404
    assert "This invitation link is not valid" in forged.content.decode()
    assert _without_csrf(forged) == _without_csrf(unknown_org)
    post = client.post(_url("forged"), {"full_name": "X", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert post.status_code == 404
    assert not User.objects.filter(full_name="X").exists()


def test_a_token_of_one_organisation_does_not_work_under_another(client, personas):
    _, raw = _invite(personas, "cross@acme.test")
    response = client.get(_url(raw, slug="globex"))
    assert response.status_code == 404


def test_outsider_gets_404_on_the_organisation_after_being_refused(client, personas):
    client.force_login(personas.outsider)
    assert client.get(reverse("org_home", kwargs={"org": "acme"})).status_code == 404
