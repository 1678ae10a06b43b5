"""Rebuild the daily rollups of a range of days, for one organisation or all: after a fix in the rollup code, or to
fill the rollups of days that were never built."""

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from advocacy.models import Organization
from advocacy.tenancy import organization_scope
from analytics.rollups import oldest_rebuildable_day, rollup_days

# Two years, a leap day included: a longer rebuild is a mistake more often than a need, and holds one long
# transaction per organisation.
MAX_DAYS = 2 * 365 + 1


class Command(BaseCommand):
    help = "Rebuild the daily rollups (DailyStat) of a range of days, idempotently."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", help="The organisation's slug; every organisation when left out.")
        parser.add_argument("--from", dest="first", type=_day, required=True, help="First day, YYYY-MM-DD.")
        parser.add_argument("--to", dest="last", type=_day, required=True, help="Last day (included), YYYY-MM-DD.")

    def handle(self, *args: Any, **options: Any) -> None:
        first, last = options["first"], options["last"]
        if last < first:
            raise CommandError(f"The range ends ({last}) before it starts ({first}).")
        if (last - first).days + 1 > MAX_DAYS:
            raise CommandError(f"The range is longer than two years ({MAX_DAYS} days); rebuild it in parts.")
        oldest = oldest_rebuildable_day(timezone.now().date())
        if first < oldest:
            raise CommandError(f"Clicks before {oldest} are no longer kept: rebuilding those days would erase them.")
        organizations = Organization.objects.order_by("slug")
        if options["org"]:
            organizations = organizations.filter(slug=options["org"])
            if not organizations.exists():
                raise CommandError(f"No organisation with the slug {options['org']!r}.")
        for organization in organizations:
            with organization_scope(organization):
                rows = rollup_days(organization=organization, first_day=first, last_day=last)
            self.stdout.write(f"{organization.slug}: {rows} rows from {first} to {last}")


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"{value!r} is not a day (YYYY-MM-DD).") from error
