"""Tokens at rest and in flight (security-and-reliability.md §3, K1–K4 and K8): ciphertext in the database, no
token in logs, pages, API or admin, key rotation, a wrong key, and disconnecting."""

import logging

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection as db
from django.urls import reverse
from rest_framework.test import APIClient

from advocacy.tenancy import organization_scope
from ambassadors.models import Notification, SocialConnection
from ambassadors.providers import get_provider
from ambassadors.providers.base import ReconnectRequired
from ambassadors.services.connections import connection_disconnect, fresh_access_token
from tests.ambassadors.factories import connect_on
from tests.ambassadors.test_connections_flow import connect_through
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TEST_KEY = "2qTLv0d3T5m8bX9Vv3fB2kq0nO1mGk2mJ4yq5Q8hX2o="


def issued_secrets(*fakes) -> set[str]:
    """Every access and refresh token the fakes ever issued."""
    found: set[str] = set()
    for fake in fakes:
        found.update(getattr(fake, "tokens", {}))
        found.update(getattr(fake, "refresh_tokens", {}))
    return {token for token in found if len(token) >= 16}


def sealed_columns() -> list[tuple[str, str]]:
    with db.cursor() as cursor:
        cursor.execute("SELECT access_token_sealed, refresh_token_sealed FROM ambassadors_socialconnection")
        return list(cursor.fetchall())


@pytest.fixture
def ambassador_membership(personas):
    return personas.membership(personas.ambassador)


# --- K1 ------------------------------------------------------------------------------------------------------------


def test_the_database_holds_fernet_ciphertext_never_the_token(client, personas, fake_x):
    fake_x.auto_consent = "approve"
    client.force_login(personas.ambassador)

    connect_through(client, "acme", "x")

    secrets = issued_secrets(fake_x)
    assert secrets
    rows = sealed_columns()
    assert len(rows) == 1
    access, refresh = rows[0]
    assert access.startswith("gAAAAA") and refresh.startswith("gAAAAA")
    assert not any(secret in access or secret in refresh for secret in secrets)
    # allauth's token table is not even installed: nothing can land there.
    assert "socialaccount_socialtoken" not in db.introspection.table_names()


# --- K2 ------------------------------------------------------------------------------------------------------------


def test_a_wrong_key_marks_the_connection_and_never_reaches_the_network(
    client, personas, ambassador_membership, fake_x, settings
):
    with organization_scope(personas.organization):
        connection = connect_on(fake_x, ambassador_membership)
    fake_x.journal.clear()
    settings.RELAIS_TOKEN_KEYS = [Fernet.generate_key().decode()]

    with organization_scope(personas.organization):
        with pytest.raises(ReconnectRequired):
            fresh_access_token(connection=connection, force_refresh=True)
        connection.refresh_from_db()
        assert connection.status == SocialConnection.Status.NEEDS_RECONNECT
        assert connection.last_error_code == "decryption_failed"
        assert Notification.objects.filter(kind="reconnect").count() == 1
    assert fake_x.journal == []


def test_with_a_wrong_key_the_connections_page_renders_and_says_reconnect(
    client, personas, ambassador_membership, fake_linkedin, settings
):
    with organization_scope(personas.organization):
        connection = connect_on(fake_linkedin, ambassador_membership)
    settings.RELAIS_TOKEN_KEYS = [Fernet.generate_key().decode()]
    client.force_login(personas.ambassador)

    response = client.get(reverse("connections", args=["acme"]))

    assert response.status_code == 200
    assert "Needs reconnecting: its stored credentials can no longer be read" in response.content.decode()
    with organization_scope(personas.organization):
        connection.refresh_from_db()
        assert connection.status == SocialConnection.Status.NEEDS_RECONNECT
    assert fake_linkedin.journal == []


def test_a_ciphertext_copied_to_another_row_does_not_decrypt(personas, fake_x):
    with organization_scope(personas.organization):
        first = connect_on(fake_x, personas.membership(personas.ambassador), uid="111")
        second = connect_on(fake_x, personas.membership(personas.editor), uid="222")
        SocialConnection.objects.filter(pk=second.pk).update(access_token_sealed=first.access_token_sealed)
        second.refresh_from_db()

        with pytest.raises(ReconnectRequired):
            fresh_access_token(connection=second)
        second.refresh_from_db()
        assert second.status == SocialConnection.Status.NEEDS_RECONNECT


# --- K3 ------------------------------------------------------------------------------------------------------------


def test_key_rotation_keeps_every_connection_usable(personas, fake_x, fake_linkedin, settings):
    acme, globex = personas.organization, personas.other_organization
    with organization_scope(acme):
        x = connect_on(fake_x, personas.membership(personas.ambassador), uid="111")
        linkedin = connect_on(fake_linkedin, personas.membership(personas.editor), uid="222")
    with organization_scope(globex):
        from advocacy.models import Membership

        other = connect_on(fake_x, Membership.objects.get(user=personas.outsider), uid="333")
    before = dict(sealed_columns())
    new_key = Fernet.generate_key().decode()
    settings.RELAIS_TOKEN_KEYS = [new_key, TEST_KEY]

    call_command("rotate_token_keys")

    settings.RELAIS_TOKEN_KEYS = [new_key]
    after = sealed_columns()
    assert not set(before) & {access for access, _ in after}
    for organization, connection in ((acme, x), (acme, linkedin), (globex, other)):
        with organization_scope(organization):
            connection.refresh_from_db()
            token = fresh_access_token(connection=connection)
            assert get_provider(connection.provider).identity(access_token=token).uid == connection.provider_uid
    with organization_scope(acme):
        x.refresh_from_db()
        assert fresh_access_token(connection=x, force_refresh=True)  # the rotated refresh token works too


def test_rotation_marks_rows_no_key_can_read_and_carries_on(personas, fake_x, settings, capsys):
    with organization_scope(personas.organization):
        readable = connect_on(fake_x, personas.membership(personas.ambassador), uid="111")
    settings.RELAIS_TOKEN_KEYS = [Fernet.generate_key().decode()]
    with organization_scope(personas.organization):
        lost = connect_on(fake_x, personas.membership(personas.editor), uid="222")
    new_key = Fernet.generate_key().decode()
    settings.RELAIS_TOKEN_KEYS = [new_key, TEST_KEY]

    call_command("rotate_token_keys")

    assert "Re-encrypted 1 connection(s); 1 could not be decrypted" in capsys.readouterr().out
    with organization_scope(personas.organization):
        lost.refresh_from_db()
        readable.refresh_from_db()
        assert lost.status == SocialConnection.Status.NEEDS_RECONNECT
        assert readable.status == SocialConnection.Status.ACTIVE
        settings.RELAIS_TOKEN_KEYS = [new_key]
        assert readable.access_token()


# --- K4 ------------------------------------------------------------------------------------------------------------


def test_no_token_in_any_log_record_around_connect_refresh_and_disconnect(client, personas, fake_x, caplog):
    fake_x.auto_consent = "approve"
    client.force_login(personas.ambassador)
    with caplog.at_level(logging.DEBUG):
        connect_through(client, "acme", "x")
        with organization_scope(personas.organization):
            connection = SocialConnection.objects.get()
            fresh_access_token(connection=connection, force_refresh=True)
            fresh_access_token(connection=connection)
            connection_disconnect(connection=connection, by=personas.ambassador)

    secrets = issued_secrets(fake_x)
    assert len(secrets) >= 4
    assert caplog.records, "nothing was logged: the test would prove nothing"
    for record in caplog.records:
        text = record.getMessage() + repr(record.args) + str(record.exc_info or "")
        assert not any(secret in text for secret in secrets), record.getMessage()


def test_neither_the_api_nor_the_admin_shows_a_token(personas, fake_x):
    with organization_scope(personas.organization):
        connection = connect_on(fake_x, personas.membership(personas.ambassador))
        secrets = {connection.access_token(), connection.refresh_token()}
    ciphertexts = {connection.access_token_sealed, connection.refresh_token_sealed}
    api = APIClient()
    api.force_login(personas.ambassador)
    staff = UserFactory(email="staff@relais.test", is_staff=True, is_superuser=True)
    admin = type(api)()
    admin.force_login(staff)

    listing = api.get(reverse("api-connections", args=["acme"]))
    change = admin.get(reverse("admin:ambassadors_socialconnection_change", args=[connection.pk]))
    changelist = admin.get(reverse("admin:ambassadors_socialconnection_changelist"))

    assert listing.status_code == change.status_code == changelist.status_code == 200
    assert listing.json()[0]["id"] == connection.pk
    for body in (listing.content.decode(), change.content.decode(), changelist.content.decode()):
        assert not any(value in body for value in secrets | ciphertexts)
    assert "token" not in " ".join(listing.json()[0])


# --- K8 ------------------------------------------------------------------------------------------------------------


def test_disconnect_deletes_the_ciphertext_and_revokes_at_x(personas, fake_x):
    with organization_scope(personas.organization):
        connection = connect_on(fake_x, personas.membership(personas.ambassador))
        access = connection.access_token()

        connection_disconnect(connection=connection, by=personas.ambassador)

        connection.refresh_from_db()
        assert connection.status == SocialConnection.Status.DISCONNECTED
    assert sealed_columns() == [("", "")]
    assert len(fake_x.requests_to("POST", "/2/oauth2/revoke")) >= 1
    assert fake_x.tokens[access].dead


def test_disconnect_goes_through_when_the_network_is_down(personas, fake_x):
    fake_x.set_faults("revoke", script=[503, 503])
    with organization_scope(personas.organization):
        connection = connect_on(fake_x, personas.membership(personas.ambassador))

        connection_disconnect(connection=connection, by=personas.ambassador)

        connection.refresh_from_db()
        assert connection.status == SocialConnection.Status.DISCONNECTED
    assert sealed_columns() == [("", "")]
