"""The worker entry point of the tenant scope."""

from __future__ import annotations

import math
from typing import Any

from celery import Task, shared_task

from advocacy.logging import log_organization_id
from advocacy.mail import EmailBatch, EmailsNotSent
from advocacy.models import AuditEntry, Organization
from advocacy.tenancy import organization_scope

# Waits before the retries of a batch's unsent e-mails (seconds), about 1 h 40 in all; each shorter than the Redis
# broker's visibility timeout (an hour), which would otherwise deliver the waiting message a second time.
EMAIL_RETRY_DELAYS = (60, 300, 900, 1800, 3000)


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


def retry_unsent(task: Task, batch: EmailBatch, *, ids_argument: str | None = None) -> None:  # type: ignore[type-arg]
    """Retry an e-mail task when messages of its batch were not sent; nothing when all went out.

    The messages sent are not sent again by a retry anyway (``advocacy.mail``). With ``ids_argument`` (the task's
    list of ids), the retry is narrowed to the ids of the unsent ones, which spares reading the others again. After
    the last retry the task fails with ``EmailsNotSent`` (logged by the worker).
    """
    if not batch.failed:
        return
    delay = EMAIL_RETRY_DELAYS[min(task.request.retries, len(EMAIL_RETRY_DELAYS) - 1)]
    if batch.retry_in is not None:
        delay = max(delay, math.ceil(batch.retry_in))
    raise task.retry(
        kwargs={**(task.request.kwargs or {}), **({ids_argument: batch.failed} if ids_argument else {})},
        countdown=delay,
        max_retries=len(EMAIL_RETRY_DELAYS),
        exc=EmailsNotSent(f"{len(batch.failed)} e-mail(s) not sent"),
    )


@shared_task(base=TenantTask, bind=True, name="advocacy.send_invitations")
def send_invitations(self: TenantTask, *, organization_id: int, invitation_ids: list[int]) -> int:
    """E-mail each invitation of a batch its link; returns how many were sent now.

    Safe to run twice: each invitation is e-mailed once (``advocacy.mail``); one refused by the mail server is
    retried on its own while the others go out. An invitation accepted, revoked or expired meanwhile is skipped.
    """
    from advocacy.services import invitations_email

    batch = invitations_email(organization_id=organization_id, invitation_ids=invitation_ids)
    retry_unsent(self, batch, ids_argument="invitation_ids")
    return batch.sent
