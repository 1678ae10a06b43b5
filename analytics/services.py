"""Changes to how an organisation's links are tracked, each with its audit entry; dashboard exports queued, written
and deleted once expired."""

from __future__ import annotations

import secrets
import tempfile
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from advocacy.errors import ServiceError
from advocacy.media import organization_prefix
from advocacy.models import Membership, Organization, User
from advocacy.services import audit_log, save_or_refuse
from ambassadors.notifications import notify_member
from analytics.dashboard import Filters
from analytics.exports import (
    EXPORT_SECONDS,
    csv_lines,
    download_name,
    filters_from_json,
    filters_to_json,
    sheets,
    write_xlsx,
)
from analytics.links import utm_template_errors
from analytics.models import Export, TrackingSettings

EXPORT_READY = "export_ready"


@transaction.atomic
def tracking_settings_save(*, organization: Organization, by: User | None, utm_template: str) -> TrackingSettings:
    """Set the parameters added to every shared link (empty: none). Links already made keep their destination."""
    utm_template = utm_template.strip()
    errors = utm_template_errors(utm_template)
    if errors:
        raise ServiceError(" ".join(errors), code="invalid", field="utm_template")
    row = TrackingSettings.objects.select_for_update().filter(organization=organization).first()
    row = row or TrackingSettings(organization=organization)
    row.utm_template = utm_template
    save_or_refuse(row, refusal=ServiceError(_("These settings were changed meanwhile; try again."), code="conflict"))
    audit_log(
        organization=organization,
        actor=by,
        action="tracking.updated",
        target=row,
        data={"utm_template": utm_template},
    )
    return row


@transaction.atomic
def export_request(
    *,
    organization: Organization,
    membership: Membership,
    filters: Filters,
    table: str,
    file_format: str,
    rows_total: int,
) -> Export:
    """Queue an export too large for the request; a worker writes it (``analytics.tasks.build_export``, enqueued
    after commit on the ``exports`` queue). The member finds it on its status page and is told when it is ready."""
    export = Export.objects.create(
        organization=organization,
        requested_by=membership,
        table=table,
        file_format=file_format,
        filters=filters_to_json(filters),
        rows_total=rows_total,
        download_name=download_name(organization, filters, table, file_format),
        expires_at=timezone.now() + timedelta(days=settings.RELAIS_EXPORT_DAYS),
    )
    from analytics.tasks import build_export

    transaction.on_commit(
        partial(build_export.apply_async, kwargs={"organization_id": organization.pk, "export_id": export.pk})
    )
    return export


def export_build(*, export: Export, now: datetime | None = None) -> bool:
    """Write an export's file, mark it ready and tell the member who asked. Returns whether this run wrote it.

    Safe to run twice: a run first claims the export with a compare-and-set (waiting → in progress, or in progress
    for longer than a task may live, when its worker died), so a second run finds it claimed or done and returns
    False. An error marks the export failed and is raised again for the worker's log."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=EXPORT_SECONDS)
    waiting = Q(status=Export.Status.QUEUED) | Q(status=Export.Status.RUNNING, started_at__lt=stale)
    if not Export.objects.filter(waiting, pk=export.pk).update(
        status=Export.Status.RUNNING, started_at=now, rows_done=0
    ):
        return False
    membership = Membership.objects.select_related("user", "organization").get(pk=export.requested_by_id)
    try:
        with translation.override(membership.reading_language()):
            stored = _export_write(export)
    except Exception:
        Export.objects.filter(pk=export.pk).update(status=Export.Status.FAILED, finished_at=timezone.now())
        raise
    with transaction.atomic():
        Export.objects.filter(pk=export.pk).update(
            status=Export.Status.DONE, stored_name=stored, rows_done=F("rows_total"), finished_at=timezone.now()
        )
        notify_member(
            membership=membership,
            kind=EXPORT_READY,
            message=gettext_lazy("Your export “%(name)s” is ready to download."),
            url=reverse("analytics_export_status", args=[membership.organization.slug, export.pk]),
            params={"name": export.download_name},
        )
    return True


def _export_write(export: Export) -> str:
    """Write the file to a temporary file, then into the storage under a name nobody can guess; its name there."""
    organization = export.organization
    filters = filters_from_json(organization, export.filters)

    def progress(rows: int) -> None:
        Export.objects.filter(pk=export.pk).update(rows_done=F("rows_done") + rows)

    with tempfile.TemporaryFile() as handle:
        if export.file_format == Export.Format.XLSX:
            write_xlsx(sheets(organization, filters, export.table), handle, progress)
        else:
            for piece in csv_lines(next(sheets(organization, filters, export.table)), progress):
                handle.write(piece.encode())
        handle.seek(0)
        name = f"{organization_prefix(organization)}exports/{secrets.token_urlsafe(24)}.{export.file_format}"
        return str(default_storage.save(name, File(handle)))


@transaction.atomic
def exports_delete_expired(*, organization: Organization, now: datetime | None = None) -> int:
    """Delete the organisation's exports past their expiry, files first (a file left by a failed delete is found
    again next time through its row). Returns how many."""
    expired = list(
        Export.objects.filter(organization=organization, expires_at__lte=now or timezone.now()).values_list(
            "pk", "stored_name"
        )
    )
    for _pk, name in expired:
        if name:
            default_storage.delete(name)
    Export.objects.filter(organization=organization, pk__in=[pk for pk, _name in expired]).delete()
    return len(expired)
