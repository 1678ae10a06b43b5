"""Factories of the content app. Create inside the organisation's scope (``organization_scope``)."""

import hashlib
from contextlib import contextmanager

import factory

from content.models import ApprovalPolicy, ApprovalStep, Network, Post, PostVariant, Suggestion, Topic
from tests.factories import OrganizationFactory, UserFactory


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Topic {n}")


class PostFactory(factory.django.DjangoModelFactory):
    """A draft at revision 1, without the snapshot ``post_create`` writes: use the service when revisions matter."""

    class Meta:
        model = Post

    organization = factory.SubFactory(OrganizationFactory)
    title = factory.Sequence(lambda n: f"Post {n}")
    link = factory.Sequence(lambda n: f"https://news.example.test/{n}")
    author = factory.SubFactory(UserFactory)


class PostVariantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PostVariant

    post = factory.SubFactory(PostFactory)
    organization = factory.SelfAttribute("post.organization")
    network = Network.LINKEDIN
    text = factory.Sequence(lambda n: f"Proud of this news, number {n}.")


class ApprovalPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApprovalPolicy

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Policy {n}")


class ApprovalStepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApprovalStep

    policy = factory.SubFactory(ApprovalPolicyFactory)
    organization = factory.SelfAttribute("policy.organization")
    position = factory.Sequence(lambda n: n + 1)
    name = factory.Sequence(lambda n: f"Step {n}")
    approver_role = "approver"


class SuggestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Suggestion

    organization = factory.SubFactory(OrganizationFactory)
    url = factory.Sequence(lambda n: f"https://blog.example.test/{n}")
    url_hash = factory.LazyAttribute(lambda o: hashlib.sha256(o.url.encode()).hexdigest())
    comment = "Worth sharing."
    suggested_by = factory.SubFactory(UserFactory)


@contextmanager
def eager_celery():
    """Run tasks in-process (e-mails land in the outbox) for the duration; the previous settings come back."""
    from advocacy.celery import app

    names = ("task_always_eager", "task_eager_propagates")
    previous = {name: app.conf.get(name) for name in names}
    app.conf.update(dict.fromkeys(names, True))
    try:
        yield
    finally:
        app.conf.update(previous)
