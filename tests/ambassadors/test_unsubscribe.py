"""One-click unsubscribe from the digest (RFC 8058): the signed link works without signing in, GET asks and POST
(a person's confirmation or the mail client's one-click POST, without a CSRF token) turns that member's digest off,
and only theirs; a forged or tampered token is a 404."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core import mail, signing
from django.test import Client

from advocacy.models import AuditEntry
from advocacy.tenancy import organization_scope
from ambassadors.models import AmbassadorProfile, DigestFrequency
from ambassadors.services.digests import UNSUBSCRIBE_SALT, unsubscribe_token, unsubscribe_url
from ambassadors.services.profiles import profile_for
from tests.ambassadors.test_digest import MONDAY, SUBSCRIBED, live, new_member, run_tick_at, subscribe


def frequency(personas, user, organization=None) -> str:
    organization = organization or personas.organization
    with organization_scope(organization):
        return AmbassadorProfile.objects.get(organization=organization, membership__user=user).digest_frequency


@pytest.fixture
def token(personas):
    with organization_scope(personas.organization):
        for user in (personas.ambassador, personas.editor):
            profile_for(membership=personas.membership(user))
        return unsubscribe_token(personas.membership(personas.ambassador))


def path(token: str) -> str:
    return f"/unsubscribe/{token}/"


def test_the_link_is_absolute_and_outside_the_organisation(personas, settings):
    settings.RELAIS_SITE_URL = "https://relais.example"
    with organization_scope(personas.organization):
        url = unsubscribe_url(personas.membership(personas.ambassador))
    assert url.startswith("https://relais.example/unsubscribe/")


def test_get_asks_without_signing_in_and_changes_nothing(client, personas, token):
    response = client.get(path(token))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Unsubscribe" in page and personas.ambassador.email in page
    assert frequency(personas, personas.ambassador) == DigestFrequency.WEEKLY


def test_confirming_turns_off_that_members_digest_only(personas, token):
    client = Client(enforce_csrf_checks=True)
    response = client.post(path(token))
    assert response.status_code == 200
    assert "will no longer get the digest" in response.content.decode()
    assert frequency(personas, personas.ambassador) == DigestFrequency.OFF
    assert frequency(personas, personas.editor) == DigestFrequency.WEEKLY
    with organization_scope(personas.organization):
        entry = AuditEntry.objects.get(organization=personas.organization, action="digest.unsubscribed")
    assert entry.actor == personas.ambassador


def test_the_mail_clients_one_click_post_works_without_csrf_token(personas, token):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        path(token), data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    with organization_scope(personas.organization):
        profile = AmbassadorProfile.objects.get(
            organization=personas.organization, membership=personas.membership(personas.ambassador)
        )
    assert profile.digest_frequency == DigestFrequency.OFF and profile.digest_next_at is None


def test_a_second_post_is_harmless(personas, token):
    client = Client()
    client.post(path(token))
    assert client.post(path(token)).status_code == 200
    with organization_scope(personas.organization):
        assert AuditEntry.objects.filter(organization=personas.organization, action="digest.unsubscribed").count() == 1


def test_the_page_speaks_the_members_language(client, personas, token):
    personas.ambassador.language = "fr"
    personas.ambassador.save()
    assert "Se désabonner" in client.get(path(token)).content.decode()


@pytest.mark.parametrize(
    "forged",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token: "not-a-token",
        lambda token: signing.dumps({"o": 1, "m": 1}, salt="another.salt"),
    ],
)
def test_a_tampered_or_forged_token_is_a_clear_404(client, personas, token, forged):
    response = client.post(path(forged(token)), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert "This unsubscribe link is not valid" in response.content.decode()
    assert frequency(personas, personas.ambassador) == DigestFrequency.WEEKLY


def test_a_token_cannot_be_pointed_at_another_organisations_member(client, personas, token):
    with organization_scope(personas.other_organization):
        outsider = personas.other_organization.memberships.get(user=personas.outsider)
        profile_for(membership=outsider)
    # A validly signed payload naming the outsider's membership under the first organisation finds no one.
    crossed = signing.dumps({"o": personas.organization.pk, "m": outsider.pk}, salt=UNSUBSCRIBE_SALT, compress=True)
    assert client.post(path(crossed)).status_code == 404
    assert frequency(personas, personas.outsider, personas.other_organization) == DigestFrequency.WEEKLY


def test_the_digests_list_unsubscribe_header_turns_that_digest_off(personas):
    organization = personas.organization
    with time_machine.travel(SUBSCRIBED, tick=False), organization_scope(organization):
        member = new_member(organization, "reader@acme.test", time_zone="Europe/Paris")
        subscribe(member)
        live(organization, "Launch", at=MONDAY - timedelta(hours=1))
    assert run_tick_at(MONDAY + timedelta(hours=7)) == ["reader@acme.test"]
    header = mail.outbox[-1].extra_headers["List-Unsubscribe"]
    url = urlsplit(header.strip("<>"))
    response = Client(enforce_csrf_checks=True).post(
        url.path, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert frequency(personas, member.user) == DigestFrequency.OFF
