"""Time the content library page with 2 organisations × N posts in a throw-away database.

Not a test: it prints median and p95 response times and the query count, for a person to compare before and
after a change. See bench/README.md.
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
    parser.add_argument("--posts", type=int, default=10000, help="posts per organisation (default 10000)")
    parser.add_argument("--requests", type=int, default=50, help="timed requests per URL (default 50)")
    parser.add_argument("--settings", default="advocacy.settings.test", help="Django settings module")
    parser.add_argument(
        "--database", default="relais_bench", help="throw-away database to create and drop (default relais_bench)"
    )
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


def main() -> int:
    args = parse_args()
    os.environ["DJANGO_SETTINGS_MODULE"] = args.settings
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    with throwaway_database(args.database):
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
    return report(results)


if __name__ == "__main__":
    raise SystemExit(main())
