"""Posts: creation, edits and revisions, dates, withdrawal (content.services)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from advocacy.errors import ServiceError
from advocacy.models import AuditEntry
from advocacy.tenancy import organization_scope
from content import selectors, services
from content.models import Post, PostRevision
from content.services import VariantInput
from tests.content.factories import ApprovalPolicyFactory, ApprovalStepFactory, TopicFactory
from tests.factories import ProgrammeFactory

pytestmark = pytest.mark.django_db


def _create(personas, **kwargs):
    values = {"organization": personas.organization, "author": personas.editor, "title": "Our new plant"}
    return services.post_create(**{**values, **kwargs})


def _approved(personas):
    ApprovalPolicyFactory(organization=personas.organization, is_default=True, requires_approval=False)
    post = _create(personas, variants=[VariantInput("linkedin", "We opened a plant.")])
    services.post_submit(post=post, by=personas.editor)
    assert post.status == Post.Status.APPROVED
    return post


def test_post_create_makes_a_draft_at_revision_one_with_its_snapshot(scoped):
    topic = TopicFactory(organization=scoped.organization, name="Careers")
    programme = ProgrammeFactory(organization=scoped.organization, name="Engineers")
    post = _create(
        scoped,
        link="https://acme.test/plant",
        topics=[topic],
        programmes=[programme.pk],
        languages=["FR", "en"],
        variants=[
            VariantInput("linkedin", "First caption"),
            VariantInput("linkedin", "Second caption"),
            VariantInput("x", "Short one"),
        ],
    )
    assert (post.status, post.revision) == (Post.Status.DRAFT, 1)
    assert list(post.topics.all()) == [topic]
    assert [(v.network, v.position) for v in post.variants.all()] == [("linkedin", 0), ("linkedin", 1), ("x", 0)]
    snapshot = PostRevision.objects.get(post=post, number=1).data
    assert snapshot["topics"] == ["Careers"]
    assert snapshot["programmes"] == ["Engineers"]
    assert snapshot["languages"] == ["en", "fr"]
    assert len(snapshot["variants"]) == 3
    assert AuditEntry.objects.filter(action="post.created", object_id=str(post.pk)).exists()


def test_post_create_refuses_a_topic_of_another_organisation_and_creates_nothing(scoped):
    with organization_scope(scoped.other_organization):
        foreign = TopicFactory(organization=scoped.other_organization)
    with pytest.raises(ServiceError) as error:
        _create(scoped, topics=[foreign.pk])
    assert error.value.field == "topics"
    assert not Post.objects.exists()


def test_post_create_refuses_a_programme_of_another_organisation(scoped):
    with organization_scope(scoped.other_organization):
        foreign = ProgrammeFactory(organization=scoped.other_organization)
    with pytest.raises(ServiceError) as error:
        _create(scoped, programmes=[foreign.pk])
    assert error.value.field == "programmes"
    assert not Post.objects.exists()


def test_post_create_refuses_an_expiry_before_the_publish_date(scoped):
    now = timezone.now()
    with pytest.raises(ServiceError) as error:
        _create(scoped, publish_at=now, expires_at=now - timedelta(days=1))
    assert error.value.field == "expires_at"


@pytest.mark.parametrize("link", ["javascript:alert(1)", "ftp://acme.test/file", "not a link"])
def test_post_create_accepts_only_http_links(scoped, link):
    with pytest.raises(ServiceError) as error:
        _create(scoped, link=link)
    assert error.value.field == "link"


def test_an_x_variant_over_280_weighted_characters_is_refused_with_its_count(scoped):
    with pytest.raises(ServiceError) as error:
        _create(scoped, variants=[VariantInput("linkedin", "fine"), VariantInput("x", "a" * 281)])
    assert error.value.field == "variants"
    assert "281" in error.value.message and "Variant 2" in error.value.message


def test_a_url_counts_23_characters_in_an_x_variant(scoped):
    text = "a" * 250 + " https://example.com/" + "b" * 80
    post = _create(scoped, variants=[VariantInput("x", text)])
    assert post.variants.get().text == text


def test_editing_content_bumps_the_revision_and_writes_a_snapshot(scoped):
    post = _create(scoped)
    services.post_update(post=post, by=scoped.editor, expected_revision=1, title="Our new plant opens")
    assert post.revision == 2
    assert PostRevision.objects.get(post=post, number=2).data["title"] == "Our new plant opens"
    assert AuditEntry.objects.filter(action="post.updated", object_id=str(post.pk)).exists()


def test_saving_unchanged_content_keeps_the_revision(scoped):
    post = _create(scoped, variants=[VariantInput("x", "Hello")])
    services.post_update(post=post, by=scoped.editor, title="Our new plant", variants=[VariantInput("x", "Hello")])
    assert post.revision == 1


def test_an_edit_based_on_an_old_revision_is_refused_as_stale(scoped):
    post = _create(scoped)
    services.post_update(post=post, by=scoped.editor, expected_revision=1, note="First editor")
    with pytest.raises(ServiceError) as error:
        services.post_update(post=post, by=scoped.admin, expected_revision=1, note="Second editor")
    assert error.value.code == "stale"
    post.refresh_from_db()
    assert post.note == "First editor"


def test_editing_an_approved_post_starts_a_new_review_and_shows_the_diff(scoped):
    ApprovalPolicyFactory(organization=scoped.organization, is_default=True)
    post = _create(scoped, variants=[VariantInput("linkedin", "Old caption")])
    Post.objects.filter(pk=post.pk).update(status=Post.Status.APPROVED, approved_revision=1)
    policy = ApprovalPolicyFactory(organization=scoped.organization, name="Legal only")
    step = ApprovalStepFactory(policy=policy, position=1, name="Legal")
    services.policy_update(policy=policy, by=scoped.admin, is_default=True)
    post.refresh_from_db()
    services.post_update(post=post, by=scoped.editor, variants=[VariantInput("linkedin", "New caption")])
    assert (post.status, post.revision, post.approved_revision) == (Post.Status.IN_REVIEW, 2, 1)
    assert post.current_step_id == step.pk
    diff = selectors.revision_diff(post=post)
    assert [item["name"] for item in diff] == ["variants"]
    assert diff[0]["before"] == [{"network": "linkedin", "text": "Old caption"}]
    assert "New caption" in diff[0]["after_text"]


def test_changing_only_dates_keeps_the_approval_and_the_revision(scoped):
    post = _approved(scoped)
    publish_at = timezone.now() + timedelta(days=3)
    services.post_update(post=post, by=scoped.editor, publish_at=publish_at, expires_at=None)
    assert (post.status, post.revision, post.publish_at) == (Post.Status.APPROVED, 1, publish_at)


def test_rescheduling_an_approved_post_keeps_its_approval(scoped):
    post = _approved(scoped)
    publish_at = timezone.now() + timedelta(days=7)
    services.post_reschedule(post=post, by=scoped.editor, publish_at=publish_at, expires_at=publish_at + timedelta(1))
    assert (post.status, post.approved_revision, post.revision) == (Post.Status.APPROVED, 1, 1)
    assert post.publish_at == publish_at
    assert AuditEntry.objects.filter(action="post.rescheduled").exists()


def test_an_embargo_is_scheduling_it_keeps_the_approval(scoped):
    post = _approved(scoped)
    embargo = timezone.now() + timedelta(days=3)
    services.post_update(post=post, by=scoped.editor, confidential_until=embargo)
    assert (post.status, post.revision, post.confidential_until) == (Post.Status.APPROVED, 1, embargo)


def test_rescheduling_refuses_an_expiry_before_publication(scoped):
    post = _approved(scoped)
    now = timezone.now()
    with pytest.raises(ServiceError) as error:
        services.post_reschedule(post=post, by=scoped.editor, publish_at=now, expires_at=now)
    assert error.value.field == "expires_at"


def test_withdrawing_an_approved_post_takes_it_off_the_feeds(scoped):
    post = _approved(scoped)
    services.post_withdraw(post=post, by=scoped.editor)
    assert post.status == Post.Status.WITHDRAWN
    assert not post.is_live_at()
    assert AuditEntry.objects.filter(action="post.withdrawn").exists()


def test_only_an_approved_post_can_be_withdrawn(scoped):
    post = _create(scoped)
    with pytest.raises(ServiceError) as error:
        services.post_withdraw(post=post, by=scoped.editor)
    assert error.value.code == "invalid_state"


def test_editing_a_withdrawn_post_makes_it_a_draft_again(scoped):
    post = _approved(scoped)
    services.post_withdraw(post=post, by=scoped.editor)
    services.post_update(post=post, by=scoped.editor, title="Reworked")
    assert (post.status, post.revision) == (Post.Status.DRAFT, 2)


def test_post_update_refuses_unknown_fields(scoped):
    post = _create(scoped)
    with pytest.raises(ServiceError):
        services.post_update(post=post, by=scoped.editor, status=Post.Status.APPROVED)
    post.refresh_from_db()
    assert post.status == Post.Status.DRAFT


def test_topics_are_unique_per_organisation(scoped):
    services.topic_create(organization=scoped.organization, name="Careers", by=scoped.editor)
    with pytest.raises(ServiceError) as error:
        services.topic_create(organization=scoped.organization, name="Careers", by=scoped.editor)
    assert error.value.field == "name"
    with organization_scope(scoped.other_organization):
        services.topic_create(organization=scoped.other_organization, name="Careers", by=scoped.outsider)


def test_topic_update_and_delete_are_audited(scoped):
    topic = services.topic_create(organization=scoped.organization, name="Careers", by=scoped.editor)
    services.topic_update(topic=topic, by=scoped.editor, name="Jobs", colour="#ff0000")
    assert topic.name == "Jobs"
    with pytest.raises(ServiceError) as error:
        services.topic_update(topic=topic, by=scoped.editor, colour="red")
    assert error.value.field == "colour"
    services.topic_delete(topic=topic, by=scoped.editor)
    actions = set(AuditEntry.objects.filter(action__startswith="topic.").values_list("action", flat=True))
    assert actions == {"topic.created", "topic.updated", "topic.deleted"}
