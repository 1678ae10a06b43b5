"""The page shell, the landing page, my account, the language switcher, suspended members and error pages."""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from advocacy.models import Membership
from advocacy.services import membership_suspend
from advocacy.tenancy import organization_scope
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db


def test_anonymous_visitor_gets_the_landing_page_with_a_sign_in_link(client):
    response = client.get("/")
    assert response.status_code == 200
    assert reverse("account_login") in response.content.decode()
    assert "My organisations" not in response.content.decode()


def test_signed_in_member_sees_their_organisations_with_role(client, personas):
    personas.editor.language = "en"
    personas.editor.save()
    client.force_login(personas.editor)
    response = client.get("/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Acme" in page
    assert reverse("org_home", kwargs={"org": "acme"}) in page
    assert "Editor" in page
    assert "Globex" not in page


def test_home_shows_a_suspended_membership_as_suspended_with_whom_to_ask(client, personas):
    organization = personas.organization
    organization.referent = personas.admin
    organization.save()
    with organization_scope(organization):
        membership_suspend(membership=personas.membership(personas.ambassador), by=personas.admin)
    personas.ambassador.language = "en"
    personas.ambassador.save()
    client.force_login(personas.ambassador)
    page = client.get("/").content.decode()
    assert "Suspended" in page
    assert personas.admin.email in page
    assert reverse("org_home", kwargs={"org": "acme"}) not in page


def test_login_page_speaks_english_or_french_through_the_language_cookie(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(reverse("account_login")).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    french = client.get(reverse("account_login")).content.decode()
    assert "Sign in to Relais" in english
    assert 'lang="en"' in english
    assert "Se connecter à Relais" in french
    assert 'lang="fr"' in french


def test_login_page_offers_no_sign_up_and_explains_invitations(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("account_login")).content.decode()
    assert reverse("account_signup") not in page
    assert "Accounts are created by invitation" in page


def test_language_switcher_on_the_login_page_switches_to_french(client):
    response = client.post(reverse("account_language"), {"language": "fr", "next": reverse("account_login")})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login")
    assert "Se connecter à Relais" in client.get(reverse("account_login")).content.decode()


def test_language_switcher_stores_the_signed_in_users_choice(client, personas):
    client.force_login(personas.ambassador)
    client.post(reverse("account_language"), {"language": "fr", "next": "/"})
    personas.ambassador.refresh_from_db()
    assert personas.ambassador.language == "fr"
    # The stored choice wins over the organisation's language (Acme speaks English in the factories).
    assert 'lang="fr"' in client.get(reverse("org_home", kwargs={"org": "acme"})).content.decode()


@pytest.mark.parametrize("unsafe", ["//evil.example", "https://evil.example", "/\\evil.example", "javascript:alert(1)"])
def test_language_switcher_refuses_an_unsafe_next(client, unsafe):
    response = client.post(reverse("account_language"), {"language": "en", "next": unsafe})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_language_switcher_refuses_an_unknown_language(client, personas):
    client.force_login(personas.ambassador)
    response = client.post(reverse("account_language"), {"language": "xx", "next": "/"})
    assert response.status_code == 302
    personas.ambassador.refresh_from_db()
    assert personas.ambassador.language == ""


def test_account_page_saves_name_and_language(client, personas):
    client.force_login(personas.ambassador)
    response = client.post(reverse("account"), {"full_name": "Ada Lovelace", "language": "fr"}, follow=True)
    personas.ambassador.refresh_from_db()
    assert personas.ambassador.full_name == "Ada Lovelace"
    assert personas.ambassador.language == "fr"
    assert "Votre compte a été enregistré." in response.content.decode()


def test_account_page_saves_a_time_zone_and_empty_means_the_organisations(client, personas):
    client.force_login(personas.ambassador)
    client.post(reverse("account"), {"full_name": "Ada", "language": "", "time_zone": "America/New_York"})
    personas.ambassador.refresh_from_db()
    assert personas.ambassador.time_zone == "America/New_York"
    client.post(reverse("account"), {"full_name": "Ada", "language": "", "time_zone": ""})
    personas.ambassador.refresh_from_db()
    assert personas.ambassador.time_zone == ""


def test_account_page_refuses_an_unknown_language_and_keeps_the_typed_name(client, personas):
    client.force_login(personas.ambassador)
    response = client.post(reverse("account"), {"full_name": "Typed Name", "language": "xx"})
    assert response.status_code == 200
    assert 'value="Typed Name"' in response.content.decode()
    personas.ambassador.refresh_from_db()
    assert personas.ambassador.full_name != "Typed Name"


def test_account_page_requires_sign_in(client):
    response = client.get(reverse("account"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


@pytest.mark.parametrize("role", ["admin", "manager", "ambassador"])
def test_org_home_renders_for_each_role(client, personas, role):
    client.force_login(getattr(personas, role))
    response = client.get(reverse("org_home", kwargs={"org": "acme"}))
    assert response.status_code == 200
    assert "Acme" in response.content.decode()


def test_outsider_gets_the_same_404_as_an_unknown_organisation(client, personas):
    client.force_login(personas.outsider)
    foreign = client.get(reverse("org_home", kwargs={"org": "acme"}))
    unknown = client.get(reverse("org_home", kwargs={"org": "does-not-exist"}))
    assert foreign.status_code == unknown.status_code == 404
    assert _without_csrf(foreign) == _without_csrf(unknown)


def _without_csrf(response) -> str:
    # The CSRF token of the layout's forms is masked afresh on every response; the rest must be identical.
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def test_suspended_member_gets_a_403_page_naming_whom_to_ask(client, personas):
    organization = personas.organization
    organization.referent = personas.editor
    organization.save()
    with organization_scope(organization):
        membership_suspend(membership=personas.membership(personas.ambassador), by=personas.admin)
    client.force_login(personas.ambassador)
    response = client.get(reverse("org_home", kwargs={"org": "acme"}))
    page = response.content.decode()
    assert response.status_code == 403
    assert "Acme" in page
    assert personas.editor.email in page
    assert personas.admin.email in page


def test_sign_in_with_password_lands_on_my_organisations(personas):
    client = Client()
    response = client.post(
        reverse("account_login"), {"login": personas.ambassador.email, "password": DEFAULT_PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("home")
    assert reverse("org_home", kwargs={"org": "acme"}) in response.content.decode()


def test_allauth_pages_use_our_layout(client, personas):
    client.force_login(personas.ambassador)
    for name in ("account_email", "account_change_password", "mfa_index", "account_logout"):
        page = client.get(reverse(name)).content.decode()
        assert 'href="#main"' in page, name
        assert "relais.css" in page, name
        assert "page-header" in page, name
    client.logout()
    for name in ("account_reset_password", "account_reset_password_done", "account_login"):
        page = client.get(reverse(name)).content.decode()
        assert 'href="#main"' in page, name
        assert "entrance" in page, name


def test_error_pages_render(client, personas, rf):
    from advocacy.views import public

    assert public.page_not_found(rf.get("/nope"), None).status_code == 404
    assert client.get("/no-such-page/").status_code == 404
    response = public.server_error(rf.get("/"))
    assert response.status_code == 500
    assert b"Relais" in response.content


def test_membership_queries_stay_scoped_after_the_shell_renders(client, personas):
    client.force_login(personas.admin)
    client.get(reverse("org_home", kwargs={"org": "acme"}))
    with organization_scope(personas.other_organization):
        assert not Membership.objects.filter(user=personas.admin).exists()
