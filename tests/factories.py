import factory
from django.utils import timezone

from advocacy.models import ApiToken, Invitation, Membership, Organization, Programme, ProgrammeMember, User
from advocacy.roles import Role

DEFAULT_PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def verified(obj, create, extracted, **kwargs):
        """Mark the address verified, as allauth requires before sign-in."""
        obj.save()
        if create:
            from allauth.account.models import EmailAddress

            EmailAddress.objects.get_or_create(user=obj, email=obj.email, defaults={"verified": True, "primary": True})


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"org-{n}")
    name = factory.Sequence(lambda n: f"Organisation {n}")
    language = "en"


class MembershipFactory(factory.django.DjangoModelFactory):
    """Create inside the organisation's scope (``organization_scope``)."""

    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.AMBASSADOR


class ProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Programme

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Programme {n}")
    slug = factory.Sequence(lambda n: f"programme-{n}")


class ProgrammeMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgrammeMember

    programme = factory.SubFactory(ProgrammeFactory)
    membership = factory.SubFactory(MembershipFactory, organization=factory.SelfAttribute("..programme.organization"))
    organization = factory.SelfAttribute("programme.organization")


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    organization = factory.SubFactory(OrganizationFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.test")
    role = Role.AMBASSADOR
    token_digest = factory.Sequence(lambda n: Invitation.digest(f"token-{n}"))
    expires_at = factory.LazyFunction(lambda: timezone.now() + timezone.timedelta(days=7))


class ApiTokenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApiToken

    organization = factory.SubFactory(OrganizationFactory)
    name = "integration"
    role = Role.ADMIN
    token_digest = factory.Sequence(lambda n: ApiToken.digest(f"rls_token-{n}"))
    hint = "rls_xxxxxx"
