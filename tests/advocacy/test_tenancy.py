"""Fail-closed tenancy, proved for every tenant model the project has (T1, T2, T3 and the in-scope guarantees).

The models are discovered, not listed: any concrete model with a foreign key named ``organization`` to
``Organization``, in any app, is checked as soon as it exists. Runs on PostgreSQL and on SQLite
(``DATABASE_URL=sqlite:///… pytest -m tenancy``), so the embedded demo fails closed too.
"""

from collections.abc import Callable
from typing import Any

import pytest
from django.db import models
from django.db.models import Count

from advocacy.models import Organization, Programme
from advocacy.tenancy import ScopeError, TenantManager, organization_scope, scopes_disabled
from tests.factories import OrganizationFactory, make_tenant_row, tenant_models

pytestmark = [pytest.mark.tenancy, pytest.mark.django_db]

TENANT_MODELS = tenant_models()
MODEL_PARAMS = [pytest.param(model, id=model._meta.label) for model in TENANT_MODELS]
UNSCOPED = "scope must be active"

# Unique fields or constraints without ``organization`` that are globally unique on purpose (random secrets, codes
# that alone identify a row, such as a tracked link's code). Add a line here, with the reason, for a new one.
GLOBALLY_UNIQUE = {
    ("advocacy.Invitation", ("token_digest",)),  # a random secret's digest: the e-mailed link alone finds it
    ("advocacy.ApiToken", ("token_digest",)),  # a random secret's digest: the bearer token alone finds it
    ("analytics.TrackedLink", ("code",)),  # the short link alone finds it: /r/<code> names no organisation
}


def _copy_kwargs(row: models.Model, **changes: Any) -> dict[str, Any]:
    """The concrete field values of ``row`` without its primary key, to build a twin."""
    values = {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields if not f.primary_key}
    values.update(changes)
    return values


def _plain_field(model: type[models.Model]) -> str:
    """A concrete field other than the primary key and the organisation, to write in ``update()``."""
    for field in model._meta.concrete_fields:
        if not field.primary_key and field.name != "organization":
            return field.attname
    raise AssertionError(f"{model._meta.label} has no field to update")


def _row_count(model: type[models.Model], organization: Organization) -> int:
    with scopes_disabled():
        return model.objects.filter(organization=organization).count()


@pytest.fixture
def acme(db) -> Organization:
    return OrganizationFactory(slug="acme", name="Acme")


@pytest.fixture
def globex(db) -> Organization:
    return OrganizationFactory(slug="globex", name="Globex")


def _row_in(model: type[models.Model], organization: Organization) -> models.Model:
    with organization_scope(organization):
        return make_tenant_row(model, organization)


def test_the_discovery_finds_the_tenant_models_of_the_core():
    labels = {model._meta.label for model in TENANT_MODELS}
    assert {"advocacy.Membership", "advocacy.Programme", "advocacy.ProgrammeMember"} <= labels
    assert {"advocacy.Invitation", "advocacy.AuditEntry", "advocacy.ApiToken"} <= labels
    assert "advocacy.Organization" not in labels


# --- T3: the scoped manager is the default manager ------------------------------------------------------------------


@pytest.mark.parametrize("model", MODEL_PARAMS)
def test_the_default_manager_of_every_tenant_model_is_the_tenant_manager(model):
    assert isinstance(model._default_manager, TenantManager)
    assert model.objects is model._default_manager
    for manager in model._meta.managers:
        assert isinstance(manager, TenantManager), f"{model._meta.label}.{manager.name} is not scoped"


@pytest.mark.parametrize("model", MODEL_PARAMS)
def test_the_base_manager_stays_unfiltered_for_django_internals(model):
    # Django follows foreign keys of an already loaded row through _base_manager; it must not be the scoped one.
    assert not isinstance(model._base_manager, TenantManager)


# --- T1 and T2: outside a scope, every database access raises --------------------------------------------------------

OUTSIDE_SCOPE_OPERATIONS: dict[str, Callable[[Any, Any], Any]] = {
    "list": lambda model, row: list(model.objects.all()),
    "filter": lambda model, row: list(model.objects.filter(pk=row.pk)),
    "slice": lambda model, row: model.objects.all()[0],
    "count": lambda model, row: model.objects.count(),
    "get": lambda model, row: model.objects.get(pk=row.pk),
    "first": lambda model, row: model.objects.first(),
    "last": lambda model, row: model.objects.last(),
    "exists": lambda model, row: model.objects.exists(),
    "contains": lambda model, row: model.objects.contains(row),
    "explain": lambda model, row: model.objects.all().explain(),
    "in_bulk": lambda model, row: model.objects.in_bulk([row.pk]),
    "cursor_rows": lambda model, row: model.objects.filter(pk=row.pk).values_list("pk").cursor_rows(),
    "values": lambda model, row: list(model.objects.values()),
    "values_list": lambda model, row: list(model.objects.values_list("pk", flat=True)),
    "aggregate": lambda model, row: model.objects.aggregate(total=Count("pk")),
    "iterator": lambda model, row: list(model.objects.iterator()),
    "union": lambda model, row: list(model.objects.filter(pk=row.pk).union(model.objects.all())),
    "update": lambda model, row: model.objects.filter(pk=row.pk).update(
        **{_plain_field(model): getattr(row, _plain_field(model))}
    ),
    "delete": lambda model, row: model.objects.filter(pk=row.pk).delete(),
    "create": lambda model, row: model.objects.create(**_copy_kwargs(row)),
    "bulk_create": lambda model, row: model.objects.bulk_create([model(**_copy_kwargs(row))]),
    "bulk_update": lambda model, row: model.objects.bulk_update([row], [_plain_field(model)]),
    "get_or_create": lambda model, row: model.objects.get_or_create(pk=row.pk),
    "update_or_create": lambda model, row: model.objects.update_or_create(pk=row.pk, defaults={}),
    "instance.save": lambda model, row: row.save(),
    "new instance.save": lambda model, row: model(**_copy_kwargs(row)).save(),
    "instance.delete": lambda model, row: row.delete(),
}


@pytest.mark.parametrize("operation", list(OUTSIDE_SCOPE_OPERATIONS))
@pytest.mark.parametrize("model", MODEL_PARAMS)
def test_every_database_access_outside_a_scope_raises_and_writes_nothing(model, operation, acme):
    row = _row_in(model, acme)
    before = _row_count(model, acme)

    with pytest.raises(ScopeError, match=UNSCOPED):
        OUTSIDE_SCOPE_OPERATIONS[operation](model, row)

    assert _row_count(model, acme) == before
    with scopes_disabled():
        assert model.objects.filter(pk=row.pk).exists()


def test_a_scope_needs_a_saved_organisation():
    with pytest.raises(ScopeError):
        with organization_scope(Organization(slug="unsaved", name="Unsaved")):
            pass


# --- Inside a scope: only the active organisation's rows exist --------------------------------------------------------


@pytest.mark.parametrize("model", MODEL_PARAMS)
def test_a_scope_sees_its_own_rows_and_never_another_organisations(model, acme, globex):
    row_a, row_b = _row_in(model, acme), _row_in(model, globex)

    with organization_scope(acme):
        assert set(model.objects.values_list("organization_id", flat=True)) == {acme.pk}
        assert model.objects.count() == _row_count(model, acme)
        assert model.objects.filter(pk=row_a.pk).exists()
        assert not model.objects.filter(pk=row_b.pk).exists()
        assert not model.objects.contains(row_b)
        assert model.objects.in_bulk([row_a.pk, row_b.pk]).keys() == {row_a.pk}
        with pytest.raises(model.DoesNotExist):
            model.objects.get(pk=row_b.pk)
        assert model.objects.filter(pk=row_b.pk).delete()[0] == 0

    with scopes_disabled():
        assert model.objects.filter(pk=row_b.pk).exists()


def test_a_new_row_takes_the_active_organisation_when_none_is_given(acme):
    with organization_scope(acme):
        programme = Programme.objects.create(name="News", slug="news")
    assert programme.organization_id == acme.pk


@pytest.mark.parametrize("model", MODEL_PARAMS)
def test_writing_another_organisations_row_inside_a_scope_raises(model, acme, globex):
    row_b = _row_in(model, globex)
    field = _plain_field(model)

    with organization_scope(acme):
        with pytest.raises(ScopeError):
            row_b.save()
        with pytest.raises(ScopeError):
            model(**_copy_kwargs(row_b)).save()
        with pytest.raises(ScopeError):
            model.objects.create(**_copy_kwargs(row_b))
        with pytest.raises(ScopeError):
            model.objects.bulk_create([model(**_copy_kwargs(row_b))])
        with pytest.raises(ScopeError):
            model.objects.bulk_update([row_b], [field])
        with pytest.raises(ScopeError):
            row_b.delete()

    assert _row_count(model, globex) == 1
    assert _row_count(model, acme) == 0


@pytest.mark.parametrize("model", MODEL_PARAMS)
def test_no_update_moves_a_row_to_another_organisation(model, acme, globex):
    row_a = _row_in(model, acme)

    with organization_scope(acme):
        with pytest.raises(ScopeError):
            model.objects.filter(pk=row_a.pk).update(organization=globex)
        with pytest.raises(ScopeError):
            model.objects.all().update(organization_id=globex.pk)

    with scopes_disabled():
        assert model.objects.get(pk=row_a.pk).organization_id == acme.pk


@pytest.mark.parametrize("model", MODEL_PARAMS)
def test_scopes_disabled_sees_every_organisation(model, acme, globex):
    row_a, row_b = _row_in(model, acme), _row_in(model, globex)
    with scopes_disabled():
        assert {row_a.pk, row_b.pk} <= set(model.objects.values_list("pk", flat=True))
        assert model.objects.filter(organization__in=[acme, globex]).count() == (
            _row_count(model, acme) + _row_count(model, globex)
        )


# --- Related managers are scoped too ---------------------------------------------------------------------------------


def _reverse_relations() -> list[Any]:
    """Every one-to-many reverse accessor (``organization.memberships``, ``programme.members``…) onto a tenant model."""
    tenant = set(TENANT_MODELS)
    params = []
    for parent in [Organization, *TENANT_MODELS]:
        for relation in parent._meta.related_objects:
            if relation.one_to_many and not relation.hidden and relation.related_model in tenant:
                accessor = relation.get_accessor_name()
                params.append(pytest.param(parent, relation, id=f"{parent._meta.label}.{accessor}"))
    return params


REVERSE_RELATIONS = _reverse_relations()


def test_the_reverse_relations_named_in_the_design_are_checked():
    names = {param.id for param in REVERSE_RELATIONS}
    assert {"advocacy.Organization.memberships", "advocacy.Programme.members"} <= names


@pytest.mark.parametrize(("parent_model", "relation"), REVERSE_RELATIONS)
def test_related_managers_are_scoped(parent_model, relation, acme, globex):
    with organization_scope(acme):
        parent = acme if parent_model is Organization else make_tenant_row(parent_model, acme)
        links = {} if parent_model is Organization else {relation.field.name: parent}
        child = make_tenant_row(relation.related_model, acme, **links)
    related = getattr(parent, relation.get_accessor_name())

    with pytest.raises(ScopeError, match=UNSCOPED):
        list(related.all())
    with pytest.raises(ScopeError, match=UNSCOPED):
        related.count()
    with organization_scope(acme):
        assert child in related.all()
    with organization_scope(globex):
        assert list(related.all()) == []
        assert not related.exists()


# --- Per-tenant names are unique per organisation -------------------------------------------------------------------


def _unique_field_sets(model: type[models.Model]) -> list[tuple[str, ...]]:
    sets = [(field.name,) for field in model._meta.concrete_fields if field.unique and not field.primary_key]
    sets += [tuple(fields) for fields in model._meta.unique_together]
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and constraint.fields:
            sets.append(tuple(constraint.fields))
    return sets


def _is_scoped_by(model: type[models.Model], fields: tuple[str, ...]) -> bool:
    """True when the fields include the organisation, or a foreign key to a row that itself belongs to one."""
    tenant = set(TENANT_MODELS)
    for name in fields:
        field = model._meta.get_field(name)
        if name == "organization" or (field.is_relation and field.related_model in tenant):
            return True
    return False


@pytest.mark.parametrize("model", MODEL_PARAMS)
def test_unique_names_of_a_tenant_model_are_unique_per_organisation(model):
    offenders = [
        fields
        for fields in _unique_field_sets(model)
        if not _is_scoped_by(model, fields) and (model._meta.label, fields) not in GLOBALLY_UNIQUE
    ]
    assert offenders == [], (
        f"{model._meta.label}: unique across every organisation: {offenders}. Include `organization` in the "
        "constraint, or list it in GLOBALLY_UNIQUE with the reason it must be global."
    )


def test_two_organisations_may_use_the_same_programme_slug(acme, globex):
    with organization_scope(acme):
        make_tenant_row(Programme, acme, slug="news")
    with organization_scope(globex):
        make_tenant_row(Programme, globex, slug="news")
    assert any(
        isinstance(c, models.UniqueConstraint) and set(c.fields) == {"organization", "slug"}
        for c in Programme._meta.constraints
    )
