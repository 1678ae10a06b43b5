"""Time the members list, page and API, with 2 organisations × N members in a throw-away database.

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
    parser.add_argument("--members", type=int, default=2000, help="members per organisation (default 2000)")
    parser.add_argument("--requests", type=int, default=50, help="timed requests per URL (default 50)")
    parser.add_argument("--settings", default="advocacy.settings.test", help="Django settings module")
    parser.add_argument(
        "--database", default="relais_bench", help="throw-away database to create and drop (default relais_bench)"
    )
    return parser.parse_args()


def seed(members: int) -> dict[str, object]:
    from allauth.account.models import EmailAddress
    from django.contrib.auth.hashers import make_password

    from advocacy.models import Membership, Organization, Programme, ProgrammeMember, User
    from advocacy.roles import Role
    from advocacy.services import api_token_create
    from advocacy.tenancy import organization_scope

    password = make_password("bench-password")  # hashed once: hashing 4,000 times would dominate the seeding
    seeded = {}
    for slug in ("bench-a", "bench-b"):
        organization = Organization.objects.create(slug=slug, name=slug.upper(), language="en")
        users = User.objects.bulk_create(
            User(email=f"member{n}@{slug}.test", full_name=f"Member {n} of {slug}", password=password)
            for n in range(members)
        )
        EmailAddress.objects.bulk_create(
            EmailAddress(user=user, email=user.email, verified=True, primary=True) for user in users
        )
        roles = [Role.ADMIN, Role.EDITOR, Role.APPROVER, Role.MANAGER]
        with organization_scope(organization):
            memberships = Membership.objects.bulk_create(
                Membership(organization=organization, user=user, role=roles[n] if n < len(roles) else Role.AMBASSADOR)
                for n, user in enumerate(users)
            )
            programmes = Programme.objects.bulk_create(
                Programme(organization=organization, name=f"Programme {n}", slug=f"programme-{n}") for n in range(5)
            )
            ProgrammeMember.objects.bulk_create(
                ProgrammeMember(organization=organization, programme=programmes[n % 5], membership=membership)
                for n, membership in enumerate(memberships)
            )
            _token, raw = api_token_create(organization=organization, name="bench", role=Role.ADMIN, by=None)
        seeded[slug] = {"admin": users[0], "token": raw}
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
        seeded = seed(args.members)
        print(
            f"Seeded 2 organisations × {args.members} members in {time.perf_counter() - started:.1f}s "
            f"({connection.vendor}); {args.requests} timed requests per URL."
        )
        client = Client()
        client.force_login(seeded["bench-a"]["admin"])
        results = [
            measure(client, "/o/bench-a/members/", args.requests),
            measure(
                Client(),
                "/api/v1/o/bench-a/members/",
                args.requests,
                HTTP_AUTHORIZATION=f"Bearer {seeded['bench-a']['token']}",
            ),
        ]
    return report(results)


if __name__ == "__main__":
    raise SystemExit(main())
