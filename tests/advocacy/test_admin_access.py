"""The Django admin is for platform staff only, and runs outside the tenant scope (T13)."""

from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from advocacy.admin import site
from advocacy.models import Membership, Organization
from advocacy.tenancy import organization_scope, scopes_disabled
from tests.factories import UserFactory, _generic_row, make_tenant_row, tenant_models

pytestmark = pytest.mark.django_db

REGISTERED = [pytest.param(model, id=model._meta.label) for model in site._registry]


def _changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


@pytest.fixture
def staff(db):
    return UserFactory(email="staff@relais.test", is_staff=True, is_superuser=True)


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _is_admin_login(response) -> bool:
    return response.status_code == 302 and urlsplit(response["Location"]).path == reverse("admin:login")


def test_an_anonymous_visitor_is_sent_to_the_admin_sign_in():
    assert _is_admin_login(_client().get(reverse("admin:index")))


@pytest.mark.parametrize("model", REGISTERED)
def test_an_organisation_admin_who_is_not_staff_is_refused(model, personas):
    client = _client(personas.admin)

    for url in (reverse("admin:index"), _changelist(model)):
        response = client.get(url)
        assert _is_admin_login(response) or response.status_code in (403, 404), f"{url}: {response.status_code}"


def test_staff_reaches_the_admin_index(staff):
    assert _client(staff).get(reverse("admin:index")).status_code == 200


def test_the_membership_list_shows_every_organisation_without_a_scope(staff, personas):
    response = _client(staff).get(_changelist(Membership))

    assert response.status_code == 200
    shown = {membership.organization_id for membership in response.context["cl"].result_list}
    assert shown == {personas.organization.pk, personas.other_organization.pk}
    assert str(personas.outsider) in response.content.decode()


def test_the_organisation_list_shows_every_organisation(staff, personas):
    response = _client(staff).get(_changelist(Organization))

    assert response.status_code == 200
    assert personas.organization.name in response.content.decode()
    assert personas.other_organization.name in response.content.decode()


@pytest.mark.parametrize("model", REGISTERED)
def test_staff_opens_every_list_and_row_of_any_organisation(model, staff, personas):
    if model in tenant_models():
        with organization_scope(personas.other_organization):
            row = make_tenant_row(model, personas.other_organization)
    else:
        with scopes_disabled():
            # A platform table may be empty in a fresh database (no network paused): give it one row.
            row = model._default_manager.order_by("pk").last() or _generic_row(model, personas.other_organization)
    client = _client(staff)
    change = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[row.pk])

    assert client.get(_changelist(model)).status_code == 200
    assert client.get(change).status_code == 200
