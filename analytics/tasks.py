"""The clicks' background work, on the ``clicks`` queue: the flusher (every few seconds), and the hourly
maintenance (partitions ahead, retention, yesterday's visitor keys destroyed). The daily rollups' tick and its runs
per organisation, and the weekly summaries' tick and batches, stay on the default queue; dashboard exports are written
on the ``exports`` queue, and deleted once expired by an hourly tick."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from celery import shared_task
from django.conf import settings
from django.db import connection
from django.utils import timezone

from advocacy.locks import cache_lock, tick_once
from advocacy.models import Organization
from advocacy.tasks import TenantTask, retry_unsent
from advocacy.tenancy import active_organization, organization_scope
from analytics import partitions
from analytics.clicks import flush_stream, local_day
from analytics.dashboard import work_out_ahead
from analytics.exports import EXPORT_SECONDS
from analytics.models import Export
from analytics.presentation import quick_periods
from analytics.rollups import rollup_changed
from analytics.services import export_build, exports_delete_expired
from analytics.summaries import weekly_summaries_send
from analytics.ticks import due_weekly_summaries, organizations_with_expired_exports, readers_without_summary

# A flush stops after this many seconds so that beat's next message finds the queue free; the next one goes on.
FLUSH_SECONDS = 50.0
# A second beat message within this time (a restarted beat, two beats by mistake) enqueues nothing.
ROLLUP_TICK_SECONDS = 60
# Longer than one organisation's incremental rollup may take: two runs at once would write the same days.
ROLLUP_LOCK_SECONDS = 30 * 60
SUMMARY_BATCH_SIZE = 500
# A second beat message within this time (a restarted beat, two beats by mistake) enqueues nothing.
SUMMARY_TICK_SECONDS = 240


@shared_task(name="analytics.flush_clicks")
def flush_clicks() -> dict[str, int]:
    """Write the clicks waiting in the stream. Two flushers at once are safe (a consumer group gives each entry to
    one), so no lock: a slow flush is helped, not blocked."""
    return asdict(flush_stream(max_seconds=FLUSH_SECONDS))


@shared_task(name="analytics.maintain_clicks")
def maintain_clicks() -> dict[str, Any]:
    with cache_lock("analytics:maintain-clicks", 600) as acquired:
        if not acquired:
            return {"skipped": True}
        today = timezone.now().date()
        created = partitions.ensure_partitions(today)
        dropped = partitions.drop_expired(today, int(settings.RELAIS_CLICKS_RETENTION_MONTHS))
        forgotten = forget_past_visitors()
    return {"created": created, "dropped": dropped, "visitor_keys_deleted": forgotten}


def forget_past_visitors(now: Any = None) -> int:
    """Delete the visitor keys (and the day's visitor list) of every day that is over in the organisation's time
    zone: from then on nobody can link that day's visitor hashes to an address."""
    now = now or timezone.now()
    by_day: dict[date, list[int]] = defaultdict(list)
    for organization_id, time_zone in Organization.objects.values_list("pk", "time_zone"):
        by_day[local_day(now, time_zone)].append(organization_id)
    deleted = 0
    with connection.cursor() as cursor:
        for today, organization_ids in by_day.items():
            marks = ", ".join(["%s"] * len(organization_ids))
            params = [*organization_ids, connection.ops.adapt_datefield_value(today)]
            cursor.execute(f"DELETE FROM analytics_visitorkey WHERE organization_id IN ({marks}) AND day < %s", params)
            deleted += cursor.rowcount
            cursor.execute(
                f"DELETE FROM analytics_dailyvisitor WHERE organization_id IN ({marks}) AND day < %s", params
            )
    return deleted


@shared_task(name="analytics.rollup_changed")
def rollup_changed_tick() -> int:
    """Beat tick (cross-tenant): enqueue one ``rollup_organization`` per active organisation, each in its own scope.
    Returns how many were enqueued."""
    if not tick_once("analytics:rollup-tick", ROLLUP_TICK_SECONDS):
        return 0
    organization_ids = list(Organization.objects.filter(is_active=True).values_list("pk", flat=True))
    for organization_id in organization_ids:
        rollup_organization.apply_async(kwargs={"organization_id": organization_id})
    return len(organization_ids)


@shared_task(base=TenantTask, bind=True, name="analytics.rollup_organization")
def rollup_organization(self: TenantTask, *, organization_id: int) -> dict[str, Any]:
    """Rewrite the organisation's rollup days changed since its last run (``analytics.rollups.rollup_changed``), then
    work out its dashboard's quick periods if someone opened it lately (``analytics.dashboard.work_out_ahead``).
    Safe to run twice: a run while another holds the organisation returns at once, and a later one finds nothing
    new beyond the look-back."""
    with cache_lock(f"org:{organization_id}:rollup", ROLLUP_LOCK_SECONDS) as acquired:
        if not acquired:
            return {"outcome": "locked"}
        organization = active_organization()
        assert organization is not None  # TenantTask entered its scope
        days = rollup_changed(organization=organization)
        today = timezone.localdate(timezone.now(), ZoneInfo(organization.time_zone))
        ahead = work_out_ahead(organization, [period for _label, period in quick_periods(today)])
    return {"outcome": "done", "days": [day.isoformat() for day in days], "periods_worked_out": ahead}


@shared_task(name="analytics.weekly_summaries_tick")
def weekly_summaries_tick() -> int:
    """Beat tick, every five minutes (cross-tenant): enqueue the due weekly summaries, each organisation on its own."""
    if not tick_once("analytics:weekly-summaries-tick", SUMMARY_TICK_SECONDS):
        return 0
    return enqueue_weekly_summaries()


def enqueue_weekly_summaries(*, now: datetime | None = None, batch_size: int = SUMMARY_BATCH_SIZE) -> int:
    """Enqueue ``send_weekly_summaries`` per organisation for the due summaries and the dashboard readers without a
    row yet, in batches; returns how many batches.

    A batch enqueued twice (two ticks before it ran) sends nothing twice: each summary is keyed by member and week,
    and a member whose next summary moved on is no longer due."""
    by_organization: dict[int, list[int]] = defaultdict(list)
    for membership_id, organization_id in [*readers_without_summary(), *due_weekly_summaries(now=now)]:
        by_organization[organization_id].append(membership_id)
    batches = 0
    for organization_id, membership_ids in by_organization.items():
        for start in range(0, len(membership_ids), batch_size):
            send_weekly_summaries.apply_async(
                kwargs={
                    "organization_id": organization_id,
                    "membership_ids": membership_ids[start : start + batch_size],
                }
            )
            batches += 1
    return batches


@shared_task(base=TenantTask, bind=True, name="analytics.send_weekly_summaries")
def send_weekly_summaries(self: TenantTask, *, organization_id: int, membership_ids: list[int]) -> int:
    """Send the due weekly summaries of a batch of members; returns how many e-mails were sent now.

    Safe to run twice: each summary is sent once per member and week; those the mail server refused are retried on
    their own, their moment unchanged until they go out."""
    run = weekly_summaries_send(organization_id=organization_id, membership_ids=membership_ids)
    retry_unsent(self, run.batch, ids_argument="membership_ids")
    return run.batch.sent


@shared_task(
    base=TenantTask,
    bind=True,
    name="analytics.build_export",
    time_limit=EXPORT_SECONDS,
    soft_time_limit=EXPORT_SECONDS - 60,
)
def build_export(self: TenantTask, *, organization_id: int, export_id: int) -> dict[str, Any]:
    """Write one export (``analytics.services.export_build``). Safe to run twice: the second run finds it claimed or
    done; an export deleted meanwhile (expired) is nothing to do."""
    export = Export.objects.filter(pk=export_id).first()
    if export is None:
        return {"outcome": "gone"}
    return {"outcome": "written" if export_build(export=export) else "already claimed"}


@shared_task(name="analytics.delete_expired_exports")
def delete_expired_exports() -> int:
    """Beat tick (cross-tenant): delete the expired exports of each organisation that has some, in its scope. Returns
    how many. Two ticks at once are harmless: a file already deleted is skipped by the storage."""
    now = timezone.now()
    deleted = 0
    for organization in Organization.objects.filter(pk__in=organizations_with_expired_exports(now=now)):
        with organization_scope(organization):
            deleted += exports_delete_expired(organization=organization, now=now)
    return deleted
