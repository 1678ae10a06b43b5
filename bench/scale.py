"""Time the X monthly spend and a post's history at scale, without and with their indexes, on the same data.

Not a test: it seeds 2 organisations × N members, S shares and A audit entries into a throw-away database, then
times ``x_month_spend`` (read before every X post) and ``post_history`` (the post page) first with the indexes
``share_x_spend`` and ``audit_object_history`` dropped in a transaction that is rolled back ("before"), then with
them ("after"), and a running monthly total (one row per organisation and month) for comparison. See
bench/README.md.
"""

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import throwaway_database  # noqa: E402 - after the path is set

NEW_INDEXES = ("share_x_spend", "audit_object_history")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10000, help="members per organisation (default 10000)")
    parser.add_argument("--posts", type=int, default=2000, help="posts per organisation (default 2000)")
    parser.add_argument("--shares", type=int, default=100000, help="shares in all (default 100000)")
    parser.add_argument("--audit", type=int, default=300000, help="audit entries in all (default 300000)")
    parser.add_argument("--repeats", type=int, default=50, help="timed calls per measure (default 50)")
    parser.add_argument("--settings", default="advocacy.settings.test", help="Django settings module")
    return parser.parse_args()


def seed(*, members: int, posts: int, shares: int, audit: int) -> dict[str, object]:
    from decimal import Decimal

    from django.contrib.auth.hashers import make_password
    from django.db import connection
    from django.utils import timezone

    from advocacy.models import AuditEntry, Membership, Organization, User
    from advocacy.roles import Role
    from advocacy.tenancy import organization_scope
    from ambassadors.models import Share
    from content.models import Network, Post

    password = make_password("bench-password")
    now = timezone.now()
    year = timedelta(days=365)
    seeded: dict[str, object] = {}
    for slug in ("bench-a", "bench-b"):
        organization = Organization.objects.create(slug=slug, name=slug.upper(), language="en")
        users = User.objects.bulk_create(
            (User(email=f"member{n}@{slug}.test", full_name=f"Member {n}", password=password) for n in range(members)),
            batch_size=5000,
        )
        with organization_scope(organization):
            memberships = Membership.objects.bulk_create(
                (
                    Membership(organization=organization, user=user, role=Role.EDITOR if n == 0 else Role.AMBASSADOR)
                    for n, user in enumerate(users)
                ),
                batch_size=5000,
            )
            rows = Post.objects.bulk_create(
                (
                    Post(organization=organization, title=f"Post {n}", author=users[0], status=Post.Status.APPROVED)
                    for n in range(posts)
                ),
                batch_size=5000,
            )
            # Shares spread over the last year, every other one on X, four in five published.
            statuses = [Share.Status.PUBLISHED] * 4 + [Share.Status.CANCELLED]
            per_org = shares // 2
            Share.objects.bulk_create(
                (
                    Share(
                        organization=organization,
                        membership=memberships[n % members],
                        post=rows[n % posts],
                        network=Network.X if n % 2 else Network.LINKEDIN,
                        text=f"Share {n}",
                        status=statuses[n % 5],
                        published_at=now - year * (n / per_org) if statuses[n % 5] == Share.Status.PUBLISHED else None,
                        cost=Decimal("0.015") if n % 2 else Decimal("0"),
                    )
                    for n in range(per_org)
                ),
                batch_size=5000,
            )
            # A third of the log is about posts, the rest about members and shares, over the last year.
            per_org_audit = audit // 2
            types = ("content.post", "advocacy.membership", "ambassadors.share")
            AuditEntry.objects.bulk_create(
                (
                    AuditEntry(
                        organization=organization,
                        action="bench.action",
                        object_type=types[n % 3],
                        object_id=str(rows[n % posts].pk if n % 3 == 0 else n),
                        created_at=now - year * (n / per_org_audit),
                    )
                    for n in range(per_org_audit)
                ),
                batch_size=5000,
            )
        seeded[slug] = {"organization": organization, "post": rows[posts // 2]}
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # as autovacuum would on a live database
    return seeded


def _median_p95(timings: list[float]) -> tuple[float, float]:
    timings.sort()
    return statistics.median(timings), timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]


def timed(call: Callable[[], object], repeats: int) -> tuple[float, float]:
    call()  # warms the plan cache and the buffers
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        timings.append((time.perf_counter() - start) * 1000)
    return _median_p95(timings)


def server_timed(call: Callable[[], object], repeats: int) -> tuple[float, float]:
    """The database's own execution time of the queries ``call`` makes (EXPLAIN ANALYZE), free of the Python
    overhead and of the load of other processes on the client side."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call()
    statements = [query["sql"] for query in captured.captured_queries if query["sql"].lstrip().startswith("SELECT")]
    timings = []
    with connection.cursor() as cursor:
        for _ in range(repeats):
            total = 0.0
            for sql in statements:
                cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
                total += float(cursor.fetchone()[0][0]["Execution Time"])
            timings.append(total)
    return _median_p95(timings)


def measures(seeded: dict[str, object]) -> dict[str, Callable[[], object]]:
    from advocacy.tenancy import organization_scope
    from ambassadors.selectors import x_month_spend
    from content.selectors import post_history

    organization = seeded["bench-a"]["organization"]  # type: ignore[index]
    post = seeded["bench-a"]["post"]  # type: ignore[index]

    def spend() -> object:
        with organization_scope(organization):
            return x_month_spend(organization=organization)

    def history() -> object:
        with organization_scope(organization):
            return post_history(post=post)

    return {"x_month_spend": spend, "post_history": history}


def running_total(seeded: dict[str, object], repeats: int) -> tuple[float, float]:
    """The alternative to the index: a row per organisation and month, read by its unique key."""
    from django.db import connection

    organization = seeded["bench-a"]["organization"]  # type: ignore[index]
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_x_spend (organization_id bigint, month date, total numeric(10, 3), "
            "UNIQUE (organization_id, month))"
        )
        cursor.execute(
            "INSERT INTO bench_x_spend SELECT organization_id, date_trunc('month', published_at)::date, sum(cost) "
            "FROM ambassadors_share WHERE network = 'x' AND status = 'published' GROUP BY 1, 2"
        )
        cursor.execute("ANALYZE bench_x_spend")

    def read() -> object:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT total FROM bench_x_spend WHERE organization_id = %s AND month = date_trunc('month', now())",
                [organization.pk],
            )
            return cursor.fetchone()

    return server_timed(read, repeats)


def main() -> int:
    args = parse_args()
    os.environ["DJANGO_SETTINGS_MODULE"] = args.settings
    import django

    django.setup()
    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        print("This benchmark drops indexes in a transaction: it needs PostgreSQL.", file=sys.stderr)
        return 1
    with throwaway_database("relais_bench_scale"):
        started = time.perf_counter()
        seeded = seed(members=args.members, posts=args.posts, shares=args.shares, audit=args.audit)
        print(
            f"Seeded 2 organisations × {args.members} members, {args.shares} shares, {args.audit} audit entries "
            f"in {time.perf_counter() - started:.1f}s; {args.repeats} timed calls per measure."
        )
        calls = measures(seeded)
        with transaction.atomic():
            with connection.cursor() as cursor:
                for name in NEW_INDEXES:
                    cursor.execute(f"DROP INDEX {name}")
            before = {
                name: (timed(call, args.repeats), server_timed(call, args.repeats)) for name, call in calls.items()
            }
            transaction.set_rollback(True)
        after = {name: (timed(call, args.repeats), server_timed(call, args.repeats)) for name, call in calls.items()}
        print(f"{'measure':<34} {'call median ms':>15} {'p95':>7} {'SQL median ms':>14} {'p95':>7}")
        for name in calls:
            for label, figures in (("before", before[name]), ("after", after[name])):
                (call_median, call_p95), (sql_median, sql_p95) = figures
                row = f"{name} ({label})"
                print(f"{row:<34} {call_median:>15.2f} {call_p95:>7.2f} {sql_median:>14.2f} {sql_p95:>7.2f}")
        median, p95 = running_total(seeded, args.repeats)
        print(f"{'x spend as a running total':<34} {'':>15} {'':>7} {median:>14.2f} {p95:>7.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
