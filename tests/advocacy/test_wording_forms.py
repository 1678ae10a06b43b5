"""Help texts that name a number or a zone are worded when shown, in the reader's language: "%" on a lazy text at
import time fixed both the language and the text (the class of the share form's raw "%(zone)s")."""

import pytest
from django.utils import translation

from advocacy.forms import InviteForm
from tests.conftest import org_url


def test_the_invitation_help_follows_the_active_language():
    with translation.override("fr"):
        french = str(InviteForm.base_fields["emails"].help_text)
    with translation.override("en"):
        english = str(InviteForm.base_fields["emails"].help_text)

    assert french.startswith("Collez une ou plusieurs adresses") and "500" in french
    assert english.startswith("Paste one or many addresses") and "At most 500 at once." in english


@pytest.mark.django_db
def test_the_invitation_page_shows_the_help_in_french(admin_client, personas):
    personas.admin.language = "fr"
    personas.admin.save()

    page = admin_client.get(org_url("member_invite", personas)).content.decode()

    assert "Collez une ou plusieurs adresses" in page
    assert "%(limit)" not in page


@pytest.mark.django_db
def test_an_outsider_gets_404_on_the_invitation_page(client, personas):
    client.force_login(personas.outsider)

    assert client.get(org_url("member_invite", personas)).status_code == 404
