"""Give the demo organisation 90 days of plausible activity (analytics.demo_history), so a manager signing in to the
demo sees every chart filled. Runs after seed_demo and seed_demo_content; a second run finds the history there and
adds nothing, so ``make run`` can call it on each start."""

import time
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from advocacy.models import Organization
from advocacy.tenancy import organization_scope
from analytics.demo_history import DemoMissing, HistoryExists, seed_history
from analytics.rollups import oldest_rebuildable_day


class Command(BaseCommand):
    help = (
        "Add 90 days of demo activity (members, shares, figures, clicks, referrals, departures) and its rollups to the "
        "demo organisation."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", default="demo", help="Slug of the demo organisation (default: demo)")
        parser.add_argument("--days", type=int, default=90, help="Days of history, ending today (default: 90)")
        parser.add_argument("--seed", type=int, default=2026, help="Seed of the random draws (default: 2026)")

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"]
        if days < 1:
            raise CommandError("--days must be at least 1.")
        today = timezone.now().date()
        if today - timedelta(days=days) < oldest_rebuildable_day(today):
            raise CommandError("--days reaches before the clicks kept (RELAIS_CLICKS_RETENTION_MONTHS).")
        organization = Organization.objects.filter(slug=options["org"]).first()
        if organization is None:
            raise CommandError(f"No organisation {options['org']!r}: run seed_demo first.")
        started = time.monotonic()
        with organization_scope(organization):
            try:
                summary = seed_history(organization=organization, days=days, seed=options["seed"])
            except HistoryExists:
                self.stdout.write(f"The demo history of {organization.slug!r} is already there: nothing added.")
                return
            except DemoMissing as error:
                raise CommandError(str(error)) from error
        assert summary.days is not None
        first, last = summary.days
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo history ready from {first} to {last} in {time.monotonic() - started:.1f}s: "
                f"{summary.members} members, {summary.posts} new posts, {summary.shares} shares, "
                f"{summary.snapshots} metric snapshots, {summary.clicks} clicks ({summary.filtered} robots and "
                f"previews left out), {summary.referral_events} referral events, {summary.departures} departures, "
                f"{summary.rollup_rows} rollup rows."
            )
        )
