"""Time the ambassador's feed and the composer with 2 organisations, 1,000 live posts and 5,000 shares.

Not a test: it prints median and p95 response times and the query count, for a person to compare before and after
a change. See bench/README.md.
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import measure, report, throwaway_database  # noqa: E402 - after the path is set


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1000, help="live posts in all (default 1000)")
    parser.add_argument("--shares", type=int, default=5000, help="shares in all (default 5000)")
    parser.add_argument("--requests", type=int, default=50, help="timed requests per URL (default 50)")
    parser.add_argument("--settings", default="advocacy.settings.test", help="Django settings module")
    parser.add_argument(
        "--database", default="relais_bench", help="throw-away database to create and drop (default relais_bench)"
    )
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    os.environ["DJANGO_SETTINGS_MODULE"] = args.settings
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from bench.feed_data import seed_feed

    with throwaway_database(args.database):
        started = time.perf_counter()
        world = seed_feed(posts=args.posts, shares=args.shares)
        if connection.vendor == "postgresql":
            # As autovacuum would on a live database: without statistics the planner guesses after a bulk load.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        print(
            f"Seeded {args.posts} live posts and {args.shares} shares over 2 organisations in "
            f"{time.perf_counter() - started:.1f}s ({connection.vendor}); {args.requests} timed requests per URL."
        )
        client = Client()
        client.login(username=world.ambassador_email, password=world.password)
        slug = world.organization_slug
        paths = [
            f"/o/{slug}/feed/",
            f"/o/{slug}/feed/?show=all&network=linkedin",
            f"/o/{slug}/feed/{world.post_id}/share/",
            f"/o/{slug}/shares/",
        ]
        results = [measure(client, path, args.requests) for path in paths]
        more = measure(client, f"/o/{slug}/feed/?page=20", args.requests, HTTP_HX_REQUEST="true")
    return report([*results, more])


if __name__ == "__main__":
    raise SystemExit(main())
