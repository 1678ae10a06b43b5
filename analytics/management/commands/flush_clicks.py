"""Write the clicks waiting in the Redis stream to the database: once (until drained), or as a small dedicated
process with ``--loop`` instead of (or beside) the ``analytics.flush_clicks`` task."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from analytics.clicks import flush_stream


class Command(BaseCommand):
    help = "Write the clicks waiting in the Redis stream to the database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="Keep flushing, pausing when the stream is empty.")
        parser.add_argument("--pause", type=float, default=1.0, help="Seconds between flushes with --loop.")
        parser.add_argument("--claim-idle", type=float, default=None, help="Take over entries pending this long.")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            result = flush_stream(claim_idle_seconds=options["claim_idle"], max_seconds=3600)
            if result.read or not options["loop"]:
                self.stdout.write(
                    f"read {result.read}, stored {result.stored}, claimed {result.claimed}, dropped {result.dropped}"
                )
            if not options["loop"]:
                return
            time.sleep(options["pause"])
