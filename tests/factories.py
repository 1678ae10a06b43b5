import itertools
import uuid
from decimal import Decimal
from typing import Any

import factory
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone

from advocacy.models import ApiToken, Invitation, Membership, Organization, Programme, ProgrammeMember, User
from advocacy.roles import Role
from analytics.models import Export

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


def _an_admin(export: Any) -> Membership:
    admin = Membership.objects.filter(organization=export.organization, role=Role.ADMIN).order_by("pk").first()
    return admin or MembershipFactory(organization=export.organization, role=Role.ADMIN)


class ExportFactory(factory.django.DjangoModelFactory):
    """A dashboard export, asked for by the organisation's first admin: only the member who asked may open it."""

    class Meta:
        model = Export

    organization = factory.SubFactory(OrganizationFactory)
    requested_by = factory.LazyAttribute(_an_admin)
    table = "detailed"
    file_format = Export.Format.XLSX
    expires_at = factory.LazyFunction(lambda: timezone.now() + timezone.timedelta(days=7))


# --- Tenant models and one row of any of them, for the isolation meta-tests ------------------------------------------
# Later issues add tenant models in other apps: the meta-tests find them here without being edited. A model gets a
# row from its factory when one exists (any imported ``DjangoModelFactory`` subclass), else from ``_generic_row``,
# which fills the required fields; give a model a factory when the generic row is not valid enough.

_generic_counter = itertools.count(1)


def tenant_models() -> list[type[models.Model]]:
    """Every concrete model with a foreign key named ``organization`` to ``Organization``."""
    found = []
    for model in apps.get_models():
        try:
            field = model._meta.get_field("organization")
        except FieldDoesNotExist:
            continue
        if field.many_to_one and field.related_model is Organization:
            found.append(model)
    return sorted(found, key=lambda model: model._meta.label)


def factory_for(model: type[models.Model]) -> type[factory.django.DjangoModelFactory] | None:
    """The first factory declared for ``model`` among the factories imported so far, or None."""
    pending = list(factory.django.DjangoModelFactory.__subclasses__())
    while pending:
        candidate = pending.pop(0)
        pending.extend(candidate.__subclasses__())
        if getattr(candidate._meta, "model", None) is model and not candidate._meta.abstract:
            return candidate
    return None


def _organization_kwargs(factory_class: Any, organization: Organization, prefix: str = "") -> dict[str, Any]:
    """Pin every organisation a factory (and its tenant sub-factories) would create to ``organization``."""
    kwargs: dict[str, Any] = {}
    tenant = set(tenant_models())
    for name, declaration in factory_class._meta.declarations.items():
        if name == "organization":
            kwargs[f"{prefix}organization"] = organization
        elif isinstance(declaration, factory.SubFactory):
            sub_factory = declaration.get_factory()
            if sub_factory._meta.model is Organization:
                kwargs[f"{prefix}{name}"] = organization
            elif sub_factory._meta.model in tenant:
                kwargs.update(_organization_kwargs(sub_factory, organization, prefix=f"{prefix}{name}__"))
    return kwargs


def _generic_value(field: models.Field, organization: Organization) -> Any:
    if field.choices:
        return field.choices[0][0]
    if field.is_relation:
        target = field.related_model
        if target is Organization:
            return organization
        if target is User:
            return UserFactory()
        if target in tenant_models():
            return make_tenant_row(target, organization)
        return _generic_row(target, organization)
    n = next(_generic_counter)
    simple: list[tuple[type[models.Field], Any]] = [
        (models.EmailField, f"generic{n}@example.test"),
        (models.URLField, f"https://example.test/{n}"),
        (models.CharField, f"generic-{n}"),
        (models.TextField, f"generic text {n}"),
        (models.BooleanField, False),
        (models.DecimalField, Decimal("0")),
        (models.FloatField, 0.0),
        # Small, so it fits every integer column, smallint included, however many rows a run creates.
        (models.IntegerField, n % 30_000),
        (models.DateTimeField, timezone.now()),
        (models.DateField, timezone.now().date()),
        (models.DurationField, timezone.timedelta(minutes=1)),
        (models.UUIDField, uuid.uuid4()),
        (models.JSONField, {}),
        (models.BinaryField, b""),
        (models.FileField, f"generic/{n}.txt"),
    ]
    for field_class, value in simple:
        if isinstance(field, field_class):
            if isinstance(value, str) and getattr(field, "max_length", None):
                return value[-field.max_length :]
            return value
    raise NotImplementedError(f"Add a factory for {field.model._meta.label}: no generic value for {field!r}.")


def _generic_row(model: type[models.Model], organization: Organization, **overrides: Any) -> models.Model:
    values: dict[str, Any] = {}
    for field in model._meta.concrete_fields:
        if field.name in overrides or field.primary_key or field.null or field.has_default():
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            continue
        values[field.name] = _generic_value(field, organization)
    values.update(overrides)
    row = model(**values)
    row.save()
    return row


def make_tenant_row(model: type[models.Model], organization: Organization, **overrides: Any) -> models.Model:
    """Create one saved, valid row of ``model`` in ``organization``. Call it inside that organisation's scope."""
    factory_class = factory_for(model)
    if factory_class is None:
        row = _generic_row(model, organization, **overrides)
    else:
        kwargs = _organization_kwargs(factory_class, organization)
        for name in overrides:  # an explicit parent replaces the sub-factory that would have made one
            kwargs = {key: value for key, value in kwargs.items() if not key.startswith(f"{name}__")}
        row = factory_class(**{**kwargs, **overrides})
    assert row.organization_id == organization.pk, f"{model._meta.label}: the row landed in another organisation"
    return row
