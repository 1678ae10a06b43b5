"""Two approvers at once, and approving while an editor saves: real concurrent transactions on PostgreSQL.

Each actor runs in its own thread with its own database connection. The main thread holds the post's row lock
while both actors start, and waits until PostgreSQL reports them blocked on it: so both have read the post
before either could write, whatever the scheduling.
"""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from advocacy.errors import ServiceError
from advocacy.roles import Role
from advocacy.tenancy import organization_scope
from content import services
from content.models import ApprovalDecision, Post
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
WAIT_SECONDS = 10


class Actor(threading.Thread):
    def __init__(self, organization, action, ready: threading.Barrier):
        super().__init__()
        self.organization, self.action, self.ready = organization, action, ready
        self.pid: int | None = None
        self.result = None
        self.error: BaseException | None = None

    def run(self):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                self.pid = cursor.fetchone()[0]
            self.ready.wait(WAIT_SECONDS)
            with organization_scope(self.organization):
                self.result = self.action()
        except BaseException as exc:  # reported to the test thread
            self.error = exc
        finally:
            connections.close_all()


def _blocked(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT cardinality(pg_blocking_pids(%s)) > 0", [pid])
        return bool(cursor.fetchone()[0])


def _run_while_locked(post: Post, actors: list[Actor], ready: threading.Barrier) -> None:
    """Start the actors while this thread holds the post's row, release it once all of them wait for it."""
    with organization_scope(post.organization), transaction.atomic():
        Post.objects.select_for_update().get(pk=post.pk)
        for actor in actors:
            actor.start()
        ready.wait(WAIT_SECONDS)
        deadline = time.monotonic() + WAIT_SECONDS
        while not all(actor.pid and _blocked(actor.pid) for actor in actors):
            assert time.monotonic() < deadline, "the actors never reached the row lock"
            time.sleep(0.02)
    for actor in actors:
        actor.join(WAIT_SECONDS)


@pytest.fixture
def in_review(personas):
    second = UserFactory(email="second-approver@acme.test")
    with organization_scope(personas.organization):
        MembershipFactory(organization=personas.organization, user=second, role=Role.APPROVER)
        post = services.post_create(organization=personas.organization, author=personas.editor, title="Big news")
        services.post_submit(post=post, by=personas.editor)
    personas.second_approver = second
    return post


def test_two_approvers_at_once_end_with_exactly_one_decision(personas, in_review):
    ready = threading.Barrier(3)
    actors = [
        Actor(
            personas.organization, lambda user=user: services.post_approve(post=in_review, by=user, revision=1), ready
        )
        for user in (personas.approver, personas.second_approver)
    ]
    _run_while_locked(in_review, actors, ready)
    winners = [actor for actor in actors if actor.error is None]
    losers = [actor for actor in actors if actor.error is not None]
    assert len(winners) == 1 and len(losers) == 1
    assert isinstance(losers[0].error, ServiceError) and losers[0].error.code == "already_decided"
    with organization_scope(personas.organization):
        assert ApprovalDecision.objects.count() == 1
        in_review.refresh_from_db()
        assert (in_review.status, in_review.approved_revision) == (Post.Status.APPROVED, 1)


def test_approving_while_an_editor_saves_a_new_revision_is_stale(personas, in_review):
    ready = threading.Barrier(2)
    approver = Actor(
        personas.organization,
        lambda: services.post_approve(post=in_review, by=personas.approver, revision=1),
        ready,
    )
    with organization_scope(personas.organization), transaction.atomic():
        # The editor's save holds the row until it commits; the approver read revision 1 and waits on the row.
        services.post_update(post=in_review, by=personas.editor, title="Big news, corrected")
        approver.start()
        ready.wait(WAIT_SECONDS)
        deadline = time.monotonic() + WAIT_SECONDS
        while not (approver.pid and _blocked(approver.pid)):
            assert time.monotonic() < deadline, "the approver never reached the row lock"
            time.sleep(0.02)
    approver.join(WAIT_SECONDS)
    assert isinstance(approver.error, ServiceError) and approver.error.code == "stale"
    with organization_scope(personas.organization):
        assert not ApprovalDecision.objects.exists()
        in_review.refresh_from_db()
        assert (in_review.status, in_review.revision) == (Post.Status.IN_REVIEW, 2)


def test_approving_a_revision_an_editor_replaced_before_is_stale(personas, in_review):
    with organization_scope(personas.organization):
        seen = in_review.revision
        services.post_update(post=in_review, by=personas.editor, note="Context for ambassadors")
        with pytest.raises(ServiceError) as error:
            services.post_approve(post=in_review, by=personas.approver, revision=seen)
    assert error.value.code == "stale"
