"""The compliance pages: the organisation's and programmes' rules, and the "try a text" box."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from advocacy.tenancy import organization_scope
from charter.compliance import rules_for, rules_save
from charter.models import ComplianceRules
from charter.services import charter_accept
from tests.charter.factories import publish_charter
from tests.conftest import org_url
from tests.factories import ProgrammeFactory

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _accept_charter(personas, *users) -> None:
    """Publish a charter and have ``users`` accept it, as the acceptance page would."""
    with organization_scope(personas.organization):
        version = publish_charter(personas.organization, personas.admin)
        for user in users:
            charter_accept(membership=personas.membership(user), version=version, ip="127.0.0.1", user_agent="test")


def _set_rules(personas, **fields) -> None:
    with organization_scope(personas.organization):
        rules_save(organization=personas.organization, by=personas.admin, **fields)


VALID_RULES = {
    "blocked_phrases": "résultats trimestriels\nprojet Phoenix",
    "disclosure_linkedin": "#employee of Acme",
    "disclosure_x": "#employee",
    "disclosure_generic": "",
    "daily_cap": "5",
    "daily_cap_per_network": "",
    "sharing_from": "",
    "sharing_until": "",
    "allowed_domains": "",
    "reconsent_months": "12",
}


# --- Access ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [("admin", 200), ("editor", 403), ("approver", 403), ("manager", 403), ("ambassador", 403)],
)
def test_only_admins_manage_the_rules(personas, role, expected):
    response = _client(getattr(personas, role)).get(org_url("compliance_rules", personas))
    assert response.status_code == expected
    assert _client(getattr(personas, role)).post(org_url("compliance_rules", personas), VALID_RULES).status_code in (
        (302,) if expected == 200 else (403,)
    )


@pytest.mark.parametrize("name", ["compliance_rules", "compliance_try"])
def test_the_outsider_gets_404_and_anonymous_visitors_sign_in(personas, name):
    url = org_url(name, personas)
    assert _client(personas.outsider).get(url).status_code == 404
    response = Client().get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def test_a_programme_of_another_organisation_is_not_found(personas):
    with organization_scope(personas.other_organization):
        foreign = ProgrammeFactory(organization=personas.other_organization, name="Skunkworks", slug="skunk")
    url = org_url("compliance_programme_rules", personas, foreign.pk)
    assert _client(personas.admin).get(url).status_code == 404


# --- Editing the rules -------------------------------------------------------------------------------------------


def test_the_admin_saves_the_rules_with_a_night_window(personas):
    data = {**VALID_RULES, "sharing_from": "22:00", "sharing_until": "06:00", "sharing_weekdays": ["1", "5"]}
    response = _client(personas.admin).post(org_url("compliance_rules", personas), data)

    assert response.status_code == 302
    with organization_scope(personas.organization):
        rules = rules_for(organization=personas.organization)
    assert rules.sharing_from == datetime.time(22) and rules.sharing_until == datetime.time(6)
    assert rules.sharing_weekdays == [1, 5]
    assert rules.blocked_phrases == "résultats trimestriels\nprojet Phoenix"
    assert rules.daily_cap == 5 and rules.daily_cap_per_network is None


def test_the_page_shows_what_each_disclosure_takes_of_the_network_limit(personas):
    _set_rules(personas, disclosure_x="#employee")
    body = _client(personas.admin).get(org_url("compliance_rules", personas)).content.decode()
    # "\n\n#employee": 11 of X's 280; the textarea carries the limit for the live counter.
    assert "X: the saved disclosure takes 11 of the 280 characters allowed." in body
    assert 'data-network="x"' in body and 'data-limit="280"' in body


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"sharing_from": "09:00", "sharing_until": "09:00"}, "sharing_until", "cannot start and end at the same"),
        ({"sharing_from": "09:00"}, "sharing_from", "Give both the start and the end"),
        ({"sharing_from": "25:00", "sharing_until": "06:00"}, "sharing_from", "Enter a valid time"),
        ({"disclosure_x": "#employee " * 15}, "disclosure_x", "limited to 100 characters"),
        ({"allowed_domains": "example.com\nnot a domain"}, "allowed_domains", "is not a domain name"),
        ({"daily_cap": "0"}, "daily_cap", "greater than or equal to 1"),
        ({"reconsent_months": ""}, "reconsent_months", "This field is required"),
    ],
)
def test_bad_rules_are_refused_on_their_field_and_nothing_typed_is_lost(personas, change, field, message):
    data = {**VALID_RULES, "blocked_phrases": "typed but refused", **change}
    response = _client(personas.admin).post(org_url("compliance_rules", personas), data)

    assert response.status_code == 400
    assert message in " ".join(str(error) for error in response.context["form"].errors[field])
    assert "typed but refused" in response.content.decode()
    with organization_scope(personas.organization):
        assert not ComplianceRules.objects.filter(organization=personas.organization).exists()


def test_a_programme_gets_its_own_rules_starting_from_the_organisations(personas):
    _set_rules(personas, blocked_phrases="projet Phoenix", reconsent_months=6)
    with organization_scope(personas.organization):
        programme = ProgrammeFactory(organization=personas.organization, name="Sales", slug="sales")
    client = _client(personas.admin)
    listing = client.get(org_url("compliance_rules", personas)).content.decode()
    assert "Add its own rules" in listing

    url = org_url("compliance_programme_rules", personas, programme.pk)
    page = client.get(url)
    assert page.status_code == 200 and page.context["form"].initial["blocked_phrases"] == "projet Phoenix"
    assert "reconsent_months" not in page.context["form"].fields  # the re-consent period is the organisation's

    data = {key: value for key, value in VALID_RULES.items() if key != "reconsent_months"}
    assert client.post(url, {**data, "blocked_phrases": "discount code"}).status_code == 302
    with organization_scope(personas.organization):
        own = ComplianceRules.objects.get(organization=personas.organization, programme=programme)
        default = rules_for(organization=personas.organization)
    assert own.blocked_phrases == "discount code" and default.blocked_phrases == "projet Phoenix"
    assert "its own rules" in client.get(org_url("compliance_rules", personas)).content.decode()


# --- Try a text --------------------------------------------------------------------------------------------------


def test_a_member_who_has_not_accepted_the_charter_is_sent_to_accept_it_first(personas):
    _accept_charter(personas)  # a charter exists; the ambassador has not accepted it
    url = org_url("compliance_try", personas)
    response = _client(personas.ambassador).get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{org_url('charter_join', personas)}?next={url.replace('/', '%2F')}"


@pytest.mark.parametrize("role", ["ambassador", "manager", "admin"])
def test_every_member_who_accepted_the_charter_may_try_a_text(personas, role):
    _accept_charter(personas, getattr(personas, role))
    assert _client(getattr(personas, role)).get(org_url("compliance_try", personas)).status_code == 200


def test_a_blocked_phrase_is_named_and_highlighted_exactly_whatever_its_accents_and_case(personas):
    _set_rules(personas, blocked_phrases="résultats trimestriels")
    _accept_charter(personas, personas.ambassador)
    text = "<b>Bold</b> news: nos RESULTATS Trimestriels arrivent & c'est top."
    response = _client(personas.ambassador).post(
        org_url("compliance_try", personas), {"network": "linkedin", "text": text}
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "<mark>RESULTATS Trimestriels</mark>" in body
    assert body.count("<mark>") == 1
    assert "“RESULTATS Trimestriels” is not allowed by the charter." in body
    assert "&lt;b&gt;Bold&lt;/b&gt; news: nos <mark>" in body  # the text around the mark is escaped
    assert "</mark> arrivent &amp; c&#x27;est top." in body


def test_the_live_check_answers_htmx_with_the_result_only(personas):
    _set_rules(personas, blocked_phrases="projet Phoenix")
    _accept_charter(personas, personas.ambassador)
    client = _client(personas.ambassador)
    url = org_url("compliance_try", personas)

    response = client.post(url, {"network": "x", "text": "Le Projet phoenix avance"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "<mark>Projet phoenix</mark>" in response.content.decode()
    assert "<html" not in response.content.decode()

    clean = client.post(url, {"network": "x", "text": "Proud of the team"}, HTTP_HX_REQUEST="true")
    assert "No problem found" in clean.content.decode()
    empty = client.post(url, {"network": "x", "text": ""}, HTTP_HX_REQUEST="true")
    assert empty.status_code == 200  # htmx swaps only successful answers


def test_without_javascript_the_check_button_renders_the_whole_page_and_an_empty_text_is_a_400(personas):
    _accept_charter(personas, personas.ambassador)
    client = _client(personas.ambassador)
    url = org_url("compliance_try", personas)

    response = client.post(url, {"network": "linkedin", "text": ""})
    assert response.status_code == 400
    assert "Type a text to check." in response.content.decode()
    bad_network = client.post(url, {"network": "myspace", "text": "Hello"})
    assert bad_network.status_code == 400 and "Hello</textarea>" in bad_network.content.decode()


def test_the_counter_leaves_room_for_the_disclosure_and_the_overflow_is_shown(personas):
    _set_rules(personas, disclosure_x="#employee")  # 11 characters with the blank line before it
    _accept_charter(personas, personas.ambassador)
    client = _client(personas.ambassador)
    url = org_url("compliance_try", personas)

    page = client.get(url).content.decode()
    assert 'value="x" data-limit="269"' in page

    response = client.post(url, {"network": "x", "text": "a" * 275})
    body = response.content.decode()
    assert "With the mandatory disclosure, this text is 6 characters over the limit of 280." in body
    assert "286 of 280 characters, disclosure included." in body
    assert "#employee</span>" in body


def test_sharing_outside_the_allowed_hours_says_when_it_is_allowed_again(personas):
    zone = ZoneInfo(personas.ambassador.time_zone or personas.organization.time_zone)
    opening = (timezone.now().astimezone(zone) + datetime.timedelta(hours=3)).replace(second=0, microsecond=0)
    closing = opening + datetime.timedelta(minutes=30)
    _set_rules(personas, sharing_from=opening.time(), sharing_until=closing.time())
    _accept_charter(personas, personas.ambassador)

    response = _client(personas.ambassador).post(
        org_url("compliance_try", personas), {"network": "linkedin", "text": "Proud of the team"}
    )
    body = response.content.decode()
    assert "Sharing is not allowed at this time. You can share from" in body
