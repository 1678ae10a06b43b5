"""Time the content library page with 2 organisations × N posts in a throw-away database.

Not a test: it prints median and p95 response times and the query count, for a person to compare before and
after a change. See bench/README.md.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10000, help="posts per organisation (default 10000)")
    parser.add_argument("--requests", type=int, default=50, help="timed requests per URL (default 50)")
    parser.add_argument("--settings", default="advocacy.settings.test", help="Django settings module")
    return parser.parse_args()


def seed(posts: int) -> dict[str, object]:
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    from advocacy.models import Membership, Organization, Programme, User
    from advocacy.roles import Role
    from advocacy.tenancy import organization_scope
    from content.models import Network, Post, PostProgramme, PostTopic, PostVariant, Topic

    password = make_password("bench-password")
    statuses = list(Post.Status)
    seeded = {}
    for slug in ("bench-a", "bench-b"):
        organization = Organization.objects.create(slug=slug, name=slug.upper(), language="en")
        editors = User.objects.bulk_create(
            User(email=f"editor{n}@{slug}.test", full_name=f"Editor {n} of {slug}", password=password) for n in range(5)
        )
        with organization_scope(organization):
            Membership.objects.bulk_create(
                Membership(organization=organization, user=user, role=Role.ADMIN if n == 0 else Role.EDITOR)
                for n, user in enumerate(editors)
            )
            topics = Topic.objects.bulk_create(Topic(organization=organization, name=f"Topic {n}") for n in range(10))
            programmes = Programme.objects.bulk_create(
                Programme(organization=organization, name=f"Programme {n}", slug=f"programme-{n}") for n in range(5)
            )
            rows = Post.objects.bulk_create(
                (
                    Post(
                        organization=organization,
                        title=f"Post {n} of {slug}",
                        link=f"https://example.com/{slug}/{n}",
                        author=editors[n % 5],
                        status=statuses[n % len(statuses)],
                    )
                    for n in range(posts)
                ),
                batch_size=2000,
            )
            PostTopic.objects.bulk_create(
                (
                    PostTopic(organization=organization, post=post, topic=topics[(n + k) % 10])
                    for n, post in enumerate(rows)
                    for k in range(2)
                ),
                batch_size=5000,
            )
            PostProgramme.objects.bulk_create(
                (
                    PostProgramme(organization=organization, post=post, programme=programmes[n % 5])
                    for n, post in enumerate(rows)
                ),
                batch_size=5000,
            )
            PostVariant.objects.bulk_create(
                (
                    PostVariant(organization=organization, post=post, network=network, text=f"About {post.title}")
                    for post in rows
                    for network in (Network.LINKEDIN, Network.X)
                ),
                batch_size=5000,
            )
        seeded[slug] = {"admin": editors[0]}
    if connection.vendor == "postgresql":
        # Autovacuum would gather statistics on a live database; right after a bulk load there are none, and
        # the planner then probes every variant of the organisation once per post (2.4 s instead of 13 ms).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return seeded


def measure(client, path: str, repeats: int) -> dict[str, object]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)  # also warms caches and templates
    # Counted now: the captured list is a view of the connection's log, which the next request clears.
    query_count = len(queries)
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        client.get(path)
        timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
    return {
        "path": path,
        "status": response.status_code,
        "median": statistics.median(timings),
        "p95": p95,
        "queries": query_count,
    }


def main() -> int:
    args = parse_args()
    os.environ["DJANGO_SETTINGS_MODULE"] = args.settings
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    # A database of its own, so the benchmark never touches real data nor the one a running pytest uses.
    connection.settings_dict.setdefault("TEST", {})["NAME"] = None if connection.vendor == "sqlite" else "relais_bench"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        started = time.perf_counter()
        seeded = seed(args.posts)
        print(
            f"Seeded 2 organisations × {args.posts} posts in {time.perf_counter() - started:.1f}s "
            f"({connection.vendor}); {args.requests} timed requests per URL."
        )
        client = Client()
        client.force_login(seeded["bench-a"]["admin"])
        paths = [
            "/o/bench-a/content/",
            "/o/bench-a/content/?page=200",
            "/o/bench-a/content/?q=Post+42&sort=title",
            "/o/bench-a/content/?status=approved&network=x&sort=publish_at",
        ]
        results = [measure(client, path, args.requests) for path in paths]
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print(f"{'URL':<62} {'status':>6} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    for row in results:
        print(f"{row['path']:<62} {row['status']:>6} {row['median']:>10.1f} {row['p95']:>8.1f} {row['queries']:>8}")
    failing = [row["path"] for row in results if row["status"] != 200]
    if failing:
        print(f"Not 200 (the page may not exist yet): {', '.join(failing)}", file=sys.stderr)
    return 1 if failing else 0


if __name__ == "__main__":
    raise SystemExit(main())
