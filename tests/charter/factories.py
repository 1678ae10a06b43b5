"""Factories of the charter app. Create inside the organisation's scope (``organization_scope``)."""

import factory
from django.utils import timezone

from charter.models import CharterAcceptance, CharterVersion, Incident, TrainingModule
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory


class CharterVersionFactory(factory.django.DjangoModelFactory):
    """A draft; ``CharterVersionFactory(published=True, number=1)`` for a published one without the service."""

    class Meta:
        model = CharterVersion

    class Params:
        published = factory.Trait(
            status=CharterVersion.Status.PUBLISHED, published_at=factory.LazyFunction(timezone.now)
        )

    organization = factory.SubFactory(OrganizationFactory)
    title = factory.Sequence(lambda n: f"Charter {n}")
    body = "## Confidentiality\n\nShare only what is public."


class CharterAcceptanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CharterAcceptance

    organization = factory.SubFactory(OrganizationFactory)
    membership = factory.SubFactory(MembershipFactory, organization=factory.SelfAttribute("..organization"))
    version = factory.SubFactory(
        CharterVersionFactory,
        organization=factory.SelfAttribute("..organization"),
        published=True,
        number=factory.Sequence(lambda n: n + 1),
    )
    accepted_at = factory.LazyFunction(timezone.now)
    client_digest = "0" * 64


class TrainingModuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingModule

    organization = factory.SubFactory(OrganizationFactory)
    level = TrainingModule.Level.NOVICE
    title = factory.Sequence(lambda n: f"Module {n}")
    body = "Use a long, unique password."
    quiz = factory.LazyFunction(
        lambda: [{"question": "Which is safer?", "choices": ["SMS", "An authenticator app"], "answer": 1}]
    )


class IncidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Incident

    organization = factory.SubFactory(OrganizationFactory)
    kind = Incident.Kind.OTHER
    link = factory.Sequence(lambda n: f"https://social.example.test/post/{n}")
    description = "An abusive reply under my share."
    reported_by = factory.SubFactory(UserFactory)


def publish_charter(organization, by, *, requires_reacceptance=True, summary="", body=None):
    """Write and publish a charter version through the services, as an admin would. Call inside the scope."""
    from charter.services import charter_draft_save, charter_publish

    draft = charter_draft_save(
        organization=organization,
        by=by,
        title="Charter",
        body=body if body is not None else "## Confidentiality\n\nShare only what is public.",
        summary_of_changes=summary,
        requires_reacceptance=requires_reacceptance,
    )
    return charter_publish(version=draft, by=by)
