"""Fail-closed tenant scoping.

We keep django-scopes' scope state (``scope()``, ``scopes_disabled()``, a ContextVar) and replace its manager:
django-scopes lets ``exists()``, ``contains()``, ``explain()``, ``create()`` and ``bulk_create()`` through outside
a scope, and filters nothing when the scope value is ``None``. Here every database access of a tenant queryset
checks the scope, and saving a row checks that it belongs to the active organisation.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import connections, models
from django_scopes import ScopeError, get_scope, scope, scopes_disabled

if TYPE_CHECKING:
    from advocacy.models import Organization

__all__ = [
    "ScopeError",
    "TenantManager",
    "TenantModel",
    "TenantQuerySet",
    "active_organization_id",
    "organization_scope",
    "scopes_disabled",
]

_M = TypeVar("_M", bound=models.Model)


def _scope_state() -> tuple[bool, Any]:
    """Return (enforced, organization) for the current context."""
    current = get_scope()
    if not current.get("_enabled", True):
        return False, None
    return True, current.get("organization")


def active_organization() -> Organization | None:
    """The organisation whose scope is active (a task's, a request's), or None when there is none (or scoping is
    off): what a scoped body reads instead of fetching its organisation again."""
    enforced, organization = _scope_state()
    return organization if enforced else None


def active_organization_id() -> int | None:
    """The id of the organisation whose scope is active, or None when there is none (or scoping is off)."""
    organization = active_organization()
    return None if organization is None else int(organization.pk)


@contextmanager
def organization_scope(organization: Organization) -> Iterator[None]:
    """Enter the scope of one organisation. The only way our entry points (middleware, API, tasks) do it."""
    if organization is None or organization.pk is None:
        raise ScopeError("A scope needs a saved organisation.")
    with scope(organization=organization):
        yield


def _require_scope(model: type[models.Model]) -> None:
    enforced, organization = _scope_state()
    if enforced and organization is None:
        raise ScopeError(f"{model.__name__}: an organisation scope must be active for this query.")


def _check_row_organization(obj: models.Model) -> None:
    """Fill a new row's organisation from the scope, or refuse a row that belongs to another organisation."""
    enforced, organization = _scope_state()
    if not enforced:
        return
    if organization is None:
        raise ScopeError(f"{type(obj).__name__}: an organisation scope must be active to write this row.")
    current = getattr(obj, "organization_id", None)
    if current is None:
        obj.organization_id = organization.pk  # type: ignore[attr-defined]
    elif current != organization.pk:
        raise ScopeError(f"{type(obj).__name__}: this row belongs to another organisation than the active scope.")


class TenantQuerySet(models.QuerySet[_M]):
    """A queryset whose every database access requires an active organisation scope."""

    def _fetch_all(self) -> None:
        if self._result_cache is None:
            _require_scope(self.model)
        super()._fetch_all()

    def iterator(self, chunk_size: int | None = None) -> Iterator[_M]:
        _require_scope(self.model)
        return super().iterator(chunk_size=chunk_size)

    def count(self) -> int:
        _require_scope(self.model)
        return super().count()

    def exists(self) -> bool:
        _require_scope(self.model)
        return super().exists()

    def contains(self, obj: models.Model) -> bool:
        _require_scope(self.model)
        return super().contains(obj)

    def cursor_rows(self, before: str = "", after: str = "") -> list[tuple[Any, ...]]:
        """The rows of this query as the database driver gives them, without Django's converter on each value: for
        integer sums read by the thousand (a ranking's), which already are Python ints. Dates and decimals come as
        the driver gives them, which differs between databases: not for those. ``before`` and ``after``: SQL written
        around this query's, which runs in its place (a ``WITH`` naming its rows, then a statement over them)."""
        _require_scope(self.model)
        sql, params = self.query.sql_with_params()
        with connections[self.db].cursor() as cursor:
            cursor.execute(f"{before}{sql}{after}", params)
            return list(cursor.fetchall())

    def explain(self, *, format: Any = None, **options: Any) -> str:  # noqa: A002 - Django's signature
        _require_scope(self.model)
        return super().explain(format=format, **options)

    def aggregate(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        _require_scope(self.model)
        return super().aggregate(*args, **kwargs)

    def in_bulk(self, id_list: Any = None, *, field_name: str = "pk") -> dict[Any, _M]:
        _require_scope(self.model)
        return super().in_bulk(id_list, field_name=field_name)

    def update(self, **kwargs: Any) -> int:
        _require_scope(self.model)
        if "organization" in kwargs or "organization_id" in kwargs:
            raise ScopeError(f"{self.model.__name__}: a row never moves to another organisation.")
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        _require_scope(self.model)
        return super().delete()

    def create(self, **kwargs: Any) -> _M:
        _require_scope(self.model)
        return super().create(**kwargs)

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list[_M]:
        _require_scope(self.model)
        objs = list(objs)
        for obj in objs:
            _check_row_organization(obj)
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs: Any, fields: Any, batch_size: int | None = None) -> int:
        _require_scope(self.model)
        objs = list(objs)
        for obj in objs:
            _check_row_organization(obj)
        return super().bulk_update(objs, fields, batch_size=batch_size)

    def get_or_create(self, defaults: Any = None, **kwargs: Any) -> tuple[_M, bool]:
        _require_scope(self.model)
        return super().get_or_create(defaults=defaults, **kwargs)

    def update_or_create(self, defaults: Any = None, create_defaults: Any = None, **kwargs: Any) -> tuple[_M, bool]:
        _require_scope(self.model)
        return super().update_or_create(defaults=defaults, create_defaults=create_defaults, **kwargs)


class TenantManager(models.Manager[_M]):
    """Default manager of every tenant model: filters by the active organisation, raises without one.

    The check happens when the query runs, not when the queryset is built, so querysets declared at import time
    (a form field's ``queryset=``) stay possible; they are filtered again when used inside a scope.
    """

    _queryset_class = TenantQuerySet

    def get_queryset(self) -> TenantQuerySet[_M]:
        queryset: TenantQuerySet[_M] = super().get_queryset()  # type: ignore[assignment]
        enforced, organization = _scope_state()
        if enforced and organization is not None:
            return queryset.filter(organization=organization)
        return queryset


class TenantModel(models.Model):
    """Base for every row owned by an organisation: the scoped default manager and a checked save()."""

    organization = models.ForeignKey("advocacy.Organization", on_delete=models.CASCADE, related_name="+")

    objects = TenantManager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        _check_row_organization(self)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        _require_scope(type(self))
        enforced, organization = _scope_state()
        if enforced and self.organization_id != organization.pk:
            raise ScopeError(f"{type(self).__name__}: this row belongs to another organisation.")
        return super().delete(*args, **kwargs)
