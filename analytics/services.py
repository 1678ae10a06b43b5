"""Changes to how an organisation's links are tracked, each with its audit entry."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from advocacy.errors import ServiceError
from advocacy.models import Organization, User
from advocacy.services import audit_log, save_or_refuse
from analytics.links import utm_template_errors
from analytics.models import TrackingSettings


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
