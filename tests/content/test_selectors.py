"""Reads of the library: filters, scoping, history, the approval inbox and calendar, and bounded query counts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from advocacy.models import Membership
from advocacy.roles import Role
from advocacy.tenancy import organization_scope
from content import selectors, services
from content.models import ApprovalStep, Post, PostTopic, PostVariant
from content.services import StepInput, VariantInput
from tests.content.factories import ApprovalPolicyFactory, PostFactory, SuggestionFactory, TopicFactory
from tests.factories import ProgrammeFactory, UserFactory

pytestmark = pytest.mark.django_db
ROWS = 1000


def _create(personas, title, **kwargs):
    return services.post_create(organization=personas.organization, author=personas.editor, title=title, **kwargs)


def test_post_list_searches_titles_and_variant_texts_and_filters(scoped):
    topic = TopicFactory(organization=scoped.organization)
    programme = ProgrammeFactory(organization=scoped.organization)
    soon = timezone.now() + timedelta(days=2)
    plant = _create(scoped, "New plant", topics=[topic], publish_at=soon)
    hiring = _create(
        scoped,
        "Hiring",
        programmes=[programme],
        variants=[VariantInput("x", "We hire at the plant"), VariantInput("x", "plant jobs")],
    )
    other = services.post_create(organization=scoped.organization, author=scoped.admin, title="Results")
    assert list(selectors.post_list(organization=scoped.organization, search="plant", sort="title")) == [hiring, plant]
    assert list(selectors.post_list(organization=scoped.organization, topic=topic)) == [plant]
    assert list(selectors.post_list(organization=scoped.organization, programme=programme.pk)) == [hiring]
    assert list(selectors.post_list(organization=scoped.organization, network="x")) == [hiring]
    assert list(selectors.post_list(organization=scoped.organization, author=scoped.admin)) == [other]
    assert list(selectors.post_list(organization=scoped.organization, date_from=soon.date())) == [plant]
    assert list(selectors.post_list(organization=scoped.organization, status="approved")) == []
    assert list(selectors.post_list(organization=scoped.organization, sort="nonsense"))[0] == other


def test_selectors_of_the_other_organisation_see_nothing(scoped):
    post = _create(scoped, "Acme news", publish_at=timezone.now())
    services.post_submit(post=post, by=scoped.editor)
    SuggestionFactory(organization=scoped.organization)
    other = scoped.other_organization
    with organization_scope(other):
        outsider = Membership.objects.get(organization=other, user=scoped.outsider)
        assert not selectors.post_list(organization=other).exists()
        assert not selectors.post_list(organization=scoped.organization).exists()
        assert not selectors.approval_inbox(membership=outsider).exists()
        start = timezone.now() - timedelta(days=1)
        assert not selectors.calendar_posts(organization=other, start=start, end=start + timedelta(days=2)).exists()
        assert not selectors.suggestion_inbox(organization=other).exists()
        with pytest.raises(Post.DoesNotExist):
            selectors.post_detail(membership=outsider, pk=post.pk)
        assert not selectors.can_decide(membership=outsider, post=post)


def test_post_history_lists_revisions_decisions_and_audit_newest_first(scoped, django_assert_max_num_queries):
    post = _create(scoped, "Plant")
    services.post_submit(post=post, by=scoped.editor)
    services.post_request_changes(post=post, by=scoped.approver, revision=1, note="Add a photo")
    services.post_update(post=post, by=scoped.editor, note="With a photo")
    with django_assert_max_num_queries(3):
        history = selectors.post_history(post=post)
    kinds = {item["kind"] for item in history}
    assert kinds == {"revision", "decision", "audit"}
    assert [item["at"] for item in history] == sorted((item["at"] for item in history), reverse=True)
    decision = next(item for item in history if item["kind"] == "decision")
    assert decision["comment"] == "Add a photo" and decision["actor"] == scoped.approver


def test_revision_diff_is_empty_before_a_first_approval(scoped):
    post = _create(scoped, "Plant")
    services.post_update(post=post, by=scoped.editor, title="Plant!")
    assert selectors.revision_diff(post=post) == []


def test_the_approval_inbox_holds_the_posts_whose_current_step_the_member_decides(scoped):
    post = _create(scoped, "Plant")
    services.post_submit(post=post, by=scoped.editor)
    mine = services.post_create(organization=scoped.organization, author=scoped.approver, title="Mine")
    services.post_submit(post=mine, by=scoped.approver)
    assert list(selectors.approval_inbox(membership=scoped.membership(scoped.approver))) == [post]
    assert selectors.approval_inbox(membership=scoped.membership(scoped.admin)).count() == 0
    assert selectors.approval_inbox(membership=scoped.membership(scoped.ambassador)).count() == 0


def test_named_approvers_see_the_post_in_their_inbox(scoped):
    named = scoped.membership(scoped.manager)
    services.policy_create(
        organization=scoped.organization,
        name="Named",
        by=scoped.admin,
        is_default=True,
        steps=[StepInput("Department head", approver_ids=(named.pk,))],
    )
    post = _create(scoped, "Plant")
    services.post_submit(post=post, by=scoped.editor)
    assert list(selectors.approval_inbox(membership=named)) == [post]
    assert selectors.can_decide(membership=named, post=post)


def test_calendar_posts_are_those_published_in_the_period(scoped):
    topic = TopicFactory(organization=scoped.organization)
    start = timezone.now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    inside = _create(scoped, "Inside", publish_at=start + timedelta(days=3), topics=[topic])
    _create(scoped, "Untagged", publish_at=start + timedelta(days=4))
    _create(scoped, "Later", publish_at=start + timedelta(days=40))
    _create(scoped, "Undated")
    posts = selectors.calendar_posts(organization=scoped.organization, start=start, end=start + timedelta(days=31))
    assert [post.title for post in posts] == ["Inside", "Untagged"]
    by_topic = selectors.calendar_posts(
        organization=scoped.organization, start=start, end=start + timedelta(days=31), topic=topic
    )
    assert list(by_topic) == [inside]


def test_policy_for_prefers_the_programme_policy(scoped):
    programme = ProgrammeFactory(organization=scoped.organization)
    assert selectors.policy_for(organization=scoped.organization, programmes=[programme]) is None
    default = ApprovalPolicyFactory(organization=scoped.organization, is_default=True)
    own = ApprovalPolicyFactory(organization=scoped.organization, programme=programme)
    assert selectors.policy_for(organization=scoped.organization, programmes=[programme]) == own
    assert selectors.policy_for(organization=scoped.organization, programmes=[]) == default


def test_suggestion_inbox_filters_by_status(scoped):
    new = SuggestionFactory(organization=scoped.organization)
    SuggestionFactory(organization=scoped.organization, status="declined")
    assert list(selectors.suggestion_inbox(organization=scoped.organization)) == [new]
    assert selectors.suggestion_inbox(organization=scoped.organization, status="").count() == 2


# --- Query counts with 2 organisations × 1,000 posts -----------------------------------------------------------------


def _seed(organization, author, step: ApprovalStep):
    """1,000 posts with a topic and two variants each, half of them in review at ``step``; bulk for speed."""
    topics = [TopicFactory(organization=organization, name=f"Topic {n}") for n in range(5)]
    now = timezone.now()
    posts = Post.objects.bulk_create(
        Post(
            organization=organization,
            title=f"Post {n}",
            author=author,
            publish_at=now + timedelta(hours=n),
            status=Post.Status.IN_REVIEW if n % 2 else Post.Status.DRAFT,
            policy=step.policy if n % 2 else None,
            current_step=step if n % 2 else None,
        )
        for n in range(ROWS)
    )
    PostTopic.objects.bulk_create(
        PostTopic(organization=organization, post=post, topic=topics[n % 5]) for n, post in enumerate(posts)
    )
    PostVariant.objects.bulk_create(
        PostVariant(organization=organization, post=post, network=network, text=f"{network} {post.title}")
        for post in posts
        for network in ("linkedin", "x")
    )


@pytest.fixture
def two_big_organisations(personas):
    for organization, author in ((personas.organization, personas.editor), (personas.other_organization, None)):
        with organization_scope(organization):
            author = author or UserFactory()
            policy = ApprovalPolicyFactory(organization=organization, is_default=True)
            step = ApprovalStep.objects.create(
                organization=organization, policy=policy, position=1, name="Comms", approver_role=Role.APPROVER
            )
            _seed(organization, author, step)
    return personas


def test_post_list_runs_a_bounded_number_of_queries(two_big_organisations, django_assert_max_num_queries):
    personas = two_big_organisations
    with organization_scope(personas.organization):
        with django_assert_max_num_queries(5):
            posts = list(selectors.post_list(organization=personas.organization))
        assert len(posts) == ROWS
        assert all(len(post.variants.all()) == 2 and len(post.topics.all()) == 1 for post in posts)
        with django_assert_max_num_queries(5):
            page = list(selectors.post_list(organization=personas.organization, search="Post 1", network="x")[:25])
        assert len(page) == 25
        assert all(post.author.email for post in page)


def test_approval_inbox_runs_a_bounded_number_of_queries(two_big_organisations, django_assert_max_num_queries):
    personas = two_big_organisations
    with organization_scope(personas.organization):
        membership = personas.membership(personas.approver)
        with django_assert_max_num_queries(5):
            posts = list(selectors.approval_inbox(membership=membership))
            count = selectors.approval_inbox(membership=membership).count()
        assert len(posts) == count == ROWS // 2
        assert {post.organization_id for post in posts} == {personas.organization.pk}


def test_calendar_runs_a_bounded_number_of_queries(two_big_organisations, django_assert_max_num_queries):
    personas = two_big_organisations
    start = timezone.now() - timedelta(days=1)
    with organization_scope(personas.organization):
        with django_assert_max_num_queries(3):
            posts = list(
                selectors.calendar_posts(organization=personas.organization, start=start, end=start + timedelta(60))
            )
            titles = [(post.author.email, [topic.name for topic in post.topics.all()]) for post in posts]
        assert len(titles) == ROWS


def test_a_post_factory_row_is_a_draft(scoped):
    assert PostFactory(organization=scoped.organization).status == Post.Status.DRAFT
