"""Factories of the ambassadors app. Create inside the organisation's scope (``organization_scope``)."""

from datetime import timedelta

import factory
from django.utils import timezone

from ambassadors.models import Share, SocialConnection
from ambassadors.services.connections import grants_metrics
from tests.content.factories import PostFactory
from tests.factories import MembershipFactory, OrganizationFactory


class SocialConnectionFactory(factory.django.DjangoModelFactory):
    """A connection with placeholder tokens; use ``connect_on(fake, membership)`` for one the fake accepts."""

    class Meta:
        model = SocialConnection

    organization = factory.SubFactory(OrganizationFactory)
    membership = factory.SubFactory(MembershipFactory, organization=factory.SelfAttribute("..organization"))
    provider = SocialConnection.Provider.LINKEDIN
    provider_uid = factory.Sequence(lambda n: f"member{n:06d}")
    display_name = "Ada Lovelace"
    metrics_granted = True
    connected_at = factory.LazyFunction(timezone.now)
    access_expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=60))


def connect_on(fake, membership, *, uid: str | None = None, name: str = "Ada Lovelace", **token_options):
    """A live connection of ``membership`` to ``fake`` (a FakeLinkedIn or FakeX), holding tokens the fake issued
    (sealed like the connect flow seals them), without going through the consent pages."""
    uid = uid or f"{membership.pk:04d}{membership.organization_id:04d}"
    username = name.lower().replace(" ", "_")
    issued = fake.issue_token(uid=uid, name=name, username=username, **token_options)
    scopes = issued["scope"].replace(",", " ").split()
    connection = SocialConnection(
        organization=membership.organization,
        membership=membership,
        provider=fake.name,
        provider_uid=uid,
        display_name=name,
        username=username if fake.name == "x" else "",
        scopes=scopes,
        metrics_granted=grants_metrics(fake.name, scopes),
        connected_at=timezone.now() - timedelta(minutes=5),
        access_expires_at=timezone.now() + timedelta(seconds=issued["expires_in"]),
    )
    connection.set_tokens(access_token=issued["access_token"], refresh_token=issued.get("refresh_token") or "")
    connection.save()
    return connection


class ShareFactory(factory.django.DjangoModelFactory):
    """A scheduled share due now, without the service's checks: use ``share_schedule`` when they matter."""

    class Meta:
        model = Share

    organization = factory.SubFactory(OrganizationFactory)
    membership = factory.SubFactory(MembershipFactory, organization=factory.SelfAttribute("..organization"))
    post = factory.SubFactory(PostFactory, organization=factory.SelfAttribute("..organization"))
    network = "linkedin"
    text = factory.Sequence(lambda n: f"Proud of our news, in my own words ({n}).")
    link = factory.SelfAttribute("post.link")
    status = Share.Status.SCHEDULED
    scheduled_at = factory.LazyFunction(timezone.now)
