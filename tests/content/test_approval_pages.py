"""The approval inbox and decision page: who sees what, the three decisions, the revision the approver saw, the
race with another approver, and a step that is not yours yet."""

import pytest

from advocacy.models import Membership
from advocacy.roles import Role
from advocacy.tenancy import organization_scope
from content import services
from content.models import ApprovalDecision, Post
from tests.conftest import org_url
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def review(personas):
    """A "Legal" step decided by the approver persona, then a "Comms" step decided by a second approver; a post by
    the editor, submitted, waiting at Legal."""
    organization = personas.organization
    comms_user = UserFactory(email="comms@acme.test", full_name="Camille Comms")
    legal_user = UserFactory(email="legal2@acme.test", full_name="Lou Legal")
    with organization_scope(organization):
        comms = MembershipFactory(organization=organization, user=comms_user, role=Role.APPROVER)
        legal2 = MembershipFactory(organization=organization, user=legal_user, role=Role.APPROVER)
        legal = Membership.objects.get(user=personas.approver)
        services.policy_create(
            organization=organization,
            name="Legal then comms",
            by=personas.admin,
            is_default=True,
            steps=[
                services.StepInput(name="Legal", approver_ids=(legal.pk, legal2.pk)),
                services.StepInput(name="Comms", approver_ids=(comms.pk,)),
            ],
        )
        post = services.post_create(
            organization=organization,
            author=personas.editor,
            title="We won an award",
            link="https://news.acme.test/award",
            variants=[services.VariantInput(network="linkedin", text="Proud of the team")],
        )
        services.post_submit(post=post, by=personas.editor)
        post.refresh_from_db()
    personas.comms = comms_user
    personas.legal2 = legal_user
    personas.post = post
    return personas


def _decide(client, personas, action, text="", revision=None, step=None):
    post = personas.post
    data = {"action": action, "revision": revision or post.revision, "text": text}
    if step is not None:
        data["step"] = step
    return client.post(org_url("approval_decide", personas, post.pk), data)


def _fresh(personas):
    with organization_scope(personas.organization):
        return Post.objects.select_related("current_step").get(pk=personas.post.pk)


def test_the_inbox_lists_posts_waiting_at_the_members_step(client, review):
    client.force_login(review.approver)

    response = client.get(org_url("approvals", review))

    body = response.content.decode()
    assert response.status_code == 200
    assert "We won an award" in body and "Legal" in body
    assert review.editor.display_name in body
    assert 'nav-count">1<span class="visually-hidden"> waiting for you' in body


def test_the_second_step_approver_sees_an_empty_inbox_until_legal_decides(client, review):
    client.force_login(review.comms)
    assert "We won an award" not in client.get(org_url("approvals", review)).content.decode()

    client.force_login(review.approver)
    _decide(client, review, "approve", "Fine for legal")

    client.force_login(review.comms)
    assert "We won an award" in client.get(org_url("approvals", review)).content.decode()


def test_the_decision_page_shows_content_history_and_the_revision_seen(client, review):
    client.force_login(review.approver)

    response = client.get(org_url("approval_decide", review, review.post.pk))

    body = response.content.decode()
    assert "Proud of the team" in body
    assert 'id="history-heading"' in body and "revision 1" in body.lower()
    assert body.count('name="revision" value="1"') == 3
    assert "Approve" in body and "Request changes" in body and "Reject" in body


def test_approving_moves_the_post_to_the_next_step_then_approves_it(client, review):
    client.force_login(review.approver)
    response = _decide(client, review, "approve", "Fine for legal")
    assert response.status_code == 302
    assert _fresh(review).current_step.name == "Comms"

    client.force_login(review.comms)
    assert _decide(client, review, "approve").status_code == 302
    post = _fresh(review)
    assert post.status == Post.Status.APPROVED
    with organization_scope(review.organization):
        assert ApprovalDecision.objects.filter(post=post, comment="Fine for legal").exists()


def test_requesting_changes_needs_a_note_and_sends_the_post_back_to_draft(client, review):
    client.force_login(review.approver)

    refused = _decide(client, review, "request_changes", "")
    assert refused.status_code == 400
    assert "Write a note" in refused.content.decode()
    assert _fresh(review).status == Post.Status.IN_REVIEW

    assert _decide(client, review, "request_changes", "Cite the jury").status_code == 302
    assert _fresh(review).status == Post.Status.DRAFT
    client.force_login(review.editor)
    assert "Cite the jury" in client.get(org_url("approval_decide", review, review.post.pk)).content.decode()


def test_rejecting_requires_a_note(client, review):
    client.force_login(review.approver)

    refused = _decide(client, review, "reject", "   ")
    assert refused.status_code == 400
    assert _fresh(review).status == Post.Status.IN_REVIEW

    assert _decide(client, review, "reject", "Not for us").status_code == 302
    assert _fresh(review).status == Post.Status.DRAFT


def test_a_stale_revision_is_refused_and_the_new_one_shown_with_the_typed_comment(client, review):
    client.force_login(review.approver)
    with organization_scope(review.organization):
        services.post_update(post=review.post, by=review.editor, title="We won two awards")
    response = _decide(client, review, "approve", "Looks good", revision=1)  # what the approver had on screen

    body = response.content.decode()
    assert response.status_code == 409
    assert "This post changed since you opened it: review the new revision." in body
    assert "We won two awards" in body
    assert 'name="revision" value="2"' in body
    assert "Looks good" in body
    assert _fresh(review).status == Post.Status.IN_REVIEW


def test_a_decision_already_taken_says_who_took_it(client, review):
    legal_step = _fresh(review).current_step_id
    client.force_login(review.approver)
    _decide(client, review, "approve", "Fine", step=legal_step)

    # The other Legal approver's page was opened before: it still carries the Legal step.
    client.force_login(review.legal2)
    response = _decide(client, review, "approve", step=legal_step)

    body = response.content.decode()
    assert response.status_code == 409
    assert "Another approver decided this step first." in body
    assert f"{review.approver.display_name} decided first on “Legal”: Approved." in body
    with organization_scope(review.organization):
        assert ApprovalDecision.objects.filter(post=review.post).count() == 1


def test_the_step_two_approver_sees_step_one_read_only_and_cannot_post(client, review):
    client.force_login(review.comms)

    page = client.get(org_url("approval_decide", review, review.post.pk))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Waiting for “Legal”" in body
    assert 'name="action"' not in body

    assert _decide(client, review, "approve").status_code == 403
    assert _fresh(review).current_step.name == "Legal"


@pytest.mark.parametrize("role", ["ambassador", "manager"])
def test_members_who_do_not_review_get_403_and_the_post_under_review_is_a_404(client, review, role):
    client.force_login(getattr(review, role))

    assert client.get(org_url("approvals", review)).status_code == 403
    assert client.get(org_url("approval_decide", review, review.post.pk)).status_code == 404
    assert _decide(client, review, "approve").status_code == 404
    assert "Approvals" not in client.get(org_url("suggest", review)).content.decode()


def test_an_unknown_action_is_a_400_not_a_500(client, review):
    client.force_login(review.approver)

    response = client.post(org_url("approval_decide", review, review.post.pk), {"action": "delete", "revision": "x"})

    assert response.status_code == 400


def test_the_inbox_runs_a_bounded_number_of_queries(client, personas, django_assert_max_num_queries):
    for organization in (personas.organization, personas.other_organization):
        with organization_scope(organization):
            policy = services.policy_create(
                organization=organization,
                name="One step",
                by=None,
                is_default=True,
                steps=[services.StepInput(name="Legal", approver_role=Role.APPROVER)],
            )
            step = policy.steps.get()
            Post.objects.bulk_create(
                Post(
                    organization=organization,
                    title=f"Post {n}",
                    status=Post.Status.IN_REVIEW,
                    policy=policy,
                    current_step=step,
                    author=personas.editor,
                )
                for n in range(1000)
            )
    client.force_login(personas.approver)

    with django_assert_max_num_queries(15):
        response = client.get(org_url("approvals", personas))

    assert response.status_code == 200
    assert response.context["paginator"].count == 1000
    assert len(response.context["posts"]) == 50
