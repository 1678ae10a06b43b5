"""The time-zone picker: canonical zones only, readable and grouped, the same field on every form."""

import zoneinfo

import pytest
from django.urls import reverse

from advocacy.forms import OrganizationSettingsForm
from advocacy.forms_account import AccountForm
from advocacy.timezones import canonical_name, canonical_zones, time_zone_choices
from tests.conftest import org_url

ALIASES = ["Africa/Asmera", "Africa/Timbuktu", "US/Eastern", "Etc/GMT+3", "Asia/Calcutta", "America/Montreal", "GMT"]


def _values(choices):
    for value, label in choices:
        if isinstance(label, (list, tuple)):
            yield from _values(label)
        else:
            yield value


def test_the_choices_are_canonical_zones_without_aliases():
    values = list(_values(time_zone_choices()))

    assert values[0] == "UTC"
    assert "Europe/Paris" in values
    assert "America/New_York" in values
    for alias in ALIASES:
        assert alias not in values
    assert len(values) == len(set(values))
    for value in values:
        zoneinfo.ZoneInfo(value)  # each one loads


def test_the_choices_are_grouped_by_region_and_read_as_places():
    groups = dict(time_zone_choices()[1:])

    assert "Europe" in groups
    assert ("Europe/Paris", "Paris (Europe/Paris)") in groups["Europe"]
    assert ("America/Argentina/Buenos_Aires", "Argentina / Buenos Aires (America/Argentina/Buenos_Aires)") in groups[
        "America"
    ]


@pytest.mark.django_db
def test_both_forms_use_the_same_choices(personas):
    form = OrganizationSettingsForm(organization=personas.organization)
    settings_zones = set(_values(form.fields["time_zone"].choices))
    account_zones = set(_values(AccountForm().fields["time_zone"].choices))

    assert settings_zones == canonical_zones()
    assert account_zones == canonical_zones() | {""}


@pytest.mark.parametrize("alias", ["Africa/Asmera", "US/Eastern", "Mars/Olympus"])
def test_an_alias_is_refused_with_a_message(alias):
    form = AccountForm(data={"full_name": "Ada", "language": "", "time_zone": alias})

    assert not form.is_valid()
    assert form.errors["time_zone"] == [f"“{alias}” is not a time zone we offer: pick a city from the list."]


@pytest.mark.django_db
def test_the_settings_page_refuses_an_alias_and_keeps_the_zone(admin_client, personas):
    response = admin_client.post(
        org_url("org_settings", personas),
        {"name": "Acme", "language": "fr", "time_zone": "Africa/Timbuktu", "brand_colour": "#ff8800", "referent": ""},
    )

    assert response.status_code == 400
    assert "is not a time zone we offer" in response.content.decode()
    personas.organization.refresh_from_db()
    assert personas.organization.time_zone == "Europe/Paris"


@pytest.mark.django_db
def test_the_account_page_offers_the_searchable_picker(client, personas):
    client.force_login(personas.ambassador)
    page = client.get(reverse("account")).content.decode()

    assert "data-time-zone-picker" in page
    assert '<script src="/static/js/timezone.js" defer></script>' in page
    assert '<optgroup label="Europe">' in page
    assert "Africa/Asmera" not in page


@pytest.mark.django_db
def test_an_outsider_gets_404_on_the_settings_page(client, personas):
    client.force_login(personas.outsider)

    assert client.get(org_url("org_settings", personas)).status_code == 404


@pytest.mark.parametrize(
    ("alias", "zone"), [("America/Montreal", "America/Toronto"), ("US/Eastern", "America/New_York"), ("UTC", "UTC")]
)
def test_a_saved_alias_is_shown_as_its_zone(alias, zone):
    assert canonical_name(alias) == zone


@pytest.mark.django_db
def test_an_organisation_saved_with_an_alias_shows_its_zone_selected(admin_client, personas):
    personas.organization.time_zone = "America/Montreal"
    personas.organization.save()

    page = admin_client.get(org_url("org_settings", personas)).content.decode()

    assert '<option value="America/Toronto" selected>' in page
