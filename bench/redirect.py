"""Throughput of the tracked-link redirect (/r/<code>) next to a minimal Django view, and the clicks it keeps.

Needs wrk, the HTTP load generator: ``apt-get install wrk`` (Debian's package). Seeds 100,000 tracked links over two
organisations into a throw-away PostgreSQL database (and, as ``link_for_share`` does, into the shared cache), starts
gunicorn (sync workers, 2 x cores + 1 as gunicorn advises) on a free port of 127.0.0.1 with
``advocacy.wsgi:application`` and bench/settings_redirect.py (production's settings, Django's default middleware),
then drives ``/r/<code>`` with codes drawn from a Zipf-like skew, some of the requests sent as LinkedIn's
link-preview robot, and ``/bench/minimal/`` with the same wrk settings, in alternating rounds. It prints both
throughputs, their ratio (the bar: the redirect at least as fast as the minimal view), their p50 and p99, then runs
the click flusher (``manage.py flush_clicks``) until the stream is empty and compares the clicks sent with the
clicks stored. It exits with 1 when they differ, and with 2 when wrk is missing. See bench/README.md.
"""

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.harness import database_url, throwaway_database  # noqa: E402 - after the path is set

SETTINGS = "bench.settings_redirect"
SLUGS = ("bench-a", "bench-b")
MEMBERS = 50
POSTS = 200
# A share has one link in the app; TrackedLink.share is not unique, so the bench hangs many links on each share to
# seed 100,000 links in seconds. The redirect and the flusher read a link's own row, never its share's others.
LINKS_PER_SHARE = 20
# gunicorn's own advice for sync workers, "(2 x $num_cores) + 1": fewer leave the cores idle whenever a worker waits
# (on Redis, for the redirect), more only add switching.
WORKERS = 2 * (os.cpu_count() or 1) + 1
BROWSER = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
BOT = "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)"

# Each wrk thread walks the path list from its own offset. Requests are counted when written: those still in flight
# when wrk stops are read by gunicorn all the same, and their clicks are due. wrk calls request() once in the first
# thread to check the script before sending anything; that call is not counted. The counters are read back by
# done() in wrk's main state.
WRK_SCRIPT = """
local paths_file, browser_ua, bot_ua = %(paths)s, %(browser)s, %(bot)s
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  mode = args[1]
  offset = tonumber(args[2] or "0")
  paths, bots = {}, {}
  if mode == "redirect" then
    for line in io.lines(paths_file) do
      bots[#bots + 1] = line:sub(1, 1) == "b"
      paths[#paths + 1] = line:sub(3)
    end
  end
  position = (offset + id * 7919) %% math.max(#paths, 1)
  checking = id == 0
  sent, sent_bots = 0, 0
  browser_headers = {["User-Agent"] = browser_ua}
  bot_headers = {["User-Agent"] = bot_ua}
end

function request()
  if checking then
    checking = false
    return wrk.format("GET", "/bench/minimal/", browser_headers)
  end
  sent = sent + 1
  if mode ~= "redirect" then
    return wrk.format("GET", "/bench/minimal/", browser_headers)
  end
  position = position %% #paths + 1
  if bots[position] then
    sent_bots = sent_bots + 1
    return wrk.format("GET", paths[position], bot_headers)
  end
  return wrk.format("GET", paths[position], browser_headers)
end

function done(summary, latency, requests)
  local sent_total, bots_total = 0, 0
  for _, thread in ipairs(threads) do
    sent_total = sent_total + thread:get("sent")
    bots_total = bots_total + thread:get("sent_bots")
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH {"completed": %%d, "duration_us": %%d, "p50_us": %%.0f, "p99_us": %%.0f, "sent": %%d, "bots": %%d, ' ..
    '"errors": %%d, "status_errors": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), sent_total, bots_total,
    errors.connect + errors.read + errors.write + errors.timeout, errors.status))
end
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=100_000, help="tracked links over 2 organisations (100000)")
    parser.add_argument(
        "--workers", type=int, default=WORKERS, help=f"gunicorn workers, for both URLs (default {WORKERS})"
    )
    parser.add_argument(
        "--worker-class", default="sync", choices=("sync", "gthread"), help="gunicorn's, for both URLs (default sync)"
    )
    parser.add_argument("--server-threads", type=int, default=4, help="threads of a gthread worker (default 4)")
    parser.add_argument("--threads", type=int, default=2, help="wrk -t (default 2)")
    parser.add_argument("--connections", type=int, default=32, help="wrk -c (default 32)")
    parser.add_argument("--duration", type=float, default=10, help="seconds per URL and round (default 10)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of both URLs, one after the other (default 3)")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of warm-up of each URL (default 3)")
    parser.add_argument("--paths", type=int, default=200_000, help="length of the drawn path list (200000)")
    parser.add_argument("--skew", type=float, default=1.1, help="Zipf exponent s, weights 1/rank^s (default 1.1)")
    parser.add_argument("--bots", type=float, default=0.05, help="share of /r/ requests sent as LinkedInBot (0.05)")
    parser.add_argument("--seed", type=int, default=12, help="random seed of the path list (default 12)")
    parser.add_argument(
        "--database", default="relais_bench", help="throw-away database to create and drop (default relais_bench)"
    )
    return parser.parse_args()


def seed(links: int) -> list[str]:
    """Two organisations with members, posts, shares and ``links`` tracked links; returns the links' codes."""
    from django.db import connection

    from advocacy.models import Membership, Organization, User
    from advocacy.tenancy import organization_scope
    from ambassadors.models import Share
    from analytics.links import new_code
    from analytics.models import TrackedLink
    from analytics.redirect import share_targets
    from content.models import Network, Post

    codes: set[str] = set()
    while len(codes) < links:
        codes.add(new_code())
    ordered = sorted(codes)
    per_org = links // len(SLUGS)
    networks = (Network.LINKEDIN, Network.X)
    for index, slug in enumerate(SLUGS):
        org_codes = ordered[index * per_org : (index + 1) * per_org if index < len(SLUGS) - 1 else links]
        organization = Organization.objects.create(slug=slug, name=slug.upper(), language="en")
        users = User.objects.bulk_create(
            User(email=f"member{n}@{slug}.test", full_name=f"Member {n} of {slug}") for n in range(MEMBERS)
        )
        with organization_scope(organization):
            memberships = Membership.objects.bulk_create(
                Membership(organization=organization, user=user, role="ambassador") for user in users
            )
            posts = Post.objects.bulk_create(
                Post(
                    organization=organization,
                    title=f"News {n} of {slug}",
                    link=f"https://www.example.com/{slug}/news/{n}",
                    status=Post.Status.APPROVED,
                )
                for n in range(POSTS)
            )
            shares = Share.objects.bulk_create(
                (
                    Share(
                        organization=organization,
                        membership=memberships[n % MEMBERS],
                        post=posts[n % POSTS],
                        network=networks[n % 2],
                        text=f"Worth a read: {posts[n % POSTS].title}",
                        link=posts[n % POSTS].link,
                        status=Share.Status.PUBLISHED,
                    )
                    for n in range(-(-len(org_codes) // LINKS_PER_SHARE))
                ),
                batch_size=5000,
            )
            TrackedLink.objects.bulk_create(
                (
                    TrackedLink(
                        organization=organization,
                        code=code,
                        share=share,
                        post_id=share.post_id,
                        membership_id=share.membership_id,
                        network=share.network,
                        destination=f"{share.link}?utm_source={share.network}&utm_medium=employee_advocacy",
                    )
                    for code, share in zip(
                        org_codes, (share for share in shares for _ in range(LINKS_PER_SHARE)), strict=False
                    )
                ),
                batch_size=5000,
            )
            # As link_for_share does for each new link: the shared cache knows it before its first click.
            share_targets(TrackedLink.objects.all())
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return ordered


def write_paths(codes: list[str], args: argparse.Namespace, path: Path) -> None:
    """``args.paths`` requests: codes ranked in a random order, drawn with weight 1/rank^s; one line each, "b" for
    the robot's, "h" for a person's."""
    rng = random.Random(args.seed)
    ranked = codes[:]
    rng.shuffle(ranked)
    weights = [1 / rank**args.skew for rank in range(1, len(ranked) + 1)]
    drawn = rng.choices(ranked, weights=weights, k=args.paths)
    lines = [f"{'b' if rng.random() < args.bots else 'h'} /r/{code}\n" for code in drawn]
    path.write_text("".join(lines))
    print(f"{args.paths:,} requests drawn over {len(set(drawn)):,} distinct codes (s={args.skew}).")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(env: dict[str, str], port: int, args: argparse.Namespace, log: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "gunicorn", "advocacy.wsgi:application", "--chdir", str(REPO)]
    command += ["--bind", f"127.0.0.1:{port}", "--workers", str(args.workers), "--worker-class", args.worker_class]
    if args.worker_class == "gthread":
        command += ["--threads", str(args.server_threads)]
    with log.open("w") as output:
        server = subprocess.Popen(command, cwd=REPO, env=env, stdout=output, stderr=output)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}; see {log}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/minimal/", timeout=5) as response:
                if response.status == 200:
                    return server
        except OSError:  # refused, reset or timed out while the workers boot
            time.sleep(0.3)
    server.terminate()
    raise SystemExit(f"gunicorn did not answer within 60 s; see {log}")


def run_wrk(
    args: argparse.Namespace, script: Path, url: str, mode: str, seconds: float, offset: int = 0
) -> dict[str, float]:
    """One wrk run; ``offset`` is where the redirect's threads start in the path list, so that each run goes on
    where the previous ones stopped instead of asking again for codes the caches already hold."""
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds:g}s", "--latency"]
    command += ["-s", str(script), url, "--", mode, str(offset)]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("BENCH "))
    figures = json.loads(line.removeprefix("BENCH "))
    figures["rps"] = figures["completed"] / (figures["duration_us"] / 1e6)
    figures["output"] = "\n".join(line for line in output.splitlines() if not line.startswith("BENCH "))
    if figures["errors"] or figures["status_errors"]:
        print(
            f"{mode}: {figures['errors']} socket errors or timeouts, {figures['status_errors']} answers 4xx or 5xx.",
            file=sys.stderr,
        )
    return figures


def measure(args: argparse.Namespace, script: Path, base: str, redirect_path: str) -> list[dict]:
    """A warm-up of each URL, then ``args.rounds`` rounds of the redirect and the minimal view one after the other,
    so that both meet the same state of the machine; returns every run."""
    runs = []
    sent = 0
    for mode, path in (("redirect", redirect_path), ("minimal", "/bench/minimal/")):
        run = run_wrk(args, script, base + path, mode, args.warmup, offset=sent)
        run.update(mode=mode, round=0)
        sent += int(run["sent"]) if mode == "redirect" else 0
        runs.append(run)
    for number in range(1, args.rounds + 1):
        for mode, path in (("redirect", redirect_path), ("minimal", "/bench/minimal/")):
            run = run_wrk(args, script, base + path, mode, args.duration, offset=sent)
            run.update(mode=mode, round=number)
            sent += int(run["sent"]) if mode == "redirect" else 0
            runs.append(run)
            print(f"round {number}, {mode}: {run['rps']:.0f} req/s, p50 {run['p50_us'] / 1000:.2f} ms")
    return runs


def stream_left(client, stream: str) -> int:
    """Clicks not yet stored: the flusher deletes an entry from the stream once its click is written."""
    return client.xlen(stream)


def flush(env: dict[str, str], client, stream: str) -> tuple[int, float]:
    """Run the flusher as an operator would until the stream is drained; returns its runs and their time."""
    started = time.perf_counter()
    for run in range(1, 31):
        subprocess.run([sys.executable, "manage.py", "flush_clicks"], cwd=REPO, env=env, check=True)
        if stream_left(client, stream) == 0:
            return run, time.perf_counter() - started
    raise SystemExit(f"The stream still holds {stream_left(client, stream)} clicks after 30 runs of flush_clicks.")


def stored_clicks() -> dict[str, int]:
    from django.db.models import Count, Sum

    from advocacy.models import Organization
    from advocacy.tenancy import organization_scope
    from analytics.models import Click, TrackedLink

    found = {"counted": 0, "filtered": 0, "link counters": 0}
    for organization in Organization.objects.filter(slug__in=SLUGS):
        with organization_scope(organization):
            for filtered, n in Click.objects.values_list("filtered").annotate(n=Count("pk")).order_by():
                found["counted" if filtered == "" else "filtered"] += n
                if filtered:
                    found[f"filtered as {filtered}"] = found.get(f"filtered as {filtered}", 0) + n
            found["link counters"] += TrackedLink.objects.aggregate(total=Sum("clicks"))["total"] or 0
    return found


def main() -> int:
    args = parse_args()
    if shutil.which("wrk") is None:
        print("wrk is missing: install it (apt-get install wrk) and run the bench again.", file=sys.stderr)
        return 2
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    import django

    django.setup()
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.RELAIS_CLICKS_REDIS_URL)
    stream = settings.RELAIS_CLICKS_STREAM
    # Clicks left by an earlier run belong to links of a database dropped since.
    client.delete(stream)
    with throwaway_database(args.database), tempfile.TemporaryDirectory(prefix="relais-bench-") as scratch:
        started = time.perf_counter()
        codes = seed(args.links)
        print(
            f"Seeded {len(codes):,} tracked links over {len(SLUGS)} organisations"
            f" in {time.perf_counter() - started:.1f}s."
        )
        paths = Path(scratch) / "paths.txt"
        write_paths(codes, args, paths)
        script = Path(scratch) / "bench.lua"
        strings = {"paths": json.dumps(str(paths)), "browser": json.dumps(BROWSER), "bot": json.dumps(BOT)}
        script.write_text(WRK_SCRIPT % strings)

        env = os.environ | {"DJANGO_SETTINGS_MODULE": SETTINGS, "DATABASE_URL": database_url()}
        port = free_port()
        log = REPO / "var" / "bench" / "redirect-gunicorn.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        server = start_gunicorn(env, port, args, log)
        base = f"http://127.0.0.1:{port}"
        try:
            print(
                f"gunicorn: {args.workers} {args.worker_class} workers; wrk -t{args.threads} -c{args.connections}, "
                f"{args.duration:g} s per URL after {args.warmup:g} s of warm-up."
            )
            runs = measure(args, script, base, f"/r/{codes[0]}")
            # The requests written just before wrk stopped are still being answered, their clicks sent.
            time.sleep(2)
        finally:
            server.terminate()
            server.wait(timeout=30)

        measured = [run for run in runs if run["round"]]
        ratios = [
            redirect["rps"] / minimal["rps"] for redirect, minimal in zip(measured[0::2], measured[1::2], strict=True)
        ]
        print(f"\n{'URL':<16} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}   (median of {args.rounds} rounds)")
        for name, mode in (("/r/<code>", "redirect"), ("/bench/minimal/", "minimal")):
            rows = [run for run in measured if run["mode"] == mode]
            rps, p50, p99 = (statistics.median(run[key] for run in rows) for key in ("rps", "p50_us", "p99_us"))
            print(f"{name:<16} {rps:>9.0f} {p50 / 1000:>8.2f} {p99 / 1000:>8.2f}")
        ratio = statistics.median(ratios)
        verdict = "meets" if ratio >= 1.0 else "FALLS SHORT OF"
        each = ", ".join(f"{value:.2f}" for value in ratios)
        print(f"Ratio redirect / minimal: {ratio:.2f} (rounds: {each}): {verdict} the bar (>= 1.0).")

        flushes, took = flush(env, client, stream)
        redirects = [run for run in runs if run["mode"] == "redirect"]
        sent_bots = sum(int(run["bots"]) for run in redirects)
        sent = sum(int(run["sent"]) for run in redirects) - sent_bots
        stored = stored_clicks()
        print(f"\nFlushed in {flushes} run(s) of flush_clicks, {took:.1f}s.")
        print(f"Clicks sent (warm-up and measured /r/ requests, robots left out): {sent:,}")
        print(f"Clicks stored and counted: {stored['counted']:,} (the links' counters: {stored['link counters']:,})")
        print(f"Robot requests sent: {sent_bots:,}; stored as filtered: {stored['filtered']:,}", end="")
        detail = ", ".join(f"{name[12:]} {n:,}" for name, n in stored.items() if name.startswith("filtered as "))
        print(f" ({detail})" if detail else "")
        lost = stored["counted"] != sent or stored["filtered"] != sent_bots
        if lost:
            print("Stored clicks differ from those sent.", file=sys.stderr)
    return 1 if lost else 0


if __name__ == "__main__":
    raise SystemExit(main())
