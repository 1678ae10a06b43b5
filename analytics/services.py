"""Changes to how an organisation's links are tracked, what its reach is worth and what its programmes aim for,
each with its audit entry."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from advocacy.errors import ServiceError
from advocacy.models import Organization, Programme, User
from advocacy.services import audit_log, save_or_refuse
from analytics.links import utm_template_errors
from analytics.models import Currency, EmvRates, ProgrammeGoal, TrackingSettings


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


def _rates_data(row: EmvRates) -> dict[str, str]:
    # Text, not numbers: JSON would turn 0.1 into a float that prints 0.1000000000000000055…
    return {"currency": row.currency, **{name: str(getattr(row, name)) for name in EmvRates.RATE_FIELDS}}


@transaction.atomic
def emv_rates_save(
    *, organization: Organization, by: User | None, currency: str, rates: Mapping[str, Decimal]
) -> EmvRates:
    """Set the currency and the six rates (``EmvRates.RATE_FIELDS``, each 0 or more). The audit entry keeps the old
    and the new rates; saving the same rates again changes and records nothing."""
    if currency not in Currency.values:
        raise ServiceError(_("Pick a currency from the list."), code="invalid_currency", field="currency")
    if set(rates) != set(EmvRates.RATE_FIELDS):
        raise ValueError(f"emv_rates_save needs exactly the rates {EmvRates.RATE_FIELDS}")
    for name, rate in rates.items():
        if rate < 0:
            raise ServiceError(_("A rate cannot be negative."), code="negative_rate", field=name)
    row = EmvRates.objects.select_for_update().filter(organization=organization).first()
    row = row or EmvRates(organization=organization)
    old = _rates_data(row)
    row.currency = currency
    for name, rate in rates.items():
        setattr(row, name, rate)
    # Compared as numbers: "5.00" and "5.0000" are the same rate.
    if (
        row.pk is not None
        and old["currency"] == currency
        and all(Decimal(old[name]) == rates[name] for name in EmvRates.RATE_FIELDS)
    ):
        return row
    save_or_refuse(row, refusal=ServiceError(_("These settings were changed meanwhile; try again."), code="conflict"))
    row.refresh_from_db()
    audit_log(
        organization=organization,
        actor=by,
        action="emv_rates.updated",
        target=row,
        data={"old": old, "new": _rates_data(row)},
    )
    return row


@transaction.atomic
def programme_goal_save(
    *,
    programme: Programme,
    by: User | None,
    year: int,
    quarter: int,
    targets: Mapping[str, int | None],
) -> ProgrammeGoal | None:
    """Set a programme's targets for one quarter (``ProgrammeGoal.TARGETS``, each None or 1 or more). With every
    target empty the quarter's goal is removed (None is returned). Audited with the old and new targets."""
    if quarter not in ProgrammeGoal.Quarter.values:
        raise ServiceError(_("Pick a quarter from 1 to 4."), code="invalid_quarter", field="quarter")
    if set(targets) != set(ProgrammeGoal.TARGETS):
        raise ValueError(f"programme_goal_save needs exactly the targets {ProgrammeGoal.TARGETS}")
    for name, value in targets.items():
        if value is not None and value < 1:
            raise ServiceError(_("A target is a whole number of 1 or more."), code="invalid_target", field=name)
    organization = programme.organization
    row = (
        ProgrammeGoal.objects.select_for_update()
        .filter(organization=organization, programme=programme, year=year, quarter=quarter)
        .first()
    )
    old = {name: getattr(row, name) for name in ProgrammeGoal.TARGETS} if row is not None else None
    data = {"name": programme.name, "programme": programme.pk, "year": year, "quarter": quarter, "old": old}
    if all(value is None for value in targets.values()):
        if row is None:
            return None
        row.delete()
        audit_log(organization=organization, actor=by, action="programme_goal.removed", target=programme, data=data)
        return None
    if old == dict(targets):
        return row
    row = row or ProgrammeGoal(organization=organization, programme=programme, year=year, quarter=quarter)
    for name, value in targets.items():
        setattr(row, name, value)
    save_or_refuse(row, refusal=ServiceError(_("These goals were changed meanwhile; try again."), code="conflict"))
    audit_log(
        organization=organization,
        actor=by,
        action="programme_goal.saved",
        target=programme,
        data={**data, "new": dict(targets)},
    )
    return row
