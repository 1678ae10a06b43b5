"""The worker entry point of the tenant scope."""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task

from advocacy.logging import log_organization_id
from advocacy.models import AuditEntry, Organization
from advocacy.tenancy import organization_scope


class MissingOrganization(ValueError):
    """A tenant task was sent without ``organization_id``: it refuses to run rather than guess a scope."""


class TenantTask(Task):  # type: ignore[type-arg]
    """Base of every task that touches tenant data.

    Contract: the task takes ``organization_id`` as a keyword argument (plus object ids, never objects); the body
    runs inside that organisation's scope, which is left in ``finally`` so no later task in the same worker
    process inherits it. A message without ``organization_id`` is refused at send time and again in the worker.
    """

    abstract = True

    def apply_async(self, args: Any = None, kwargs: Any = None, *rest: Any, **options: Any) -> Any:
        if not kwargs or kwargs.get("organization_id") is None:
            raise MissingOrganization(f"{self.name} needs organization_id as a keyword argument.")
        return super().apply_async(args, kwargs, *rest, **options)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        organization_id = kwargs.get("organization_id")
        if organization_id is None:
            raise MissingOrganization(f"{self.name} was sent without organization_id; refused.")
        organization = Organization.objects.get(pk=organization_id)
        with organization_scope(organization):
            token = log_organization_id.set(organization.pk)
            try:
                return super().__call__(*args, **kwargs)
            finally:
                log_organization_id.reset(token)


@shared_task(base=TenantTask, bind=True, name="advocacy.record_probe")
def record_probe(self: TenantTask, *, organization_id: int, label: str) -> dict[str, Any]:
    """Write an audit entry in the task's scope and report what the scope let the task see.

    Used by operations to check that workers run and enter scopes (``manage.py`` health probes and tests).
    """
    entry = AuditEntry.objects.create(action="worker.probe", data={"label": label})
    # order_by() drops the default ordering, which would put created_at into the DISTINCT.
    visible = sorted(AuditEntry.objects.order_by().values_list("organization_id", flat=True).distinct())
    return {"organization_id": entry.organization_id, "visible_organizations": visible}
