"""The referral webhook: a careers site or a CRM reports an application, a hire or a lead for a member's referral
code, signed with the organisation's secret. Every refusal says why and records nothing; a retry is recorded once."""

import json
import logging
import time

import pytest
from django.test import Client

from advocacy.models import AuditEntry, Membership
from advocacy.tenancy import organization_scope, scopes_disabled
from analytics.links import referral_code
from analytics.models import ReferralEvent, ReferralSettings, TrackedLink
from analytics.referrals import signature_for
from analytics.services import referral_secret_rotate
from content.models import Post
from tests.ambassadors.factories import ShareFactory
from tests.content.factories import PostFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def hook(personas):
    """Acme's secret and its ambassador's code; Globex's secret and the code of Globex's admin (the outsider)."""
    acme, globex = personas.organization, personas.other_organization
    with organization_scope(acme):
        secret = referral_secret_rotate(organization=acme, by=personas.admin)
        member = personas.membership(personas.ambassador)
        code = referral_code(member)
        post = PostFactory(
            organization=acme, link="https://careers.acme.test/jobs/42", campaign=Post.Campaign.JOB_OFFER
        )
    with organization_scope(globex):
        globex_secret = referral_secret_rotate(organization=globex, by=personas.outsider)
        globex_code = referral_code(Membership.objects.get(user=personas.outsider))
    return {
        "secret": secret,
        "code": code,
        "member": member,
        "post": post,
        "globex_secret": globex_secret,
        "globex_code": globex_code,
    }


def send(
    slug: str,
    body,
    *,
    secret: str,
    key: str = "evt-1",
    timestamp: str | None = None,
    signature: str | None = None,
    client: Client | None = None,
):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    sent_at = str(int(time.time())) if timestamp is None else timestamp
    headers = {
        "HTTP_X_RELAIS_TIMESTAMP": sent_at,
        "HTTP_X_RELAIS_SIGNATURE": signature if signature is not None else signature_for(secret, sent_at, raw),
    }
    if key:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    # CSRF checks on: the webhook is a machine's request and needs no token.
    client = client or Client(enforce_csrf_checks=True)
    return client.post(f"/hooks/o/{slug}/referrals/", data=raw, content_type="application/json", **headers)


def events(personas):
    with organization_scope(personas.organization):
        return list(ReferralEvent.objects.all())


def test_a_signed_hire_is_recorded_for_the_member_of_the_code(personas, hook):
    response = send("acme", {"event": "hire", "referral_code": hook["code"]}, secret=hook["secret"])

    assert response.status_code == 201, response.content
    assert response.json()["event"] == "hire" and response.json()["replayed"] is False
    [event] = events(personas)
    assert (event.kind, event.membership_id, event.referral_code) == ("hire", hook["member"].pk, hook["code"])
    assert event.source == ReferralEvent.Source.WEBHOOK and event.post_id is None
    assert event.idempotency_key == "evt-1"


def test_the_event_names_its_post_by_id_or_by_link(personas, hook):
    by_id = {"event": "application", "referral_code": hook["code"], "post": hook["post"].pk}
    by_link = {
        "event": "application",
        "referral_code": hook["code"],
        "link": f"https://careers.acme.test/jobs/42/?ref={hook['code']}",
        "occurred_at": "2026-01-15T10:00:00+01:00",
    }
    assert send("acme", by_id, secret=hook["secret"], key="a").status_code == 201
    assert send("acme", by_link, secret=hook["secret"], key="b").status_code == 201

    assert [event.post_id for event in events(personas)] == [hook["post"].pk, hook["post"].pk]
    assert {event.occurred_at.isoformat() for event in events(personas)} >= {"2026-01-15T09:00:00+00:00"}


def test_a_tracked_link_names_its_post(personas, hook):
    with organization_scope(personas.organization):
        share = ShareFactory(organization=personas.organization, membership=hook["member"], post=hook["post"])
        tracked = TrackedLink.objects.create(
            organization=personas.organization,
            code="AbCd1234",
            share=share,
            post=hook["post"],
            membership=hook["member"],
            network="linkedin",
            destination="https://careers.acme.test/jobs/42",
        )
    body = {"event": "lead", "referral_code": hook["code"], "link": tracked.url}
    assert send("acme", body, secret=hook["secret"]).status_code == 201
    assert events(personas)[0].post_id == hook["post"].pk


def test_a_link_of_no_post_credits_the_ambassador_only(personas, hook):
    body = {"event": "lead", "referral_code": hook["code"], "link": "https://elsewhere.test/page"}
    assert send("acme", body, secret=hook["secret"]).status_code == 201
    assert events(personas)[0].post_id is None


# --- Signature and timestamp ---------------------------------------------------------------------------------------


def test_a_wrong_signature_is_refused_with_401(personas, hook):
    body = {"event": "hire", "referral_code": hook["code"]}
    response = send("acme", body, secret=hook["secret"], signature="sha256=" + "0" * 64)

    assert response.status_code == 401
    assert response.json()["code"] == "bad_signature"
    assert events(personas) == []


def test_a_body_signed_with_another_organisations_secret_is_refused(personas, hook):
    response = send("acme", {"event": "hire", "referral_code": hook["code"]}, secret=hook["globex_secret"])
    assert response.status_code == 401 and response.json()["code"] == "bad_signature"
    assert events(personas) == []


def test_a_body_changed_after_signing_is_refused(personas, hook):
    sent_at = str(int(time.time()))
    signed = json.dumps({"event": "application", "referral_code": hook["code"]}).encode()
    response = send(
        "acme",
        {"event": "hire", "referral_code": hook["code"]},
        secret=hook["secret"],
        timestamp=sent_at,
        signature=signature_for(hook["secret"], sent_at, signed),
    )
    assert response.status_code == 401
    assert events(personas) == []


@pytest.mark.parametrize(
    ("offset", "code"), [(-301, "timestamp_too_old"), (-3600, "timestamp_too_old"), (301, "timestamp_in_future")]
)
def test_a_timestamp_more_than_5_minutes_away_is_refused(personas, hook, offset, code):
    sent_at = str(int(time.time()) + offset)
    response = send("acme", {"event": "hire", "referral_code": hook["code"]}, secret=hook["secret"], timestamp=sent_at)

    assert response.status_code == 401
    assert response.json()["code"] == code
    assert "5 minutes" in response.json()["message"]
    assert events(personas) == []


def test_a_timestamp_within_5_minutes_is_accepted(personas, hook):
    sent_at = str(int(time.time()) - 240)
    response = send("acme", {"event": "hire", "referral_code": hook["code"]}, secret=hook["secret"], timestamp=sent_at)
    assert response.status_code == 201


@pytest.mark.parametrize("timestamp", ["", "yesterday", "1.5", "-60", "9" * 40])
def test_a_missing_or_malformed_timestamp_is_refused(personas, hook, timestamp):
    response = send(
        "acme", {"event": "hire", "referral_code": hook["code"]}, secret=hook["secret"], timestamp=timestamp
    )
    assert response.status_code == 401 and response.json()["code"] == "bad_timestamp"


def test_an_organisation_without_a_secret_refuses_every_request(personas, hook):
    with organization_scope(personas.organization):
        ReferralSettings.objects.update(webhook_secret_sealed="")
    response = send("acme", {"event": "hire", "referral_code": hook["code"]}, secret=hook["secret"])
    assert response.status_code == 401 and response.json()["code"] == "no_secret"


def test_a_signed_in_session_is_no_credential(personas, hook):
    client = Client()
    client.force_login(personas.admin)
    response = client.post(
        "/hooks/o/acme/referrals/",
        data=json.dumps({"event": "hire", "referral_code": hook["code"]}),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    assert response.status_code == 401
    assert events(personas) == []


def test_an_unknown_organisation_answers_404(personas, hook):
    response = send("no-such-org", {"event": "hire", "referral_code": hook["code"]}, secret=hook["secret"])
    assert response.status_code == 404


# --- Idempotency ---------------------------------------------------------------------------------------------------


def test_the_same_key_twice_records_the_event_once(personas, hook):
    body = {"event": "hire", "referral_code": hook["code"]}
    first = send("acme", body, secret=hook["secret"], key="hire-7")
    retry = send("acme", body, secret=hook["secret"], key="hire-7")

    assert first.status_code == 201
    assert retry.status_code == 200
    assert retry.json() == {**first.json(), "replayed": True}
    assert len(events(personas)) == 1


def test_a_used_key_with_another_body_is_refused_with_409(personas, hook):
    send("acme", {"event": "hire", "referral_code": hook["code"]}, secret=hook["secret"], key="hire-7")
    response = send("acme", {"event": "lead", "referral_code": hook["code"]}, secret=hook["secret"], key="hire-7")

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"
    assert [event.kind for event in events(personas)] == ["hire"]


def test_the_same_key_in_two_organisations_is_two_events(personas, hook):
    send("acme", {"event": "hire", "referral_code": hook["code"]}, secret=hook["secret"], key="shared")
    response = send(
        "globex", {"event": "hire", "referral_code": hook["globex_code"]}, secret=hook["globex_secret"], key="shared"
    )
    assert response.status_code == 201
    with scopes_disabled():
        assert ReferralEvent.objects.filter(idempotency_key="shared").count() == 2


def test_a_missing_idempotency_key_is_a_400(personas, hook):
    response = send("acme", {"event": "hire", "referral_code": hook["code"]}, secret=hook["secret"], key="")
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["errors"]


# --- Codes, posts and bodies ---------------------------------------------------------------------------------------


def test_an_unknown_code_is_refused_with_422(personas, hook):
    response = send("acme", {"event": "hire", "referral_code": "nosuchco"}, secret=hook["secret"])
    assert response.status_code == 422
    assert response.json()["code"] == "unknown_code"
    assert events(personas) == []


def test_a_code_of_another_organisation_is_refused_with_422(personas, hook):
    response = send("acme", {"event": "hire", "referral_code": hook["globex_code"]}, secret=hook["secret"])
    assert response.status_code == 422 and response.json()["code"] == "unknown_code"
    assert events(personas) == []


def test_a_post_of_another_organisation_is_refused_with_422(personas, hook):
    with organization_scope(personas.other_organization):
        foreign = PostFactory(organization=personas.other_organization)
    body = {"event": "hire", "referral_code": hook["code"], "post": foreign.pk}
    response = send("acme", body, secret=hook["secret"])
    assert response.status_code == 422 and response.json()["code"] == "unknown_post"
    assert events(personas) == []


def test_malformed_json_is_a_400(personas, hook):
    response = send("acme", b'{"event": "hire",', secret=hook["secret"])
    assert response.status_code == 400
    assert events(personas) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"event": "promotion", "referral_code": "x"}, "event"),
        ({"event": "hire"}, "referral_code"),
        ({"event": "hire", "referral_code": "x", "occurred_at": "last tuesday"}, "occurred_at"),
        ({"event": "hire", "referral_code": "x", "occurred_at": "2999-01-01T00:00:00Z"}, "occurred_at"),
        ({"event": "hire", "referral_code": "x", "post": "forty-two"}, "post"),
    ],
)
def test_bad_fields_are_a_400_naming_them(personas, hook, body, field):
    response = send("acme", body, secret=hook["secret"])
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_the_secret_is_never_logged_nor_audited(personas, caplog):
    caplog.set_level(logging.DEBUG)
    with organization_scope(personas.organization):
        secret = referral_secret_rotate(organization=personas.organization, by=personas.admin)
        code = referral_code(personas.membership(personas.ambassador))
    send("acme", {"event": "hire", "referral_code": code}, secret=secret)
    send("acme", {"event": "hire", "referral_code": code}, secret=secret, signature="sha256=bad")

    assert secret not in caplog.text
    with organization_scope(personas.organization):
        entries = list(AuditEntry.objects.values_list("data", flat=True))
        stored = ReferralSettings.objects.get().webhook_secret_sealed
    assert secret not in json.dumps(entries)
    assert secret not in stored and stored
