"""The approval workflow: policies, submission, decisions by step, refusals, notifications (content.services)."""

import pytest
from django.core import mail
from django.db import transaction

from advocacy.errors import ServiceError
from advocacy.models import AuditEntry
from advocacy.roles import Role
from advocacy.tenancy import organization_scope
from content import selectors, services
from content.models import ApprovalDecision, ApprovalPolicy, Post
from content.services import StepInput, VariantInput
from content.tasks import notify_approvers
from tests.content.factories import eager_celery
from tests.factories import MembershipFactory, ProgrammeFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _eager_tasks():
    with eager_celery():
        yield


@pytest.fixture
def legal_then_comms(scoped):
    """Default policy "Legal" (the approver persona, by name) then "Comms" (a second approver, by name)."""
    comms = UserFactory(email="comms@acme.test")
    comms_membership = MembershipFactory(organization=scoped.organization, user=comms, role=Role.APPROVER)
    policy = services.policy_create(
        organization=scoped.organization,
        name="Legal then comms",
        by=scoped.admin,
        is_default=True,
        steps=[
            StepInput("Legal", approver_ids=(scoped.membership(scoped.approver).pk,)),
            StepInput("Comms", approver_ids=(comms_membership.pk,)),
        ],
    )
    scoped.comms = comms
    return policy


def _post(personas, **kwargs):
    return services.post_create(
        organization=personas.organization,
        author=personas.editor,
        title="Our new plant",
        variants=[VariantInput("linkedin", "We opened a plant.")],
        **kwargs,
    )


def _submitted(personas, django_capture_on_commit_callbacks):
    post = _post(personas)
    with django_capture_on_commit_callbacks(execute=True):
        services.post_submit(post=post, by=personas.editor)
    return post


def test_a_fresh_organisation_gets_a_default_policy_decided_by_approvers(scoped, django_capture_on_commit_callbacks):
    post = _submitted(scoped, django_capture_on_commit_callbacks)
    policy = ApprovalPolicy.objects.get(is_default=True)
    step = policy.steps.get()
    assert step.approver_role == Role.APPROVER
    assert (post.status, post.policy_id, post.current_step_id) == (Post.Status.IN_REVIEW, policy.pk, step.pk)
    assert [message.to for message in mail.outbox] == [[scoped.approver.email]]
    assert "Our new plant" in mail.outbox[0].subject
    assert AuditEntry.objects.filter(action="post.submitted", object_id=str(post.pk)).exists()


def test_two_steps_each_approved_by_their_approver(scoped, legal_then_comms, django_capture_on_commit_callbacks):
    post = _submitted(scoped, django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [[scoped.approver.email]]
    with django_capture_on_commit_callbacks(execute=True):
        services.post_approve(post=post, by=scoped.approver, revision=1, comment="Fine for legal")
    assert post.status == Post.Status.IN_REVIEW
    assert post.current_step.name == "Comms"
    assert mail.outbox[-1].to == [scoped.comms.email]
    assert "Comms" in mail.outbox[-1].subject
    with django_capture_on_commit_callbacks(execute=True):
        services.post_approve(post=post, by=scoped.comms, revision=1)
    assert (post.status, post.approved_revision, post.current_step_id) == (Post.Status.APPROVED, 1, None)
    assert mail.outbox[-1].to == [scoped.editor.email]
    assert ApprovalDecision.objects.filter(post=post, outcome="approved").count() == 2
    actions = list(AuditEntry.objects.filter(object_id=str(post.pk)).values_list("action", flat=True))
    assert actions.count("post.step_approved") == 2 and "post.approved" in actions


def test_an_approver_of_step_two_cannot_decide_step_one(scoped, legal_then_comms, django_capture_on_commit_callbacks):
    post = _submitted(scoped, django_capture_on_commit_callbacks)
    comms = scoped.membership(scoped.comms)
    assert not selectors.can_decide(membership=comms, post=post)
    with pytest.raises(ServiceError) as error:
        services.post_approve(post=post, by=scoped.comms, revision=1)
    assert error.value.code == "not_approver"
    assert not ApprovalDecision.objects.exists()


@pytest.mark.parametrize("persona", ["ambassador", "admin", "manager"])
def test_members_outside_the_step_cannot_approve(scoped, persona, django_capture_on_commit_callbacks):
    post = _submitted(scoped, django_capture_on_commit_callbacks)
    with pytest.raises(ServiceError) as error:
        services.post_approve(post=post, by=getattr(scoped, persona), revision=1)
    assert error.value.code == "not_approver"
    post.refresh_from_db()
    assert post.status == Post.Status.IN_REVIEW


def test_an_admin_approves_only_when_the_step_names_their_role(scoped):
    services.policy_create(
        organization=scoped.organization,
        name="Admins",
        by=scoped.admin,
        is_default=True,
        steps=[StepInput("Board", approver_role=Role.ADMIN)],
    )
    post = _post(scoped)
    services.post_submit(post=post, by=scoped.editor)
    services.post_approve(post=post, by=scoped.admin, revision=1)
    assert post.status == Post.Status.APPROVED


def test_the_author_cannot_approve_their_own_post(scoped):
    post = services.post_create(organization=scoped.organization, author=scoped.approver, title="Mine")
    services.post_submit(post=post, by=scoped.approver)
    assert not selectors.can_decide(membership=scoped.membership(scoped.approver), post=post)
    with pytest.raises(ServiceError) as error:
        services.post_approve(post=post, by=scoped.approver, revision=1)
    assert error.value.code == "own_post"


def test_a_suspended_approver_cannot_decide(scoped):
    post = _post(scoped)
    services.post_submit(post=post, by=scoped.editor)
    membership = scoped.membership(scoped.approver)
    membership.status = membership.Status.SUSPENDED
    membership.save()
    with pytest.raises(ServiceError) as error:
        services.post_approve(post=post, by=scoped.approver, revision=1)
    assert error.value.code == "not_approver"


def test_approving_an_older_revision_is_refused_as_stale(scoped):
    post = _post(scoped)
    services.post_submit(post=post, by=scoped.editor)
    services.post_update(post=post, by=scoped.editor, title="Our new plant, edited")
    with pytest.raises(ServiceError) as error:
        services.post_approve(post=post, by=scoped.approver, revision=1)
    assert error.value.code == "stale"
    assert error.value.message == "This post changed since you opened it: review the new revision."
    services.post_approve(post=post, by=scoped.approver, revision=2)
    assert (post.status, post.approved_revision) == (Post.Status.APPROVED, 2)


def test_a_second_approval_of_a_decided_step_is_told_it_was_decided(scoped):
    second = UserFactory(email="second-approver@acme.test")
    MembershipFactory(organization=scoped.organization, user=second, role=Role.APPROVER)
    post = _post(scoped)
    services.post_submit(post=post, by=scoped.editor)
    services.post_approve(post=post, by=scoped.approver, revision=1)
    with pytest.raises(ServiceError) as error:
        services.post_approve(post=post, by=second, revision=1)
    assert error.value.code == "already_decided"
    assert ApprovalDecision.objects.count() == 1


def test_a_step_that_moved_on_is_reported_as_decided(scoped, legal_then_comms):
    post = _post(scoped)
    services.post_submit(post=post, by=scoped.editor)
    legal_step = post.current_step_id
    services.post_approve(post=post, by=scoped.approver, revision=1, step=legal_step)
    with pytest.raises(ServiceError) as error:
        services.post_approve(post=post, by=scoped.comms, revision=1, step=legal_step)
    assert error.value.code == "already_decided"


@pytest.mark.parametrize(
    ("service", "outcome", "action"),
    [
        (services.post_request_changes, "changes_requested", "post.changes_requested"),
        (services.post_reject, "rejected", "post.rejected"),
    ],
)
def test_sending_back_needs_a_note_and_tells_the_author(
    scoped, service, outcome, action, django_capture_on_commit_callbacks
):
    post = _submitted(scoped, django_capture_on_commit_callbacks)
    with pytest.raises(ServiceError) as error:
        service(post=post, by=scoped.approver, revision=1, note="  ")
    assert error.value.field == "note"
    with django_capture_on_commit_callbacks(execute=True):
        decision = service(post=post, by=scoped.approver, revision=1, note="Remove the price.")
    assert decision.outcome == outcome
    assert (post.status, post.current_step_id) == (Post.Status.DRAFT, None)
    assert mail.outbox[-1].to == [scoped.editor.email]
    assert "Remove the price." in mail.outbox[-1].body
    assert AuditEntry.objects.filter(action=action, object_id=str(post.pk)).exists()


def test_resubmitting_after_changes_starts_a_new_round(scoped, legal_then_comms):
    post = _post(scoped)
    services.post_submit(post=post, by=scoped.editor)
    services.post_approve(post=post, by=scoped.approver, revision=1)
    services.post_request_changes(post=post, by=scoped.comms, revision=1, note="Shorter, please.")
    services.post_submit(post=post, by=scoped.editor)
    assert (post.status, post.revision, post.current_step.name) == (Post.Status.IN_REVIEW, 2, "Legal")
    services.post_approve(post=post, by=scoped.approver, revision=2)
    services.post_approve(post=post, by=scoped.comms, revision=2)
    assert (post.status, post.approved_revision) == (Post.Status.APPROVED, 2)


def test_the_author_can_take_a_post_back_from_review(scoped):
    post = _post(scoped)
    services.post_submit(post=post, by=scoped.editor)
    services.post_withdraw_submission(post=post, by=scoped.editor)
    assert (post.status, post.current_step_id) == (Post.Status.DRAFT, None)
    with pytest.raises(ServiceError) as error:
        services.post_withdraw_submission(post=post, by=scoped.editor)
    assert error.value.code == "invalid_state"


def test_only_a_draft_can_be_submitted(scoped):
    post = _post(scoped)
    services.post_submit(post=post, by=scoped.editor)
    with pytest.raises(ServiceError) as error:
        services.post_submit(post=post, by=scoped.editor)
    assert error.value.code == "invalid_state"


def test_a_no_approval_policy_approves_on_submit(scoped, django_capture_on_commit_callbacks):
    services.policy_create(
        organization=scoped.organization,
        name="Trusted",
        by=scoped.admin,
        steps=[],
        is_default=True,
        requires_approval=False,
    )
    post = _submitted(scoped, django_capture_on_commit_callbacks)
    assert (post.status, post.approved_revision) == (Post.Status.APPROVED, 1)
    assert mail.outbox == []


def test_a_programme_policy_applies_to_posts_of_that_programme_only(scoped):
    engineers = ProgrammeFactory(organization=scoped.organization)
    sales = ProgrammeFactory(organization=scoped.organization)
    default = services.policy_create(
        organization=scoped.organization,
        name="Default",
        by=scoped.admin,
        is_default=True,
        steps=[StepInput("Comms", approver_role=Role.APPROVER)],
    )
    own = services.policy_create(
        organization=scoped.organization,
        name="Engineering",
        by=scoped.admin,
        programme=engineers,
        steps=[StepInput("Tech lead", approver_role=Role.ADMIN)],
    )
    only_engineers = _post(scoped, programmes=[engineers])
    mixed = _post(scoped, programmes=[engineers, sales])
    services.post_submit(post=only_engineers, by=scoped.editor)
    services.post_submit(post=mixed, by=scoped.editor)
    assert only_engineers.policy_id == own.pk and only_engineers.current_step.name == "Tech lead"
    assert mixed.policy_id == default.pk


def test_rollback_sends_no_email(scoped, django_capture_on_commit_callbacks):
    post = _post(scoped)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            services.post_submit(post=post, by=scoped.editor)
            raise RuntimeError("the request failed after submitting")
    assert callbacks == []
    assert mail.outbox == []
    post.refresh_from_db()
    assert post.status == Post.Status.DRAFT


def test_the_approvers_email_is_sent_once_per_revision_and_step(scoped):
    post = _post(scoped)
    services.post_submit(post=post, by=scoped.editor)
    kwargs = {"organization_id": scoped.organization.pk, "post_id": post.pk, "revision": 1}
    assert notify_approvers.apply(kwargs=kwargs).get() == 1
    assert notify_approvers.apply(kwargs=kwargs).get() == 0
    assert notify_approvers.apply(kwargs={**kwargs, "revision": 0}).get() == 0
    assert len(mail.outbox) == 1


def test_policy_steps_need_an_approver_and_members_of_the_organisation(scoped):
    with pytest.raises(ServiceError) as error:
        services.policy_create(organization=scoped.organization, name="Empty", by=scoped.admin, steps=[StepInput("X")])
    assert error.value.field == "steps"
    with organization_scope(scoped.other_organization):
        foreign = MembershipFactory(organization=scoped.other_organization)
    with pytest.raises(ServiceError) as error:
        services.policy_create(
            organization=scoped.organization,
            name="Foreign",
            by=scoped.admin,
            steps=[StepInput("Legal", approver_ids=(foreign.pk,))],
        )
    assert error.value.field == "steps"
    assert not ApprovalPolicy.objects.exists()


def test_changing_the_steps_restarts_reviews_at_the_new_first_step(scoped, legal_then_comms):
    post = _post(scoped)
    services.post_submit(post=post, by=scoped.editor)
    services.post_approve(post=post, by=scoped.approver, revision=1)
    services.policy_update(
        policy=legal_then_comms, by=scoped.admin, steps=[StepInput("Board", approver_role=Role.ADMIN)]
    )
    post.refresh_from_db()
    assert (post.status, post.current_step.name) == (Post.Status.IN_REVIEW, "Board")
    services.post_approve(post=post, by=scoped.admin, revision=1)
    assert post.status == Post.Status.APPROVED


def test_a_new_default_policy_takes_over_and_the_default_cannot_be_deleted(scoped, legal_then_comms):
    other = services.policy_create(
        organization=scoped.organization,
        name="Simple",
        by=scoped.admin,
        is_default=True,
        steps=[StepInput("Comms", approver_role=Role.APPROVER)],
    )
    legal_then_comms.refresh_from_db()
    assert not legal_then_comms.is_default and other.is_default
    with pytest.raises(ServiceError) as error:
        services.policy_delete(policy=other, by=scoped.admin)
    assert error.value.code == "default_required"
    services.policy_delete(policy=legal_then_comms, by=scoped.admin)
    actions = set(AuditEntry.objects.filter(action__startswith="policy.").values_list("action", flat=True))
    assert actions == {"policy.created", "policy.deleted"}


def test_a_policy_followed_by_a_post_in_review_cannot_be_deleted(scoped):
    programme = ProgrammeFactory(organization=scoped.organization)
    policy = services.policy_create(
        organization=scoped.organization,
        name="Programme",
        by=scoped.admin,
        programme=programme,
        steps=[StepInput("Comms", approver_role=Role.APPROVER)],
    )
    post = _post(scoped, programmes=[programme])
    services.post_submit(post=post, by=scoped.editor)
    with pytest.raises(ServiceError) as error:
        services.policy_delete(policy=policy, by=scoped.admin)
    assert error.value.code == "in_use"
