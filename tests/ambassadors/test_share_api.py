"""The shares API: a person's own shares, read-only fields (T9), ids of another organisation (T6), the gate's
refusals as 400 with their messages, the actions, tokens and outsiders."""

import datetime as dt
import json

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from advocacy.models import ApiToken
from advocacy.tenancy import organization_scope
from ambassadors.models import Share
from charter.compliance import rules_save
from content.models import Post
from tests.ambassadors.factories import connect_on
from tests.ambassadors.test_shares import accept_charter, live_post, share_of
from tests.api.conftest import client_for
from tests.charter.factories import publish_charter
from tests.content.factories import PostFactory
from tests.factories import ApiTokenFactory

pytestmark = pytest.mark.django_db

Status = Share.Status
BASE = "/api/v1/o/acme/shares/"


@pytest.fixture
def world(personas):
    with organization_scope(personas.organization):
        accept_charter(personas, personas.ambassador)
        member = personas.membership(personas.ambassador)
        post = live_post(personas, title="Quarterly figures")
        mine = share_of(personas, member, post, status=Status.SCHEDULED, text="Mine.")
        theirs = share_of(personas, personas.membership(personas.editor), post, status=Status.SCHEDULED, text="Theirs.")
    return {"member": member, "post": post, "mine": mine, "theirs": theirs}


def _fresh_post(personas, **fields):
    with organization_scope(personas.organization):
        return live_post(personas, title="Fresh news", **fields)


# --- Reading ---------------------------------------------------------------------------------------------------------


def test_the_list_holds_the_callers_own_shares(personas, world):
    body = client_for(personas.ambassador).get(BASE).json()

    assert [row["id"] for row in body["results"]] == [world["mine"].pk]
    row = body["results"][0]
    assert row["status"] == "scheduled" and row["post_title"] == "Quarterly figures" and row["needs_action"] is None


def test_the_list_filters_by_status_and_refuses_an_unknown_one(personas, world):
    client = client_for(personas.ambassador)
    assert client.get(BASE + "?status=published").json()["results"] == []
    response = client.get(BASE + "?status=nonsense")
    assert response.status_code == 400 and "status" in response.json()["errors"]


def test_another_members_share_is_a_404_but_publishing_admins_may_read_it(personas, world):
    url = f"{BASE}{world['theirs'].pk}/"
    assert client_for(personas.ambassador).get(url).status_code == 404
    assert client_for(personas.ambassador).post(url + "cancel/").status_code == 404
    assert client_for(personas.admin).get(url).json()["text"] == "Theirs."
    assert client_for(personas.admin).post(url + "cancel/").status_code == 404


def test_a_share_waiting_for_its_member_says_why_and_where_to_fix_it(personas, world):
    with organization_scope(personas.organization):
        Share.objects.filter(pk=world["mine"].pk).update(status=Status.NEEDS_ACTION, action_required="reconnect")

    body = client_for(personas.ambassador).get(f"{BASE}{world['mine'].pk}/", HTTP_ACCEPT_LANGUAGE="en").json()

    assert "reconnecting" in body["needs_action"]["message"]
    assert body["needs_action"]["fix_url"].startswith("/o/acme/connections/")


# --- Access ----------------------------------------------------------------------------------------------------------


def _every_url(world):
    detail = f"{BASE}{world['mine'].pk}/"
    actions = ["cancel/", "reschedule/", "retry/", "mark-posted/", "publish-now/"]
    return [("get", BASE), ("post", BASE), ("get", detail), *(("post", detail + action) for action in actions)]


def test_the_outsider_gets_404_on_every_shares_endpoint(personas, world):
    client = client_for(personas.outsider)
    for method, url in _every_url(world):
        assert getattr(client, method)(url).status_code == 404, url


def test_anonymous_callers_get_401(personas, world):
    for method, url in _every_url(world):
        assert getattr(APIClient(), method)(url).status_code == 401, url


def test_an_api_token_acts_as_no_one_and_gets_403(personas, world):
    with organization_scope(personas.organization):
        ApiTokenFactory(organization=personas.organization, token_digest=ApiToken.digest("rls_sharetoken"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer rls_sharetoken")
    for method, url in _every_url(world):
        assert getattr(client, method)(url).status_code == 403, url


# --- Creating --------------------------------------------------------------------------------------------------------


def test_sharing_by_copy_and_open_ignores_the_read_only_fields(personas, world):
    post = _fresh_post(personas)
    data = {
        "post": post.pk,
        "network": "generic",
        "text": "Worth it.",
        "status": "published",
        "organization": personas.other_organization.pk,
        "external_id": "forged",
        "external_url": "https://evil.example/",
        "attempts": 9,
    }

    response = client_for(personas.ambassador).post(BASE, data, format="json")

    body = response.json()
    assert response.status_code == 201 and body["status"] == "manual"
    assert body["organization"] == personas.organization.pk and body["external_id"] == ""
    assert body["external_url"] == "" and body["attempts"] == 0


def test_sharing_later_on_linkedin(personas, world, fake_linkedin):
    with organization_scope(personas.organization):
        connect_on(fake_linkedin, world["member"])
    post = _fresh_post(personas)
    at = timezone.now() + dt.timedelta(days=1)

    response = client_for(personas.ambassador).post(
        BASE, {"post": post.pk, "network": "linkedin", "text": "Tomorrow.", "at": at.isoformat()}, format="json"
    )

    assert response.status_code == 201 and response.json()["status"] == "scheduled"


def test_a_post_of_another_organisation_is_a_400_and_creates_nothing(personas, world):
    with organization_scope(personas.other_organization):
        foreign = PostFactory(organization=personas.other_organization, status=Post.Status.APPROVED)

    response = client_for(personas.ambassador).post(
        BASE, {"post": foreign.pk, "network": "generic", "text": "Hi"}, format="json"
    )

    assert response.status_code == 400 and "post" in response.json()["errors"]
    with organization_scope(personas.organization):
        assert not Share.objects.filter(text="Hi").exists()


def _close_charter(personas):
    publish_charter(personas.organization, personas.admin, requires_reacceptance=True)


def _block(personas):
    rules_save(organization=personas.organization, by=personas.admin, blocked_phrases="secret")


def _cap(personas):
    rules_save(organization=personas.organization, by=personas.admin, daily_cap=1)


GATE_CASES = [
    pytest.param(_close_charter, "charter_required", id="charter-not-accepted"),
    pytest.param(_block, "blocked_phrase", id="blocked-phrase"),
    pytest.param(_cap, "daily_cap", id="daily-cap"),
]


@pytest.mark.parametrize(("close", "code"), GATE_CASES)
def test_the_gate_refuses_with_a_400_and_its_message(personas, world, close, code):
    post = _fresh_post(personas)
    with organization_scope(personas.organization):
        close(personas)

    response = client_for(personas.ambassador).post(
        BASE, {"post": post.pk, "network": "generic", "text": "Our secret, my words."}, format="json"
    )

    assert response.status_code == 400 and response.json()["code"] == code and response.json()["message"]
    with organization_scope(personas.organization):
        assert not Share.objects.filter(post=post).exists()


def test_a_withdrawn_post_is_refused_as_a_missing_one(personas, world):
    post = _fresh_post(personas)
    with organization_scope(personas.organization):
        Post.objects.filter(pk=post.pk).update(status=Post.Status.WITHDRAWN)
    client = client_for(personas.ambassador)

    response = client.post(BASE, {"post": post.pk, "network": "generic", "text": "Hi"}, format="json")
    missing = client.post(BASE, {"post": post.pk + 1000, "network": "generic", "text": "Hi"}, format="json")

    assert response.status_code == missing.status_code == 400
    assert list(response.json()["errors"]) == ["post"]
    assert response.json() == json.loads(json.dumps(missing.json()).replace(str(post.pk + 1000), str(post.pk)))


# --- Actions ---------------------------------------------------------------------------------------------------------


def _action(personas, share, name, data=None):
    return client_for(personas.ambassador).post(f"{BASE}{share.pk}/{name}/", data or {}, format="json")


def test_cancel(personas, world):
    response = _action(personas, world["mine"], "cancel", {"reason": "Changed my mind"})
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert _action(personas, world["mine"], "cancel").status_code == 400


def test_reschedule_checks_the_gate_at_the_new_time(personas, world, fake_linkedin):
    with organization_scope(personas.organization):
        connect_on(fake_linkedin, world["member"])
    at = timezone.now() + dt.timedelta(days=2)

    done = _action(personas, world["mine"], "reschedule", {"at": at.isoformat()})
    missing = _action(personas, world["mine"], "reschedule", {})
    with organization_scope(personas.organization):
        _close_charter(personas)
    refused = _action(personas, world["mine"], "reschedule", {"at": at.isoformat()})

    assert done.status_code == 200 and done.json()["scheduled_at"].startswith(at.strftime("%Y-%m-%dT"))
    assert missing.status_code == 400 and "at" in missing.json()["errors"]
    assert refused.status_code == 400 and refused.json()["code"] == "charter_required"


def test_publish_now_and_retry(personas, world, fake_linkedin):
    with organization_scope(personas.organization):
        connect_on(fake_linkedin, world["member"])
        failed = share_of(personas, world["member"], _fresh_post(personas), status=Status.FAILED)

    now = _action(personas, world["mine"], "publish-now")
    retried = _action(personas, failed, "retry")
    nothing_to_retry = _action(personas, world["mine"], "retry")

    assert now.status_code == 200 and now.json()["status"] == "scheduled"
    assert retried.status_code == 200 and retried.json()["status"] == "scheduled"
    assert nothing_to_retry.status_code == 400


def test_publishing_actions_are_throttled_per_member(personas, world):
    """W9: publish-now past 60 an hour answers 429 with Retry-After (DRF throttles are fuzzy: bounds, not exact)."""
    client = client_for(personas.ambassador)
    statuses = []
    for _ in range(70):
        response = client.post(f"{BASE}{world['mine'].pk}/publish-now/", {}, format="json")
        statuses.append(response.status_code)
        if response.status_code == 429:
            assert int(response["Retry-After"]) > 0
            break

    assert statuses[-1] == 429
    assert 55 <= statuses.index(429) <= 65
    assert client_for(personas.editor).get(BASE).status_code == 200


def test_mark_posted_checks_the_address(personas, world):
    with organization_scope(personas.organization):
        Share.objects.filter(pk=world["mine"].pk).update(status=Status.MANUAL, network="x")

    refused = _action(personas, world["mine"], "mark-posted", {"url": "https://evil.example/status/1"})
    done = _action(personas, world["mine"], "mark-posted", {"url": "https://x.com/ada/status/1"})

    assert refused.status_code == 400 and "url" in refused.json()["errors"]
    assert done.status_code == 200 and done.json()["status"] == "published"
    assert done.json()["external_url"] == "https://x.com/ada/status/1"
