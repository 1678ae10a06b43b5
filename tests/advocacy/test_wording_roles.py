"""A role's label is a name ("Administrateur"), not a noun that fits any sentence: every sentence that embeds one
says "with the role “…”", which reads right in both languages ("en tant que Administrateur" did not)."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from advocacy.models import Invitation
from advocacy.roles import Role
from advocacy.services import invitation_create_many
from advocacy.tenancy import organization_scope
from tests.conftest import org_url
from tests.content.factories import eager_celery
from tests.factories import InvitationFactory

PO = Path(settings.BASE_DIR) / "locale" / "fr" / "LC_MESSAGES" / "django.po"


def _french(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    return client


def test_no_french_sentence_uses_a_role_label_as_a_noun():
    entries = re.findall(r'msgid "((?:[^"\\]|\\.)*)"\nmsgstr ((?:"(?:[^"\\]|\\.)*"\n?)+)', PO.read_text())
    for msgid, msgstr in entries:
        if "%(role)s" in msgid:
            text = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', msgstr))
            assert not re.search(r"(en tant que|est désormais|devient) %\(role\)s", text), msgid


@pytest.mark.django_db
def test_the_invitation_email_names_the_role_in_proper_french(personas, django_capture_on_commit_callbacks):
    personas.organization.language = "fr"
    personas.organization.save()
    with eager_celery(), organization_scope(personas.organization), django_capture_on_commit_callbacks(execute=True):
        invitation_create_many(
            organization=personas.organization, inviter=personas.admin, emails=["new@acme.test"], role=Role.ADMIN
        )

    body = mail.outbox[0].body
    assert "sur Relais avec le rôle « Administrateur »." in body
    assert "en tant que" not in body


@pytest.mark.django_db
def test_the_invitation_page_names_the_role_in_proper_french(client, personas):
    raw, digest = Invitation.new_token()
    with organization_scope(personas.organization):
        InvitationFactory(
            organization=personas.organization,
            email="new@acme.test",
            role=Role.AMBASSADOR,
            token_digest=digest,
            invited_by=personas.admin,
        )

    page = _french(client).get(reverse("invitation_accept", kwargs={"org_slug": "acme", "token": raw}))

    assert "rejoindre l’organisation avec le rôle « Ambassadeur »." in page.content.decode()


@pytest.mark.django_db
def test_the_organisation_home_names_the_role_in_both_languages(client, personas):
    personas.admin.language = "en"
    personas.admin.save()
    client.force_login(personas.admin)
    english = client.get(org_url("org_home", personas)).content.decode()
    personas.admin.language = "fr"
    personas.admin.save()
    french = client.get(org_url("org_home", personas)).content.decode()

    assert "You are a member of Acme with the role “Administrator”." in english
    assert "Vous êtes membre de Acme avec le rôle « Administrateur »." in french


@pytest.mark.django_db
def test_an_outsider_gets_404_on_the_organisation_home(client, personas):
    client.force_login(personas.outsider)

    assert client.get(org_url("org_home", personas)).status_code == 404
