"""The earned media value rates page: the defaults until saved, every change audited with the old and new rates, field
errors for negative or non-numeric rates in English and in French (where "4,50" is a number), admins only, and a
404 for the outsider."""

from decimal import Decimal

import pytest
from django.test import Client

from advocacy.models import AuditEntry
from advocacy.tenancy import organization_scope
from analytics.models import EmvRates
from analytics.selectors import emv_rates
from tests.conftest import org_url

pytestmark = pytest.mark.django_db

RATES = {
    "currency": "USD",
    "linkedin_cost_per_click": "4.50",
    "linkedin_cost_per_mille": "28",
    "linkedin_value_per_reaction": "0.125",
    "x_cost_per_click": "0.6",
    "x_cost_per_mille": "0",
    "x_value_per_reaction": "0.0049",
}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _saved(personas) -> EmvRates:
    with organization_scope(personas.organization):
        return EmvRates.objects.get()


def test_the_page_shows_the_defaults_until_an_admin_saves_rates(personas):
    page = _client(personas.admin).get(org_url("emv_rates", personas)).content.decode()

    assert 'value="5.00"' in page and 'value="30.00"' in page and 'value="0.12"' in page
    assert "unique clicks × cost per click" in page
    with organization_scope(personas.organization):
        assert not EmvRates.objects.exists()
        assert emv_rates(organization=personas.organization).linkedin_cost_per_click == Decimal("5.00")


def test_an_admin_saves_rates_and_the_change_is_audited_with_the_old_and_new_rates(personas):
    client = _client(personas.admin)

    response = client.post(org_url("emv_rates", personas), RATES)

    assert response.status_code == 302
    row = _saved(personas)
    assert row.currency == "USD"
    assert row.linkedin_value_per_reaction == Decimal("0.125")
    assert row.x_value_per_reaction == Decimal("0.0049")
    with organization_scope(personas.organization):
        entry = AuditEntry.objects.get(action="emv_rates.updated")
    assert entry.actor == personas.admin
    assert entry.data["old"]["currency"] == "EUR"
    assert Decimal(entry.data["old"]["linkedin_cost_per_click"]) == Decimal("5.00")
    assert entry.data["new"]["currency"] == "USD"
    assert Decimal(entry.data["new"]["linkedin_cost_per_click"]) == Decimal("4.50")
    page = client.get(org_url("emv_rates", personas)).content.decode()
    assert 'value="4.50"' in page and 'value="0.125"' in page and 'value="0.0049"' in page


def test_saving_the_same_rates_again_records_nothing_new(personas):
    client = _client(personas.admin)
    client.post(org_url("emv_rates", personas), RATES)
    client.post(org_url("emv_rates", personas), {**RATES, "linkedin_cost_per_click": "4.5000"})

    with organization_scope(personas.organization):
        assert AuditEntry.objects.filter(action="emv_rates.updated").count() == 1


def test_the_audit_log_reads_the_change(personas):
    _client(personas.admin).post(org_url("emv_rates", personas), RATES)
    page = _client(personas.admin).get(org_url("audit_log", personas)).content.decode()
    assert "changed the rates of the earned media value" in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("linkedin_cost_per_click", "-1", "A rate cannot be negative."),
        ("x_cost_per_mille", "lots", "Enter an amount, such as 4.50."),
        ("x_value_per_reaction", "0.00001", "no more than 4 decimal places"),
        ("currency", "BTC", "Pick a currency from the list."),
    ],
)
def test_a_bad_rate_is_refused_on_its_field_and_nothing_is_saved(personas, field, value, message):
    response = _client(personas.admin).post(org_url("emv_rates", personas), {**RATES, field: value})

    assert response.status_code == 400
    page = response.content.decode()
    assert f'id="id_{field}_error"' in page
    assert message in page
    assert f'value="{value}"' in page or field == "currency"  # what was typed comes back
    with organization_scope(personas.organization):
        assert not EmvRates.objects.exists()
        assert not AuditEntry.objects.filter(action="emv_rates.updated").exists()


def test_a_currency_saved_before_the_list_is_shown_and_kept_and_another_is_refused(personas):
    with organization_scope(personas.organization):
        EmvRates.objects.create(organization=personas.organization, currency="JPY")
    client = _client(personas.admin)

    assert '<option value="JPY" selected>JPY</option>' in client.get(org_url("emv_rates", personas)).content.decode()
    assert client.post(org_url("emv_rates", personas), {**RATES, "currency": "JPY"}).status_code == 302
    assert _saved(personas).currency == "JPY"
    refused = client.post(org_url("emv_rates", personas), {**RATES, "currency": "SEK"})
    assert refused.status_code == 400
    assert refused.context["form"].errors["currency"] == ["Pick a currency from the list."]
    assert _saved(personas).currency == "JPY"


def test_in_french_a_comma_rate_is_a_number_and_the_errors_speak_french(personas):
    personas.admin.language = "fr"
    personas.admin.save()
    client = _client(personas.admin)

    assert "Valeur médiatique" in client.get(org_url("emv_rates", personas)).content.decode()
    refused = client.post(org_url("emv_rates", personas), {**RATES, "linkedin_cost_per_click": "-2,50"})
    assert refused.status_code == 400
    assert "Un tarif ne peut pas être négatif." in refused.content.decode()
    refused = client.post(org_url("emv_rates", personas), {**RATES, "x_cost_per_click": "beaucoup"})
    assert "Saisissez un montant, par exemple 4,50." in refused.content.decode()

    assert client.post(org_url("emv_rates", personas), {**RATES, "linkedin_cost_per_click": "4,75"}).status_code == 302
    assert _saved(personas).linkedin_cost_per_click == Decimal("4.75")
    assert 'value="4,75"' in client.get(org_url("emv_rates", personas)).content.decode()


def test_the_rates_are_in_the_settings_menu_of_admins_only(personas):
    url = org_url("emv_rates", personas)
    assert url in _client(personas.admin).get(org_url("org_settings", personas)).content.decode()
    assert url not in _client(personas.manager).get(org_url("org_home", personas)).content.decode()


@pytest.mark.parametrize("role", ["editor", "approver", "manager", "ambassador"])
def test_members_who_are_not_admins_get_403(personas, role):
    client = _client(getattr(personas, role))
    assert client.get(org_url("emv_rates", personas)).status_code == 403
    assert client.post(org_url("emv_rates", personas), RATES).status_code == 403
    with organization_scope(personas.organization):
        assert not EmvRates.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_outsider_gets_404(personas, method):
    response = getattr(_client(personas.outsider), method)(org_url("emv_rates", personas), RATES)
    assert response.status_code == 404
    with organization_scope(personas.other_organization):
        assert not EmvRates.objects.exists()


def test_one_organisations_rates_are_not_anothers(personas):
    _client(personas.admin).post(org_url("emv_rates", personas), RATES)
    with organization_scope(personas.other_organization):
        assert emv_rates(organization=personas.other_organization).currency == "EUR"
        assert emv_rates(organization=personas.other_organization).pk is None
