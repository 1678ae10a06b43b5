"""Time the editorial calendar with 2 organisations × N posts published on one day, in a throw-away database.

Not a test: it prints median and p95 response times and the query count, for a person to compare before and
after a change. See bench/README.md.
"""

import argparse
import datetime
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import measure, report, throwaway_database  # noqa: E402 - after the path is set

BUSY_DAY = datetime.date(2025, 4, 9)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10000, help="posts on the busy day per organisation (10000)")
    parser.add_argument("--requests", type=int, default=20, help="timed requests per URL (default 20)")
    parser.add_argument("--settings", default="advocacy.settings.test", help="Django settings module")
    return parser.parse_args()


def seed(posts: int) -> dict[str, object]:
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    from advocacy.models import Membership, Organization, User
    from advocacy.roles import Role
    from advocacy.tenancy import organization_scope
    from content.models import Post

    password = make_password("bench-password")
    start = datetime.datetime.combine(BUSY_DAY, datetime.time(6, 0), tzinfo=datetime.UTC)
    statuses = [Post.Status.DRAFT, Post.Status.IN_REVIEW, Post.Status.APPROVED]
    seeded = {}
    for slug in ("bench-a", "bench-b"):
        organization = Organization.objects.create(slug=slug, name=slug.upper(), language="en")
        editor = User.objects.create(email=f"editor@{slug}.test", full_name=f"Editor of {slug}", password=password)
        with organization_scope(organization):
            Membership.objects.create(organization=organization, user=editor, role=Role.EDITOR)
            Post.objects.bulk_create(
                (
                    Post(
                        organization=organization,
                        title=f"Post {n} of {slug}",
                        author=editor,
                        status=statuses[n % len(statuses)],
                        publish_at=start + datetime.timedelta(seconds=n),
                    )
                    for n in range(posts)
                ),
                batch_size=2000,
            )
        seeded[slug] = {"editor": editor}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would on a live database
    return seeded


def main() -> int:
    args = parse_args()
    os.environ["DJANGO_SETTINGS_MODULE"] = args.settings
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    with throwaway_database():
        started = time.perf_counter()
        seeded = seed(args.posts)
        print(
            f"Seeded 2 organisations × {args.posts} posts on {BUSY_DAY} in {time.perf_counter() - started:.1f}s "
            f"({connection.vendor}); {args.requests} timed requests per URL."
        )
        client = Client()
        client.force_login(seeded["bench-a"]["editor"])
        paths = [
            f"/o/bench-a/calendar/?view=month&date={BUSY_DAY}",
            f"/o/bench-a/calendar/?view=week&date={BUSY_DAY}",
            f"/o/bench-a/content/?date_from={BUSY_DAY}&date_to={BUSY_DAY}&sort=publish_at",
        ]
        results = [measure(client, path, args.requests) for path in paths]
    return report(results)


if __name__ == "__main__":
    raise SystemExit(main())
