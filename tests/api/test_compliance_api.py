"""``/api/v1/o/<org>/compliance/``: the rules every member reads and admins change, and the live check of a draft
share."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from advocacy.roles import Role
from advocacy.tenancy import organization_scope
from charter import compliance
from charter.models import ComplianceRules
from content import services as content_services
from tests.api.conftest import client_for
from tests.api.test_auth_api import assert_json_error, make_token, token_client

RULES = "/api/v1/o/acme/compliance/rules/"
CHECK = "/api/v1/o/acme/compliance/check/"


def save_rules(organization, **fields):
    with organization_scope(organization):
        return compliance.rules_save(organization=organization, by=None, **fields)


@pytest.mark.parametrize("role", list(Role))
def test_every_member_reads_the_rules(personas, role):
    save_rules(personas.organization, blocked_phrases="confidentiel\nchiffre d'affaires", disclosure_x="#employee")
    response = client_for(getattr(personas, role.value)).get(RULES)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["blocked_phrases"] == ["confidentiel", "chiffre d'affaires"]
    assert (body["disclosure_x"], body["organization"], body["programme"]) == (
        "#employee",
        personas.organization.pk,
        None,
    )


def test_rules_before_any_save_are_the_defaults(personas):
    body = client_for(personas.ambassador).get(RULES).json()
    assert (body["blocked_phrases"], body["reconsent_months"], body["daily_cap"]) == ([], 12, None)


def test_admin_patches_the_rules(personas):
    admin = client_for(personas.admin)
    body = {"blocked_phrases": ["Projet Phoenix"], "daily_cap": 3, "sharing_weekdays": [5, 1, 1]}
    response = admin.patch(RULES, body, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["blocked_phrases"], response.json()["sharing_weekdays"]) == (["Projet Phoenix"], [1, 5])
    response = admin.patch(RULES, {"disclosure_linkedin": "I work at Acme."}, format="json")
    assert response.json()["daily_cap"] == 3
    with organization_scope(personas.organization):
        rules = ComplianceRules.objects.get()
    assert (rules.blocked_phrases, rules.daily_cap, rules.disclosure_linkedin) == (
        "Projet Phoenix",
        3,
        "I work at Acme.",
    )


def test_put_replaces_the_rules(personas):
    save_rules(personas.organization, blocked_phrases="secret", daily_cap=5)
    response = client_for(personas.admin).put(RULES, {"disclosure_x": "#ad"}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["blocked_phrases"], response.json()["daily_cap"]) == ([], None)
    assert response.json()["disclosure_x"] == "#ad"


def test_rules_ignore_read_only_fields(personas):
    """T9: the organisation and programme come from the URL."""
    body = {"organization": personas.other_organization.pk, "programme": 1, "daily_cap": 2}
    response = client_for(personas.admin).patch(RULES, body, format="json")
    assert response.status_code == 200, response.json()
    with organization_scope(personas.organization):
        rules = ComplianceRules.objects.get()
    assert (rules.organization_id, rules.programme_id, rules.daily_cap) == (personas.organization.pk, None, 2)
    with organization_scope(personas.other_organization):
        assert not ComplianceRules.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"sharing_weekdays": [0, 8]}, "sharing_weekdays"),
        ({"daily_cap": 0}, "daily_cap"),
        ({"allowed_domains": ["not a domain"]}, "allowed_domains"),
        ({"sharing_from": "09:00"}, "sharing_from"),
    ],
)
def test_bad_rules_are_field_errors_and_change_nothing(personas, body, field):
    response = client_for(personas.admin).patch(RULES, body, format="json")
    assert_json_error(response, 400)
    assert list(response.json()["errors"]) == [field]
    with organization_scope(personas.organization):
        assert not ComplianceRules.objects.exists()


@pytest.mark.parametrize("role", [Role.EDITOR, Role.APPROVER, Role.MANAGER, Role.AMBASSADOR])
def test_only_admins_change_the_rules(personas, role):
    client = client_for(getattr(personas, role.value))
    assert_json_error(client.patch(RULES, {"daily_cap": 1}, format="json"), 403)
    assert_json_error(client.put(RULES, {"daily_cap": 1}, format="json"), 403)
    with organization_scope(personas.organization):
        assert not ComplianceRules.objects.exists()


@pytest.mark.parametrize(("role", "code"), [(Role.ADMIN, 200), (Role.EDITOR, 403), (Role.AMBASSADOR, 403)])
def test_tokens_change_the_rules_by_role_and_all_read_them(personas, role, code):
    client = token_client(make_token(personas.organization, role))
    assert client.get(RULES).status_code == 200
    assert client.patch(RULES, {"daily_cap": 4}, format="json").status_code == code


def test_session_rules_change_without_csrf_token_is_refused(personas):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(personas.admin)
    assert_json_error(client.patch(RULES, {"daily_cap": 1}, format="json"), 403)
    assert_json_error(client.post(CHECK, {"network": "x", "text": "Hi"}, format="json"), 403)


# --- The check -------------------------------------------------------------------------------------------------------


def test_the_check_flags_a_blocked_phrase_with_its_position(personas):
    save_rules(personas.organization, blocked_phrases="chiffre d'affaires")
    text = "Notre CHIFFRE d’AFFAIRES a doublé !"
    response = client_for(personas.ambassador).post(CHECK, {"network": "linkedin", "text": text}, format="json")
    assert response.status_code == 200, response.json()
    violations = response.json()["violations"]
    assert [(v["code"], v["field"], v["start"], v["end"]) for v in violations] == [("blocked_phrase", "text", 6, 24)]
    assert text[6:24] == "CHIFFRE d’AFFAIRES"
    assert "CHIFFRE d’AFFAIRES" in violations[0]["message"]
    assert set(violations[0]) == {"code", "message", "field", "start", "end", "next_allowed_at"}


def test_a_clean_text_has_no_violations(personas):
    save_rules(personas.organization, blocked_phrases="secret")
    response = client_for(personas.ambassador).post(CHECK, {"network": "x", "text": "Proud of the team"}, format="json")
    assert response.json() == {"violations": []}


def test_the_check_offers_the_next_allowed_time_outside_sharing_days(personas):
    zone = ZoneInfo(personas.ambassador.time_zone or personas.organization.time_zone)
    today = timezone.now().astimezone(zone)
    save_rules(personas.organization, sharing_weekdays=[day for day in range(1, 8) if day != today.isoweekday()])
    response = client_for(personas.ambassador).post(CHECK, {"network": "x", "text": "Hello"}, format="json")
    violations = response.json()["violations"]
    assert [(v["code"], v["field"]) for v in violations] == [("outside_hours", "at")]
    following = dt.datetime.fromisoformat(violations[0]["next_allowed_at"]).astimezone(zone)
    assert following.date() == today.date() + dt.timedelta(days=1)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"network": "myspace", "text": "Hi"}, "network"),
        ({"network": "x", "text": ""}, "text"),
        ({"network": "x"}, "text"),
        ({"network": "x", "text": "Hi", "link": "javascript:alert(1)"}, "link"),
    ],
)
def test_bad_drafts_are_field_errors(personas, body, field):
    response = client_for(personas.ambassador).post(CHECK, body, format="json")
    assert_json_error(response, 400)
    assert list(response.json()["errors"]) == [field]


def test_a_post_of_another_organisation_is_a_field_error(personas):
    """T6."""
    with organization_scope(personas.other_organization):
        foreign = content_services.post_create(
            organization=personas.other_organization, author=personas.outsider, title="Globex secret"
        )
    body = {"network": "x", "text": "Hi", "post": foreign.pk}
    response = client_for(personas.ambassador).post(CHECK, body, format="json")
    assert_json_error(response, 400)
    assert list(response.json()["errors"]) == ["post"]


def test_a_draft_post_of_this_organisation_answers_as_a_missing_one(personas):
    with organization_scope(personas.organization):
        post = content_services.post_create(organization=personas.organization, author=personas.editor, title="Draft")
    client = client_for(personas.ambassador)
    draft = client.post(CHECK, {"network": "x", "text": "Hi", "post": post.pk}, format="json")
    missing = client.post(CHECK, {"network": "x", "text": "Hi", "post": post.pk + 1000}, format="json")
    assert draft.status_code == missing.status_code == 400
    assert draft.json()["errors"]["post"] == [
        message.replace(str(post.pk + 1000), str(post.pk)) for message in missing.json()["errors"]["post"]
    ]


def test_an_editor_checking_a_draft_post_is_told_it_cannot_be_shared(personas):
    with organization_scope(personas.organization):
        post = content_services.post_create(organization=personas.organization, author=personas.editor, title="Draft")
    body = {"network": "x", "text": "Hi", "post": post.pk}
    codes = [v["code"] for v in client_for(personas.editor).post(CHECK, body, format="json").json()["violations"]]
    assert codes == ["post_not_live"]


@pytest.mark.parametrize("role", list(Role))
def test_every_member_may_check_a_draft(personas, role):
    response = client_for(getattr(personas, role.value)).post(CHECK, {"network": "x", "text": "Hi"}, format="json")
    assert response.status_code == 200


def test_a_token_cannot_check_because_the_rules_and_time_zone_are_a_person_s(personas):
    client = token_client(make_token(personas.organization, Role.ADMIN))
    assert_json_error(client.post(CHECK, {"network": "x", "text": "Hi"}, format="json"), 403)


def test_anonymous_gets_401(personas):
    assert_json_error(APIClient().get(RULES), 401)
    assert_json_error(APIClient().patch(RULES, {"daily_cap": 1}, format="json"), 401)
    assert_json_error(APIClient().post(CHECK, {"network": "x", "text": "Hi"}, format="json"), 401)


def test_outsider_gets_the_same_404_as_for_an_unknown_organisation(personas):
    client = client_for(personas.outsider)
    for method, path, body in [
        ("get", RULES, None),
        ("patch", RULES, {"daily_cap": 1}),
        ("put", RULES, {"daily_cap": 1}),
        ("post", CHECK, {"network": "x", "text": "Hi"}),
    ]:
        response = getattr(client, method)(path, body, format="json")
        unknown = getattr(client, method)(path.replace("/acme/", "/no-such-org/"), body, format="json")
        assert_json_error(response, 404)
        assert response.json() == unknown.json()
    with organization_scope(personas.organization):
        assert not ComplianceRules.objects.exists()
