"""Time the daily rollups and the analytics dashboard over a year of 10 million clicks in 2 organisations.

Not a test: it seeds a throw-away PostgreSQL database with set-based SQL (``INSERT … SELECT generate_series``; the
clicks into their monthly partitions), builds the rollups and prints the time, adds one new hour of activity and
prints the time of the incremental rollup, then times the whole dashboard page for a year and for a quarter and, for
reference, one aggregate over raw clicks against the same over the rollups. See bench/README.md.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import measure, report, throwaway_database  # noqa: E402 - after the path is set

SLUGS = ("bench-a", "bench-b")
PASSWORD = "bench-password"  # noqa: S105 - a throw-away database's
CLICKS_PER_SHARE = 50
CLICK_CHUNK = 1_000_000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=10_000_000, help="clicks in all (default 10,000,000)")
    parser.add_argument("--members", type=int, default=500, help="members per organisation (default 500)")
    parser.add_argument("--posts", type=int, default=1000, help="posts per organisation (default 1000)")
    parser.add_argument("--requests", type=int, default=50, help="timed requests per dashboard URL (default 50)")
    parser.add_argument("--settings", default="advocacy.settings.test", help="Django settings module")
    parser.add_argument(
        "--database",
        default="relais_bench_dashboard",
        help="throw-away database to create and drop (default relais_bench_dashboard)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the database at the end, for --reuse (not dropped: drop it by hand)"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="time the page on the database a --keep run left, without seeding nor building (after a change of the"
        " dashboard's reads; not after one of the rollups or their migrations)",
    )
    return parser.parse_args()


def insert_select(
    model: Any, values: dict[str, str | tuple[str, list[Any]]], source: str, params: tuple[Any, ...] = ()
) -> int:
    """``INSERT INTO <model's table> SELECT …``: the columns in ``values`` get their SQL expression over ``source``
    (with its parameters, when given as a pair), every other column its field's default, or NULL. Raises when a
    required column has neither."""
    from django.db import connection

    columns, expressions, arguments = [], [], []
    for field in model._meta.concrete_fields:
        if field.column is None or (field.primary_key and field.column == "id"):
            continue
        columns.append(field.column)
        if field.column in values:
            value = values[field.column]
            expression, value_params = (value, []) if isinstance(value, str) else value
            expressions.append(expression)
            arguments += value_params
            continue
        default = field.get_default()
        if default is None and not field.null:
            raise ValueError(f"{model.__name__}.{field.column} needs a value")
        expressions.append("%s")
        arguments.append(field.get_db_prep_save(default, connection))
    sql = f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) SELECT {', '.join(expressions)} {source}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*arguments, *params])
        return int(cursor.rowcount)


def seed_people_and_posts(*, members: int, posts: int) -> dict[str, Any]:
    """Two organisations with members in five programmes, topics and approved posts, through the ORM (small)."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from advocacy.models import Membership, Organization, Programme, ProgrammeMember, User
    from advocacy.roles import Role
    from advocacy.tenancy import organization_scope
    from content.models import Post, PostProgramme, PostTopic, Topic

    password = make_password(PASSWORD)
    now = timezone.now()
    world: dict[str, Any] = {}
    for slug in SLUGS:
        organization = Organization.objects.create(slug=slug, name=slug.upper(), language="en")
        users = User.objects.bulk_create(
            User(email=f"member{n}@{slug}.test", full_name=f"Member {n}", password=password) for n in range(members)
        )
        manager = User.objects.create(email=f"manager@{slug}.test", full_name="Manager", password=password)
        with organization_scope(organization):
            Membership.objects.create(organization=organization, user=manager, role=Role.MANAGER)
            memberships = Membership.objects.bulk_create(
                Membership(organization=organization, user=user, role=Role.AMBASSADOR) for user in users
            )
            programmes = [
                Programme.objects.create(organization=organization, name=f"Programme {n}", slug=f"programme-{n}")
                for n in range(5)
            ]
            ProgrammeMember.objects.bulk_create(
                ProgrammeMember(organization=organization, programme=programmes[n % 5], membership=membership)
                for n, membership in enumerate(memberships)
            )
            topics = [Topic.objects.create(organization=organization, name=f"Topic {n}") for n in range(8)]
            rows = Post.objects.bulk_create(
                Post(
                    organization=organization,
                    title=f"Post {n}",
                    link=f"https://www.example.com/{slug}/{n}",
                    status=Post.Status.APPROVED,
                    approved_revision=1,
                    publish_at=now - timedelta(days=400),
                    approved_at=now - timedelta(days=400),
                )
                for n in range(posts)
            )
            PostTopic.objects.bulk_create(
                PostTopic(organization=organization, post=post, topic=topics[n % 8]) for n, post in enumerate(rows)
            )
            PostProgramme.objects.bulk_create(
                PostProgramme(organization=organization, post=post, programme=programmes[n % 5])
                for n, post in enumerate(rows)
                if n % 3
            )
        world[slug] = {"organization": organization, "manager": manager.email}
    return world


def seed_activity(organization: Any, *, shares: int, clicks: int, start: datetime, end: datetime) -> None:
    """``shares`` shares published between ``start`` and ``end`` (half on LinkedIn, half on X) with their link and
    three snapshots each, and ``clicks`` clicks on those links after their share and before ``end``: most links get
    few clicks, a few get many, about 8 % of the clicks are robots. All in set-based SQL."""
    from django.db import connection

    from ambassadors.models import MetricSnapshot, Share
    from analytics.models import TrackedLink

    org = int(organization.pk)
    span = (end - start).total_seconds()
    first_share = _max_id("ambassadors_share")
    insert_select(
        Share,
        {
            "organization_id": str(org),
            "membership_id": "m.ids[1 + (g * 7919) %% cardinality(m.ids)]",
            "post_id": "p.ids[1 + (g * 104729) %% cardinality(p.ids)]",
            "network": "CASE WHEN g %% 2 = 0 THEN 'linkedin' ELSE 'x' END",
            "text": "'Bench share ' || g",
            "link": "'https://www.example.com/shared/' || g",
            "status": "'published'",
            "published_at": ("%s::timestamptz + (random() * %s) * interval '1 second'", [start, span]),
            "external_id": "'bench-' || g",
            "metrics_state": "'done'",
            "created_at": "now()",
            "updated_at": "now()",
        },
        "FROM generate_series(1, %s::bigint) g,"
        f" (SELECT array_agg(id ORDER BY id) AS ids FROM advocacy_membership WHERE organization_id = {org}"
        " AND role = 'ambassador') m,"
        f" (SELECT array_agg(id ORDER BY id) AS ids FROM content_post WHERE organization_id = {org}) p",
        (shares,),
    )
    with connection.cursor() as cursor:
        # As the app stamps them: created and last changed when published.
        cursor.execute(
            "UPDATE ambassadors_share SET created_at = published_at, updated_at = published_at WHERE id > %s",
            [first_share],
        )
    own = f"s.organization_id = {org} AND s.id > {first_share}"
    insert_select(
        TrackedLink,
        {
            "organization_id": str(org),
            "code": "'b' || s.id",
            "share_id": "s.id",
            "post_id": "s.post_id",
            "membership_id": "s.membership_id",
            "network": "s.network",
            "destination": "s.link",
            "created_at": "s.published_at",
        },
        f"FROM ambassadors_share s WHERE {own}",
    )
    insert_select(
        MetricSnapshot,
        {
            "organization_id": str(org),
            "share_id": "s.id",
            "slot": "slot",
            "taken_at": "s.published_at + slot * interval '6 hours'",
            "likes": "slot * (1 + s.id %% 17)",
            "comments": "slot * (s.id %% 4)",
            "reshares": "CASE WHEN s.network = 'x' THEN slot * (s.id %% 3) END",
            "impressions": "CASE WHEN s.network = 'x' THEN slot * (100 + s.id %% 900) END",
        },
        f"FROM ambassadors_share s CROSS JOIN generate_series(1, 3) slot WHERE {own}"
        " AND s.published_at + slot * interval '6 hours' < %s",
        (end,),
    )
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_links")
        cursor.execute(
            "CREATE TEMP TABLE bench_links AS SELECT row_number() OVER (ORDER BY l.id) AS rn, l.id, l.share_id,"
            " l.membership_id, l.post_id, l.network, s.published_at FROM analytics_trackedlink l"
            " JOIN ambassadors_share s ON s.id = l.share_id WHERE l.organization_id = %s AND s.id > %s",
            [org, first_share],
        )
        cursor.execute("SELECT count(*) FROM bench_links")
        links = int(cursor.fetchone()[0])
        cursor.execute("CREATE UNIQUE INDEX ON bench_links (rn)")
        cursor.execute("ANALYZE bench_links")
        cursor.execute("SELECT count(*) FROM analytics_click WHERE organization_id = %s", [org])
        # Where the organisation's event ids go on, so that the hour added later never reuses one.
        offset = int(cursor.fetchone()[0])
        done = 0
        while done < clicks:
            chunk = min(CLICK_CHUNK, clicks - done)
            # A click lands on link 1 + floor(L × u²): the first links get most of them. It happens an exponential
            # delay (mean one day) after its share, and never after ``end``.
            cursor.execute(
                "INSERT INTO analytics_click (organization_id, clicked_at, event_id, link_id, share_id,"
                " membership_id, post_id, network, referrer_host, visitor_hash, first_of_day, filtered)"
                " SELECT %s, LEAST(l.published_at + (-ln(1 - random()) * 86400) * interval '1 second', %s),"
                " 'b' || g.n, l.id, l.share_id, l.membership_id, l.post_id, l.network, '', md5(g.n::text),"
                " random() < 0.7, CASE WHEN random() < 0.08 THEN 'bot' ELSE '' END"
                " FROM (SELECT n, 1 + floor(%s * power(random(), 2))::bigint AS rn"
                "       FROM generate_series(%s::bigint, %s::bigint) n) g JOIN bench_links l USING (rn)",
                [org, end - timedelta(seconds=1), links, offset + done + 1, offset + done + chunk],
            )
            done += chunk
            print(f"  {organization.slug}: {done:,} clicks", flush=True)
        cursor.execute(
            "UPDATE analytics_trackedlink t SET clicks = t.clicks + c.counted,"
            " unique_clicks = t.unique_clicks + c.firsts,"
            " filtered_clicks = t.filtered_clicks + c.robots, last_clicked_at = c.last FROM ("
            "  SELECT link_id, count(*) FILTER (WHERE filtered = '') AS counted,"
            "  count(*) FILTER (WHERE filtered = '' AND first_of_day) AS firsts,"
            "  count(*) FILTER (WHERE filtered <> '') AS robots, max(clicked_at) AS last"
            "  FROM analytics_click WHERE organization_id = %s AND clicked_at >= %s GROUP BY link_id) c"
            " WHERE t.id = c.link_id",
            [org, start],
        )


def _max_id(table: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")  # noqa: S608 - a table name of ours
        return int(cursor.fetchone()[0])


def rollup_all(world: dict[str, Any], now: datetime) -> float:
    from advocacy.tenancy import organization_scope
    from analytics.rollups import rollup_changed

    started = time.perf_counter()
    for entry in world.values():
        with organization_scope(entry["organization"]):
            rollup_changed(organization=entry["organization"], now=now)
    return time.perf_counter() - started


def timed(run: Any, repeats: int = 5) -> tuple[float, Any]:
    """The median time of ``run()`` in ms, and its last result."""
    timings, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = run()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), result


def reference_aggregate(organization: Any, first_day: date, last_day: date) -> None:
    """Clicks and unique clicks per network over the year: over the raw clicks, then over the rollups."""
    from zoneinfo import ZoneInfo

    from django.db import connection

    from analytics.rollups import day_bounds

    start, end = day_bounds(first_day, last_day, ZoneInfo(organization.time_zone))

    def raw() -> list[tuple[Any, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT network, count(*), count(*) FILTER (WHERE first_of_day) FROM analytics_click"
                " WHERE organization_id = %s AND clicked_at >= %s AND clicked_at < %s AND filtered = ''"
                " GROUP BY network ORDER BY network",
                [organization.pk, start, end],
            )
            return cursor.fetchall()

    def rolled() -> list[tuple[Any, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT network, sum(clicks), sum(unique_clicks) FROM analytics_dailystat"
                " WHERE organization_id = %s AND day >= %s AND day <= %s AND breakdown = 'org'"
                " GROUP BY network ORDER BY network",
                [organization.pk, first_day, last_day],
            )
            return cursor.fetchall()

    raw_ms, raw_rows = timed(raw)
    rolled_ms, rolled_rows = timed(rolled)
    same = [tuple(map(int, row[1:])) for row in raw_rows] == [tuple(map(int, row[1:])) for row in rolled_rows]
    print(f"Clicks per network over the year, raw clicks: {raw_ms:.1f} ms median {raw_rows}")
    print(f"The same over the organisation's DailyStat rows: {rolled_ms:.1f} ms median {rolled_rows}")
    print(f"Same figures: {'yes' if same else 'NO'}")


def dashboard(world: dict[str, Any], today: date, requests: int) -> int:
    """The page for a year and for a quarter: as a manager finds it once the figures of the rollup run are kept
    (every request after the first), and as the first one to open it after each run finds it (the run's time moved
    before each request, so nothing is kept)."""
    from django.test import Client
    from django.urls import reverse

    # As a web worker starts: every view loaded, then frozen out of the garbage collector (advocacy/wsgi.py).
    import advocacy.wsgi  # noqa: F401

    slug = SLUGS[0]
    path = reverse("analytics_dashboard", kwargs={"org": slug})
    client = Client()
    client.login(username=world[slug]["manager"], password=PASSWORD)
    paths = [
        f"{path}?start={today - timedelta(days=364)}&end={today}",
        f"{path}?start={today - timedelta(days=90)}&end={today}",
    ]
    kept = [measure(client, url, requests) for url in paths]
    first = [first_after_a_run(client, url, requests, world[slug]["organization"]) for url in paths]
    print("Every request after the first since the rollup run (figures kept):")
    status = report(kept)
    print("The first request after each rollup run (figures read from the rollups):")
    return status or report(first)


def first_after_a_run(client: Any, url: str, repeats: int, organization: Any) -> dict[str, object]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from analytics.models import RollupState

    def new_run() -> None:
        # What the rollup job's next run does to the page: the figures kept under the last run's time are not read.
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {RollupState._meta.db_table} SET covered_until = covered_until + interval '1 microsecond'"
                " WHERE organization_id = %s",
                [organization.pk],
            )

    new_run()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    # Counted now: the captured list is a view of the connection's log, which the next request clears.
    query_count = len(queries)
    timings = []
    for _ in range(repeats):
        new_run()
        started = time.perf_counter()
        client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {
        "path": url,
        "status": response.status_code,
        "median": statistics.median(timings),
        "p95": timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))],
        "queries": query_count,
    }


def main() -> int:
    args = parse_args()
    os.environ["DJANGO_SETTINGS_MODULE"] = args.settings
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from analytics.partitions import ensure_partitions

    if connection.vendor != "postgresql":
        print("bench/dashboard.py needs PostgreSQL (the clicks are partitioned by month there).", file=sys.stderr)
        return 2
    if args.reuse:
        return reuse(args)
    shares_per_org = max(1, args.clicks // CLICKS_PER_SHARE // len(SLUGS))
    clicks_per_org = args.clicks // len(SLUGS)
    with throwaway_database(args.database, keep=args.keep):
        now = timezone.now()
        built_at = now - timedelta(hours=1)
        started = time.perf_counter()
        # Every month of the year and the coming ones, as the hourly maintenance keeps them.
        created = ensure_partitions((now - timedelta(days=370)).date(), months_ahead=14)
        world = seed_people_and_posts(members=args.members, posts=args.posts)
        for entry in world.values():
            seed_activity(
                entry["organization"],
                shares=shares_per_org,
                clicks=clicks_per_org,
                start=now - timedelta(days=365),
                end=built_at - timedelta(hours=1),
            )
        with connection.cursor() as cursor:
            # As autovacuum keeps a live database: statistics, and the visibility map that lets an index-only scan
            # skip the table (the funnel's look-ups of each member's shares).
            cursor.execute("VACUUM ANALYZE")
        print(
            f"Seeded {args.clicks:,} clicks on {shares_per_org * len(SLUGS):,} shares and links over 2 organisations "
            f"and {len(created)} monthly partitions in {time.perf_counter() - started:.1f}s."
        )

        build = rollup_all(world, built_at)
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM analytics_dailystat")
            rows = cursor.fetchone()[0]
        print(f"Rollup build (every day of the year, both organisations): {build:.1f}s, {rows:,} DailyStat rows.")

        hourly = max(1, args.clicks // (365 * 24) // len(SLUGS))
        for entry in world.values():
            seed_activity(
                entry["organization"], shares=max(1, hourly // CLICKS_PER_SHARE), clicks=hourly, start=built_at, end=now
            )
        incremental = rollup_all(world, now)
        print(
            f"Incremental rollup after one new hour ({hourly:,} clicks per organisation): {incremental * 1000:.0f} ms."
        )

        today = timezone.localdate(now, timezone=_zone(world))
        reference_aggregate(world[SLUGS[0]]["organization"], today - timedelta(days=364), today)
        return dashboard(world, today, args.requests)


def reuse(args: argparse.Namespace) -> int:
    """The page's timings on a database kept by an earlier run: its data as that run left it, dated then."""
    from django.db import connection
    from django.test.utils import setup_test_environment
    from django.utils import timezone

    from advocacy.models import Organization
    from advocacy.tenancy import organization_scope
    from analytics.models import RollupState

    setup_test_environment()
    connection.close()
    connection.settings_dict["NAME"] = args.database
    world = {
        slug: {"organization": Organization.objects.get(slug=slug), "manager": f"manager@{slug}.test"} for slug in SLUGS
    }
    organization = world[SLUGS[0]]["organization"]
    with organization_scope(organization):
        covered = RollupState.objects.filter(organization=organization).values_list("covered_until", flat=True).get()
    today = timezone.localdate(covered, timezone=_zone(world))
    reference_aggregate(organization, today - timedelta(days=364), today)
    return dashboard(world, today, args.requests)


def _zone(world: dict[str, Any]) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(world[SLUGS[0]]["organization"].time_zone)


if __name__ == "__main__":
    raise SystemExit(main())
