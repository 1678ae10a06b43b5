"""The X publishing switch and its help agree: the help describes both states, never "Off" beside a ticked box."""

import re

import pytest

from advocacy.tenancy import organization_scope
from ambassadors.models import PublishingSettings
from tests.conftest import org_url

pytestmark = pytest.mark.django_db


def _french_page(client, personas) -> str:
    personas.admin.language = "fr"
    personas.admin.save()
    client.force_login(personas.admin)
    response = client.get(org_url("publishing_settings", personas))
    assert response.status_code == 200
    return response.content.decode()


def _switch(page: str) -> str:
    match = re.search(r'<input type="checkbox" name="x_api_enabled"[^>]*>', page)
    assert match, "the X switch is on the page"
    return match.group(0)


@pytest.mark.parametrize("enabled", [True, False])
def test_the_switch_shows_its_state_and_the_help_names_both(client, personas, enabled):
    with organization_scope(personas.organization):
        PublishingSettings.objects.create(organization=personas.organization, x_api_enabled=enabled)

    page = _french_page(client, personas)

    assert ("checked" in _switch(page)) is enabled
    assert "Coché : les partages sur X passent par l’API de X" in page
    assert "Décoché : chacun passe par le mode « copier et ouvrir »" in page
    assert "Désactivé :" not in page


def test_an_outsider_gets_404(client, personas):
    client.force_login(personas.outsider)

    assert client.get(org_url("publishing_settings", personas)).status_code == 404
