"""Post transitions through the API (``posts/<pk>/submit/`` … ``reschedule/``) and the approval inbox.

The policy of these tests: step 1 "Legal" is decided by any approver (role), step 2 "Comms" by the admin only
(a named member). Decisions need a person: API tokens are refused, whatever their role.
"""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from advocacy.errors import ServiceError
from advocacy.roles import Role
from advocacy.tenancy import organization_scope
from content import services
from content.models import ApprovalDecision, ApprovalPolicy, ApprovalStep, ApprovalStepApprover, Post
from tests.api.conftest import client_for
from tests.api.test_auth_api import assert_json_error, make_token, token_client

POSTS = "/api/v1/o/acme/posts/"
APPROVALS = "/api/v1/o/acme/approvals/"


def url(post, action=""):
    return f"{POSTS}{post.pk}/{action}/" if action else f"{POSTS}{post.pk}/"


@pytest.fixture
def policy(personas):
    organization = personas.organization
    with organization_scope(organization):
        policy = ApprovalPolicy.objects.create(organization=organization, name="Standard", is_default=True)
        ApprovalStep.objects.create(
            organization=organization, policy=policy, position=1, name="Legal", approver_role=Role.APPROVER
        )
        comms = ApprovalStep.objects.create(organization=organization, policy=policy, position=2, name="Comms")
        ApprovalStepApprover.objects.create(
            organization=organization, step=comms, membership=personas.membership(personas.admin)
        )
    return policy


@pytest.fixture
def clients(personas):
    return {role: client_for(getattr(personas, role.value)) for role in Role}


def make_post(personas, title="Launch", **fields):
    with organization_scope(personas.organization):
        return services.post_create(
            organization=personas.organization,
            author=personas.editor,
            title=title,
            variants=[services.VariantInput(network="linkedin", text="Read this")],
            **fields,
        )


@pytest.fixture
def in_review(personas, policy):
    post = make_post(personas)
    with organization_scope(personas.organization):
        return services.post_submit(post=post, by=personas.editor)


def stored(personas, post):
    with organization_scope(personas.organization):
        return Post.objects.get(pk=post.pk)


def test_submit_puts_a_draft_in_review(personas, policy, clients):
    post = make_post(personas)
    response = clients[Role.EDITOR].post(url(post, "submit"))
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == Post.Status.IN_REVIEW
    assert response.json()["current_step"] is not None


def test_submitting_twice_is_a_400_with_the_reason(personas, clients, in_review):
    response = clients[Role.EDITOR].post(url(in_review, "submit"))
    assert_json_error(response, 400)


def test_the_full_approval_through_both_steps(personas, clients, in_review):
    response = clients[Role.APPROVER].post(url(in_review, "approve"), {"revision": 1, "comment": "OK"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == Post.Status.IN_REVIEW
    # Step 2 is the admin's: the approver role no longer decides.
    refused = clients[Role.APPROVER].post(url(in_review, "approve"), {"revision": 1}, format="json")
    assert_json_error(refused, 403)
    response = clients[Role.ADMIN].post(url(in_review, "approve"), {"revision": 1}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["approved_revision"], body["current_step"]) == (Post.Status.APPROVED, 1, None)
    with organization_scope(personas.organization):
        assert ApprovalDecision.objects.filter(post=in_review).count() == 2


def test_the_admin_cannot_decide_the_legal_step_for_the_approver(personas, clients, in_review):
    """An approver of step 2 cannot decide step 1."""
    assert_json_error(clients[Role.ADMIN].post(url(in_review, "approve"), {"revision": 1}, format="json"), 403)
    assert stored(personas, in_review).status == Post.Status.IN_REVIEW


@pytest.mark.parametrize("role", [Role.EDITOR, Role.MANAGER, Role.AMBASSADOR])
def test_members_without_the_approve_permission_get_403(personas, clients, in_review, role):
    client = clients[role]
    assert_json_error(client.post(url(in_review, "approve"), {"revision": 1}, format="json"), 403)
    assert_json_error(client.post(url(in_review, "reject"), {"revision": 1, "note": "No"}, format="json"), 403)
    note = {"revision": 1, "note": "No"}
    assert_json_error(client.post(url(in_review, "request-changes"), note, format="json"), 403)
    with organization_scope(personas.organization):
        assert not ApprovalDecision.objects.exists()


@pytest.mark.parametrize("role", [Role.APPROVER, Role.ADMIN])
def test_tokens_cannot_decide_because_a_decision_needs_a_person(personas, in_review, role):
    client = token_client(make_token(personas.organization, role))
    response = client.post(url(in_review, "approve"), {"revision": 1}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert_json_error(response, 403)
    assert "token" in response.json()["message"].lower()
    assert_json_error(client.post(url(in_review, "reject"), {"revision": 1, "note": "No"}, format="json"), 403)
    with organization_scope(personas.organization):
        assert not ApprovalDecision.objects.exists()


def test_approving_a_stale_revision_is_a_409_with_the_message(personas, clients, in_review):
    with organization_scope(personas.organization):
        services.post_update(post=in_review, by=personas.editor, title="Changed meanwhile")
    assert stored(personas, in_review).revision == 2
    response = clients[Role.APPROVER].post(url(in_review, "approve"), {"revision": 1}, format="json")
    assert_json_error(response, 409)
    assert response.json()["code"] == "stale"
    with organization_scope(personas.organization):
        assert not ApprovalDecision.objects.exists()


def test_a_step_already_decided_is_a_409(personas, clients, in_review, monkeypatch):
    """The race itself is proven in the services tests; here, its error becomes a 409 with the message."""

    def decided_meanwhile(**kwargs):
        raise ServiceError("Someone else decided this step first.", code="already_decided")

    monkeypatch.setattr(services, "post_approve", decided_meanwhile)
    response = clients[Role.APPROVER].post(url(in_review, "approve"), {"revision": 1}, format="json")
    assert_json_error(response, 409)
    assert response.json() == {
        "message": "Someone else decided this step first.",
        "code": "already_decided",
        "errors": {},
    }


@pytest.mark.parametrize("action", ["request-changes", "reject"])
def test_request_changes_and_reject_need_a_note_and_go_back_to_draft(personas, clients, in_review, action):
    client = clients[Role.APPROVER]
    response = client.post(url(in_review, action), {"revision": 1}, format="json")
    assert_json_error(response, 400)
    assert list(response.json()["errors"]) == ["note"]
    response = client.post(url(in_review, action), {"revision": 1, "note": "Fix the date"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == Post.Status.DRAFT
    with organization_scope(personas.organization):
        assert ApprovalDecision.objects.get(post=in_review).comment == "Fix the date"


def test_a_decision_without_a_revision_is_a_400(personas, clients, in_review):
    response = clients[Role.APPROVER].post(url(in_review, "approve"), {}, format="json")
    assert_json_error(response, 400)
    assert list(response.json()["errors"]) == ["revision"]


def test_withdraw_submission_takes_a_post_back_to_draft(personas, clients, in_review):
    response = clients[Role.EDITOR].post(url(in_review, "withdraw-submission"))
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["current_step"]) == (Post.Status.DRAFT, None)
    assert_json_error(clients[Role.EDITOR].post(url(in_review, "withdraw-submission")), 400)


def test_withdraw_takes_an_approved_post_out_of_feeds(personas, clients, in_review):
    assert_json_error(clients[Role.EDITOR].post(url(in_review, "withdraw")), 400)
    approve(personas, in_review)
    response = clients[Role.EDITOR].post(url(in_review, "withdraw"))
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == Post.Status.WITHDRAWN


def approve(personas, post):
    with organization_scope(personas.organization):
        services.post_approve(post=post, by=personas.approver, revision=post.revision)
        services.post_approve(post=post, by=personas.admin, revision=post.revision)


def test_reschedule_keeps_the_approval(personas, clients, in_review):
    approve(personas, in_review)
    publish = timezone.now() + dt.timedelta(days=2)
    body = {"publish_at": publish.isoformat(), "expires_at": (publish + dt.timedelta(days=7)).isoformat()}
    response = clients[Role.EDITOR].post(url(in_review, "reschedule"), body, format="json")
    assert response.status_code == 200, response.json()
    post = stored(personas, in_review)
    assert (post.status, post.approved_revision) == (Post.Status.APPROVED, 1)
    assert post.publish_at == publish


def test_reschedule_with_expiry_before_publish_is_a_field_error(personas, clients):
    post = make_post(personas)
    publish = timezone.now() + dt.timedelta(days=2)
    body = {"publish_at": publish.isoformat(), "expires_at": (publish - dt.timedelta(days=1)).isoformat()}
    response = clients[Role.EDITOR].post(url(post, "reschedule"), body, format="json")
    assert_json_error(response, 400)
    assert list(response.json()["errors"]) == ["expires_at"]
    assert stored(personas, post).publish_at is None


@pytest.mark.parametrize("role", [Role.APPROVER, Role.MANAGER, Role.AMBASSADOR])
def test_members_without_the_edit_permission_cannot_submit_or_withdraw(personas, policy, clients, role):
    post = make_post(personas)
    for action in ["submit", "withdraw", "withdraw-submission"]:
        assert_json_error(clients[role].post(url(post, action)), 403)
    body = {"publish_at": None, "expires_at": None}
    assert_json_error(clients[role].post(url(post, "reschedule"), body, format="json"), 403)
    assert stored(personas, post).status == Post.Status.DRAFT


def test_editor_token_submits(personas, policy):
    post = make_post(personas)
    client = token_client(make_token(personas.organization, Role.EDITOR))
    assert client.post(url(post, "submit")).status_code == 200
    assert stored(personas, post).status == Post.Status.IN_REVIEW


def test_session_transition_without_csrf_token_is_refused(personas, in_review):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(personas.approver)
    assert_json_error(client.post(url(in_review, "approve"), {"revision": 1}, format="json"), 403)
    with organization_scope(personas.organization):
        assert not ApprovalDecision.objects.exists()


def test_anonymous_gets_401_on_every_transition(personas, in_review):
    for action in ["submit", "withdraw", "withdraw-submission", "approve", "reject", "request-changes", "reschedule"]:
        assert_json_error(APIClient().post(url(in_review, action), {}, format="json"), 401)
    assert_json_error(APIClient().get(APPROVALS), 401)


def test_outsider_gets_the_same_404_as_for_an_unknown_organisation(personas, in_review):
    client = client_for(personas.outsider)
    bodies = {"approve": {"revision": 1}, "reject": {"revision": 1, "note": "x"}, "reschedule": {}}
    for action in ["submit", "withdraw", "withdraw-submission", "approve", "reject", "request-changes", "reschedule"]:
        body = bodies.get(action, {"revision": 1, "note": "x"})
        path = url(in_review, action)
        response = client.post(path, body, format="json")
        unknown = client.post(path.replace("/acme/", "/no-such-org/"), body, format="json")
        assert_json_error(response, 404)
        assert response.json() == unknown.json()
    assert_json_error(client.get(APPROVALS), 404)
    assert stored(personas, in_review).status == Post.Status.IN_REVIEW


def test_a_transition_on_a_post_of_another_organisation_is_a_404(personas, clients):
    with organization_scope(personas.other_organization):
        foreign = services.post_create(organization=personas.other_organization, author=None, title="Secret")
    assert_json_error(clients[Role.ADMIN].post(url(foreign, "withdraw")), 404)
    with organization_scope(personas.other_organization):
        assert Post.objects.get(pk=foreign.pk).status == Post.Status.DRAFT


# -- the approval inbox ----------------------------------------------------------------------------------------------


def test_the_inbox_lists_what_the_caller_may_decide(personas, clients, in_review):
    assert [row["id"] for row in clients[Role.APPROVER].get(APPROVALS).json()["results"]] == [in_review.pk]
    assert clients[Role.ADMIN].get(APPROVALS).json()["results"] == []
    clients[Role.APPROVER].post(url(in_review, "approve"), {"revision": 1}, format="json")
    assert clients[Role.APPROVER].get(APPROVALS).json()["results"] == []
    assert [row["id"] for row in clients[Role.ADMIN].get(APPROVALS).json()["results"]] == [in_review.pk]


@pytest.mark.parametrize("role", [Role.EDITOR, Role.MANAGER, Role.AMBASSADOR])
def test_the_inbox_is_for_approvers(personas, clients, role):
    assert_json_error(clients[role].get(APPROVALS), 403)


def test_a_token_has_no_inbox(personas, policy):
    response = token_client(make_token(personas.organization, Role.APPROVER)).get(APPROVALS, HTTP_ACCEPT_LANGUAGE="en")
    assert_json_error(response, 403)
    assert "token" in response.json()["message"].lower()


def test_the_inbox_runs_a_bounded_number_of_queries(personas, clients, policy):
    def submit_many(organization, author, count):
        with organization_scope(organization):
            for n in range(count):
                post = services.post_create(organization=organization, author=author, title=f"Post {n}")
                services.post_submit(post=post, by=author)

    submit_many(personas.organization, personas.editor, 2)
    with CaptureQueriesContext(connection) as small:
        assert clients[Role.APPROVER].get(APPROVALS).json()["count"] == 2
    submit_many(personas.organization, personas.editor, 28)
    with CaptureQueriesContext(connection) as large:
        body = clients[Role.APPROVER].get(APPROVALS).json()
    assert body["count"] == 30
    assert len(large.captured_queries) == len(small.captured_queries)
