"""Soak the publishing engine: 1,000 shares across 2 organisations and 50 connected accounts, real workers killed
and restarted, faults injected on the fake networks; prints published, duplicates, lost, pending, throughput.

Not a test: see bench/README.md. The bar is 0 duplicates and 0 lost.
"""

import argparse
import os
import random
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.harness import database_url, throwaway_database  # noqa: E402 - after the path is set

LINK = "https://news.example.test/soak"
SLUGS = ("soak-a", "soak-b")
MARKER = re.compile(r"Soak (\S+) share (\d+):")
# Faults of the publish route, one drawn per request: 5xx before any work, a 429 without headers, the post stored
# and then a 503 or a dropped connection, a response slower than the read timeout (stored before or after).
PUBLISH_FAULTS = [500, 502, 503, 504, 429, "commit-then-503", "commit-then-drop", "slow-before", "slow-after"]
# The refresh endpoint only fails before doing anything: a lost refresh answer is the connections service's case.
TOKEN_FAULTS = [500, 503]
READ_FAULTS = [503]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shares", type=int, default=1000, help="shares in all (default 1000)")
    parser.add_argument("--connections", type=int, default=50, help="connected accounts, half on each network")
    parser.add_argument("--workers", type=int, default=2, help="worker processes alive at once (default 2)")
    parser.add_argument("--fault-rate", type=float, default=0.08, help="share of network requests that fail")
    parser.add_argument("--kill-every", type=float, default=8.0, help="seconds between two worker kills")
    parser.add_argument("--deadline", type=float, default=900.0, help="give up after this many seconds")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--settings", default="advocacy.settings.test", help="Django settings module")
    return parser.parse_args()


# Short pacing, backoff and timeouts, so the run lasts minutes; the worker processes get the same values.
SOAK_ENV = {
    "RELAIS_PUBLISH_INTERVAL_LINKEDIN": "1",
    "RELAIS_PUBLISH_INTERVAL_X": "1",
    "RELAIS_PUBLISH_BACKOFF": "1,2,4,8",
    "RELAIS_PUBLISH_CLAIM_MARGIN": "1",
    "RELAIS_PUBLISH_QUEUED_GUARD": "2",
    "RELAIS_PROVIDER_CONNECT_TIMEOUT": "1",
    "RELAIS_PROVIDER_READ_TIMEOUT": "2",
    "LOG_LEVEL": "WARNING",
}


def script(rng: random.Random, faults: list[object], rate: float, length: int = 20000) -> list[object]:
    return [rng.choice(faults) if rng.random() < rate else None for _ in range(length)]


def start_fakes(rng: random.Random, rate: float) -> dict[str, object]:
    from ambassadors.sandbox.base import SandboxServer
    from ambassadors.sandbox.linkedin import FakeLinkedIn
    from ambassadors.sandbox.x import FakeX

    fakes: dict[str, object] = {}
    for network in (FakeLinkedIn(), FakeX()):
        server = SandboxServer(network).__enter__()
        network.base_url = server.url
        network.set_faults("publish", script=script(rng, PUBLISH_FAULTS, rate), slow_seconds=3.0)
        network.set_faults("token", script=script(rng, TOKEN_FAULTS, rate))
        network.set_faults("user_posts", script=script(rng, READ_FAULTS, rate))
        fakes[network.name] = network
    # X's 15-minute window: a few posts per account, then a real 429 with its reset headers.
    fakes["x"].set_knob("user_window_limit", 8)
    return fakes


def point_at_fakes(fakes: dict[str, object]) -> dict[str, str]:
    from django.conf import settings

    values = {}
    for network, prefix in (("linkedin", "RELAIS_LINKEDIN"), ("x", "RELAIS_X")):
        fake = fakes[network]
        values |= {
            f"{prefix}_API_URL": fake.base_url,
            f"{prefix}_AUTH_URL": fake.base_url,
            f"{prefix}_CLIENT_ID": fake.client_id,
            f"{prefix}_CLIENT_SECRET": fake.client_secret,
        }
    for name, value in values.items():
        setattr(settings, name, value)
    return values


def seed(fakes: dict[str, object], shares: int, connections: int) -> dict[int, tuple[str, int]]:
    """Two organisations, ``connections`` members with one account each (networks alternate), ``shares`` shares due
    now spread over the accounts. Returns share id → (organisation slug, index) as written in the text."""
    from decimal import Decimal

    from django.utils import timezone

    from advocacy.models import Membership, Organization, User
    from advocacy.tenancy import organization_scope
    from ambassadors.models import PublishingSettings, Share, SocialConnection
    from ambassadors.services.connections import grants_metrics
    from charter.models import CharterAcceptance, CharterVersion
    from content.models import Post

    now = timezone.now()
    markers: dict[int, tuple[str, int]] = {}
    per_org = connections // 2
    for slug in SLUGS:
        organization = Organization.objects.create(slug=slug, name=slug.upper(), language="en")
        users = User.objects.bulk_create(User(email=f"m{n}@{slug}.test", full_name=f"M{n}") for n in range(per_org))
        with organization_scope(organization):
            PublishingSettings.objects.create(organization=organization, x_monthly_budget=Decimal("100000"))
            version = CharterVersion.objects.create(
                organization=organization,
                title="Charter",
                body="Be kind.",
                status="published",
                number=1,
                published_at=now,
            )
            post = Post.objects.create(organization=organization, title="Soak", link=LINK, status="approved")
            accounts = []
            for n, user in enumerate(users):
                membership = Membership.objects.create(organization=organization, user=user, role="ambassador")
                CharterAcceptance.objects.create(
                    organization=organization,
                    membership=membership,
                    version=version,
                    accepted_at=now,
                    client_digest="0" * 64,
                )
                fake = fakes["linkedin" if n % 2 == 0 else "x"]
                uid = f"{slug}{n:03d}"
                issued = fake.issue_token(uid=uid, name=f"Member {n}", username=uid)
                scopes = issued["scope"].replace(",", " ").split()
                connection = SocialConnection(
                    organization=organization,
                    membership=membership,
                    provider=fake.name,
                    provider_uid=uid,
                    username=uid,
                    scopes=scopes,
                    metrics_granted=grants_metrics(fake.name, scopes),
                    connected_at=now - timedelta(days=1),
                    access_expires_at=now + timedelta(seconds=issued["expires_in"]),
                )
                connection.set_tokens(access_token=issued["access_token"], refresh_token=issued.get("refresh_token"))
                connection.save()
                accounts.append(connection)
            rows = [
                Share(
                    organization=organization,
                    membership=accounts[i % per_org].membership,
                    post=post,
                    network=accounts[i % per_org].provider,
                    connection=accounts[i % per_org],
                    text=f"Soak {slug} share {i}: our quarterly news, in my own words.",
                    link=LINK,
                    status="scheduled",
                    scheduled_at=now,
                )
                for i in range(shares // 2)
            ]
            for share in Share.objects.bulk_create(rows):
                markers[share.pk] = (slug, int(MARKER.search(share.text).group(2)))
    return markers


class Workers:
    """Worker processes on every queue, killed with SIGKILL and replaced on demand."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = env
        self.log_dir = log_dir
        self.processes: list[subprocess.Popen] = []
        self.kills = 0

    def start(self) -> None:
        name = f"soak-{uuid.uuid4().hex[:8]}"
        command = [sys.executable, "-m", "celery", "-A", "advocacy", "worker", "--pool", "solo", "--loglevel"]
        command += ["WARNING", "-Q", "default,publish,metrics", "-n", f"{name}@localhost", "--without-mingle"]
        command += ["--without-gossip"]
        with (self.log_dir / f"{name}.log").open("w") as log:
            self.processes.append(subprocess.Popen(command, cwd=REPO, env=self.env, stdout=log, stderr=log))

    def kill_one(self, rng: random.Random) -> None:
        alive = [process for process in self.processes if process.poll() is None]
        if alive:
            victim = rng.choice(alive)
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            self.kills += 1
        self.start()

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def each_organisation() -> Iterator[None]:
    """Enter each soak organisation's scope in turn: the bench reads tenant data as the app does, one tenant at a
    time (only the ticks may read across organisations)."""
    from advocacy.models import Organization
    from advocacy.tenancy import organization_scope

    for organization in Organization.objects.filter(slug__in=SLUGS).order_by("slug"):
        with organization_scope(organization):
            yield


def counts() -> Counter[str]:
    from django.db.models import Count

    from ambassadors.models import Share

    found: Counter[str] = Counter()
    for _ in each_organisation():
        rows = Share.objects.values_list("status", "action_required").annotate(n=Count("pk")).order_by()
        found.update({f"{status}/{action}" if action else status: n for status, action, n in rows})
    return found


def member_checks() -> int:
    """What a member does with a share whose outcome is unknown: press "publish again", once."""
    from ambassadors.models import Share
    from ambassadors.services.publishing import share_reconcile_resend

    resent = 0
    for _ in each_organisation():
        waiting = Share.objects.filter(status="needs_action", action_required="check", reconcile_resent=False)
        for share in waiting.select_related("organization").order_by("pk"):
            share_reconcile_resend(share=share, by=None)
            resent += 1
    return resent


def fast_forward(fakes: dict[str, object]) -> bool:
    """When nothing is due in the next 30 s and nothing is publishing, every share left waits for a rate limit's
    reset (X: 15 min, LinkedIn: midnight UTC): let that time pass. The fake X clock moves past its window and the
    waits (shares and accounts) are brought forward to now. Nothing else moves."""
    from django.utils import timezone

    from ambassadors.models import Share, SocialConnection
    from ambassadors.ticks.publishing import due_shares

    now = timezone.now()
    state = counts()
    if state["publishing"] or not state["scheduled"] or due_shares(now=now + timedelta(seconds=30)):
        return False
    fakes["x"].clock.advance(15 * 60)
    for _ in each_organisation():
        Share.objects.filter(status="scheduled", not_before__gt=now).update(not_before=now)
        SocialConnection.objects.filter(rate_limited_until__gt=now).update(rate_limited_until=now)
    return True


def audit(fakes: dict[str, object], markers: dict[int, tuple[str, int]]) -> dict[str, int]:
    from ambassadors.models import Share

    posts: Counter[tuple[str, int]] = Counter()
    ids: set[str] = set()
    for fake in fakes.values():
        for post in fake.live_posts():
            match = MARKER.search(post.sent_text)
            if match:
                posts[(match.group(1), int(match.group(2)))] += 1
                ids.add(post.id)
    shares = []
    for _ in each_organisation():
        shares += list(Share.objects.values_list("pk", "status", "external_id", "action_required"))
    lost = 0
    landed_waiting = 0
    for share_id, status, external_id, action in shares:
        on_network = posts[markers[share_id]]
        if status == "published" and (on_network == 0 or (external_id and external_id not in ids)):
            lost += 1  # we say it went out, and it did not
        elif status == "publishing" or (on_network and status not in ("published", "needs_action")):
            lost += 1  # stuck, or out on the network while we say otherwise
        elif on_network and status == "needs_action" and action == "check":
            landed_waiting += 1
    return {
        "duplicates": sum(n - 1 for n in posts.values() if n > 1),
        "lost": lost,
        "landed, member asked to check": landed_waiting,
    }


def main() -> int:
    args = parse_args()
    os.environ["DJANGO_SETTINGS_MODULE"] = args.settings
    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/13"
    os.environ.update(SOAK_ENV | {"REDIS_URL": redis_url, "CELERY_BROKER_URL": redis_url, "CELERY_RESULT_BACKEND": ""})
    import django

    django.setup()
    import redis

    from ambassadors.tasks.publishing import enqueue_due_publishes

    redis.Redis.from_url(redis_url).flushdb()
    rng = random.Random(args.seed)
    fakes = start_fakes(rng, args.fault_rate)
    fake_env = point_at_fakes(fakes)
    log_dir = REPO / "var" / "soak"
    log_dir.mkdir(parents=True, exist_ok=True)
    with throwaway_database():
        markers = seed(fakes, args.shares, args.connections)
        env = {**os.environ, **fake_env, "DATABASE_URL": database_url()}
        workers = Workers(env, log_dir)
        for _ in range(args.workers):
            workers.start()
        print(
            f"Seeded {len(markers)} shares on {args.connections} accounts; {args.workers} workers; faults "
            f"{args.fault_rate:.0%} of requests; a worker killed every {args.kill_every:.0f}s."
        )
        started = last_kill = time.monotonic()
        resends = forwards = 0
        try:
            while time.monotonic() - started < args.deadline:
                enqueue_due_publishes()
                resends += member_checks()
                state = counts()
                if not state["scheduled"] and not state["publishing"]:
                    break
                forwards += fast_forward(fakes)
                if time.monotonic() - last_kill > args.kill_every:
                    workers.kill_one(rng)
                    last_kill = time.monotonic()
                time.sleep(0.5)
            elapsed = time.monotonic() - started
        finally:
            workers.stop()
        state = counts()
        figures = audit(fakes, markers)
    published = state["published"]
    print(f"{'published':<34} {published:>6}")
    for name in sorted(state):
        if name != "published":
            print(f"{name:<34} {state[name]:>6}")
    print(f"{'still pending':<34} {state['scheduled'] + state['publishing']:>6}")
    for name, value in figures.items():
        print(f"{name:<34} {value:>6}")
    print(f"{'member resends (publish again)':<34} {resends:>6}")
    print(f"{'rate-limit fast-forwards':<34} {forwards:>6}")
    print(f"{'workers killed (SIGKILL)':<34} {workers.kills:>6}")
    print(f"{'time to drain (s)':<34} {elapsed:>6.0f}")
    print(f"{'throughput (published / min)':<34} {published / (elapsed / 60):>6.0f}")
    return 1 if figures["duplicates"] or figures["lost"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
