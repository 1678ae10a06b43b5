"""The daily rollups: equal to a straight count over seeded random shares, snapshots and clicks of two organisations,
on the organisation's own days, with unknown figures kept unknown; rebuilt identically, incrementally, per
organisation only, and never outside a scope."""

import random
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_scopes import ScopeError

from advocacy.models import Organization
from advocacy.tenancy import organization_scope, scopes_disabled
from ambassadors.models import MetricSnapshot, Share
from analytics.clicks import ClickEvent, new_event_id, store_clicks
from analytics.dashboard import SHARES, UNIQUE_CLICKS, Filters, Period, Spans, member_totals
from analytics.models import Click, DailyStat, RollupState, TrackedLink
from analytics.rollups import METRICS, MONTHS, changed_days, month_end, rollup_changed, rollup_days
from analytics.tasks import rollup_organization
from content.models import PostProgramme, PostTopic
from tests.ambassadors.factories import ShareFactory
from tests.content.factories import PostFactory, TopicFactory
from tests.factories import MembershipFactory, OrganizationFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
NETWORKS = ("linkedin", "x")
FILTERS = ("", "", "", "", Click.Filtered.BOT, Click.Filtered.PREVIEW, Click.Filtered.HEAD)


def last_march_31() -> date:
    """The latest 31 March whose next days are over: a recent date keeps the data within the clicks' retention."""
    today = timezone.now().date()
    return date(today.year if today > date(today.year, 4, 3) else today.year - 1, 3, 31)


MARCH_31 = last_march_31()
# The week around the end of March: the clocks go forward in Paris on its last Sunday.
FIRST_DAY = MARCH_31 - timedelta(days=5)
LAST_DAY = MARCH_31 + timedelta(days=2)


def paris(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS)


@dataclass
class Seeded:
    organization: Organization
    links: list[TrackedLink]


def link_for(share: Share, n: int) -> TrackedLink:
    return TrackedLink.objects.create(
        code=f"t{share.organization_id}n{n}",
        share=share,
        post=share.post,
        membership=share.membership,
        network=share.network,
        destination=share.post.link,
    )


def click(link: TrackedLink, at: datetime, *, visitor: str = "a", filtered: str = "") -> ClickEvent:
    return ClickEvent(
        event_id=new_event_id(at),
        organization_id=link.organization_id,
        link_id=link.pk,
        share_id=link.share_id,
        membership_id=link.membership_id,
        post_id=link.post_id,
        network=link.network,
        clicked_at=at.astimezone(UTC),
        day=at.astimezone(PARIS).date(),
        referrer_host="",
        visitor_hash=visitor.ljust(32, "0"),
        filtered=filtered,
    )


def random_moment(rng: random.Random) -> datetime:
    start = paris(FIRST_DAY, 0).astimezone(UTC)
    end = paris(LAST_DAY + timedelta(days=1), 0).astimezone(UTC)
    return start + timedelta(seconds=rng.randrange(int((end - start).total_seconds())))


def seed(seed_value: int, *, shares: int = 24, clicks: int = 300) -> Seeded:
    """Members, posts with 0 to 2 topics and programmes, shares published (or not) over the week, snapshots with
    figures sometimes unknown, clicks of robots and of repeat visitors, some at the day's very edges."""
    rng = random.Random(seed_value)
    organization = OrganizationFactory(time_zone="Europe/Paris")
    with organization_scope(organization):
        members = MembershipFactory.create_batch(3, organization=organization)
        topics = TopicFactory.create_batch(3, organization=organization)
        programmes = ProgrammeFactory.create_batch(2, organization=organization)
        posts = PostFactory.create_batch(5, organization=organization)
        for post in posts:
            for topic in rng.sample(topics, rng.randrange(3)):
                PostTopic.objects.create(post=post, topic=topic)
            for programme in rng.sample(programmes, rng.randrange(3)):
                PostProgramme.objects.create(post=post, programme=programme)
        links = []
        for n in range(shares):
            published = rng.random() < 0.8
            share = ShareFactory(
                organization=organization,
                membership=rng.choice(members),
                post=rng.choice(posts),
                network=rng.choice(NETWORKS),
                status=Share.Status.PUBLISHED if published else Share.Status.FAILED,
                published_at=random_moment(rng) if published else None,
            )
            links.append(link_for(share, n))
            moment = share.published_at or random_moment(rng)
            for slot in range(rng.randrange(4)):
                moment += timedelta(hours=rng.randrange(1, 30))
                MetricSnapshot.objects.create(
                    share=share,
                    slot=slot + 1,
                    taken_at=moment,
                    likes=rng.choice([None, rng.randrange(50)]),
                    comments=rng.randrange(10),
                    reshares=rng.choice([None, rng.randrange(5)]),
                    impressions=None if share.network == "linkedin" else rng.randrange(2000),
                    reach=rng.randrange(1500) if share.network == "linkedin" else None,
                )
        visitors = "abcdefg"
        events = [
            click(rng.choice(links), random_moment(rng), visitor=rng.choice(visitors), filtered=rng.choice(FILTERS))
            for _ in range(clicks)
        ]
        if clicks:
            # The days' edges: just before and just after midnight in Paris.
            edge = links[0]
            events += [click(edge, paris(MARCH_31, 23, 30)), click(edge, paris(MARCH_31 + timedelta(days=1), 0, 30))]
    store_clicks(events)
    return Seeded(organization, links)


def straight_count(organization: Organization) -> dict[tuple, dict]:
    """The ``all`` breakdown counted over the raw rows, the obvious way."""
    expected: dict[tuple, dict] = defaultdict(
        lambda: (
            {"shares": 0, "clicks": 0, "unique": set()}
            | {m: None for m in METRICS}
            | {f"{m}_known": 0 for m in METRICS}
        )
    )
    start, end = paris(FIRST_DAY, 0), paris(LAST_DAY + timedelta(days=1), 0)
    with organization_scope(organization):
        for share in Share.objects.filter(status=Share.Status.PUBLISHED):
            row = expected[(share.published_at.astimezone(PARIS).date(), share.membership_id, share.network)]
            row["shares"] += 1
            latest = share.snapshots.order_by("taken_at", "slot").last()
            for name in METRICS:
                value = getattr(latest, name, None)
                if value is not None:
                    row[name] = (row[name] or 0) + value
                    row[f"{name}_known"] += 1
        for event in Click.objects.filter(clicked_at__gte=start, clicked_at__lt=end):
            if event.filtered:
                continue
            day = event.clicked_at.astimezone(PARIS).date()
            row = expected[(day, event.membership_id, event.network)]
            row["clicks"] += 1
            row["unique"].add((event.link_id, event.visitor_hash))
    return {key: row | {"unique": len(row["unique"])} for key, row in expected.items()}


def rolled_up(organization: Organization, breakdown: str = DailyStat.Breakdown.ALL) -> dict[tuple, dict]:
    with organization_scope(organization):
        rows = DailyStat.objects.filter(breakdown=breakdown)
        return {
            (row.day, row.membership_id, row.network, row.topic_id, row.programme_id, row.post_id): {
                "shares": row.shares,
                "clicks": row.clicks,
                "unique": row.unique_clicks,
            }
            | {name: getattr(row, name) for name in METRICS}
            | {f"{name}_known": getattr(row, f"{name}_known") for name in METRICS}
            for row in rows
        }


def rows_snapshot(organization: Organization) -> list[tuple]:
    with organization_scope(organization):
        return sorted(
            DailyStat.objects.values_list(
                "breakdown",
                "day",
                "membership_id",
                "network",
                "topic_id",
                "programme_id",
                "post_id",
                "shares",
                "clicks",
                "unique_clicks",
                *METRICS,
                *(f"{name}_known" for name in METRICS),
            ),
            key=repr,
        )


def rebuild(organization: Organization, first: date = FIRST_DAY, last: date = LAST_DAY) -> int:
    with organization_scope(organization):
        return rollup_days(organization=organization, first_day=first, last_day=last)


@pytest.fixture
def two_orgs() -> tuple[Seeded, Seeded]:
    return seed(14), seed(41)


def test_the_rollups_equal_a_straight_count_over_the_raw_data(two_orgs):
    for seeded in two_orgs:
        rebuild(seeded.organization)

        got = {
            (day, member, network): row
            for (day, member, network, _, _, _), row in rolled_up(seeded.organization).items()
        }
        assert got == straight_count(seeded.organization)


def test_the_topic_and_programme_breakdowns_count_a_share_once_per_topic_and_programme(two_orgs):
    organization = two_orgs[0].organization
    rebuild(organization)
    with organization_scope(organization):
        topics = defaultdict(list)
        for row in PostTopic.objects.all():
            topics[row.post_id].append(row.topic_id)
        programmes = defaultdict(list)
        for row in PostProgramme.objects.all():
            programmes[row.post_id].append(row.programme_id)
        by_topic: dict[tuple, int] = defaultdict(int)
        by_programme: dict[tuple, int] = defaultdict(int)
        for share in Share.objects.filter(status=Share.Status.PUBLISHED):
            day = share.published_at.astimezone(PARIS).date()
            for topic in topics[share.post_id] or [None]:
                by_topic[(day, share.membership_id, share.network, topic, None, None)] += 1
            for programme in programmes[share.post_id] or [None]:
                by_programme[(day, share.membership_id, share.network, None, programme, None)] += 1
        counted = list(Click.objects.filter(filtered=""))

    topic_rows = rolled_up(organization, DailyStat.Breakdown.TOPIC)
    programme_rows = rolled_up(organization, DailyStat.Breakdown.PROGRAMME)
    assert {key: row["shares"] for key, row in topic_rows.items() if row["shares"]} == by_topic
    assert {key: row["shares"] for key, row in programme_rows.items() if row["shares"]} == by_programme
    assert sum(row["clicks"] for row in rolled_up(organization).values()) == len(counted)
    assert sum(row["clicks"] for row in topic_rows.values()) == sum(len(topics[c.post_id]) or 1 for c in counted)


def test_the_post_breakdown_keeps_the_finest_grain_and_adds_up_to_the_totals(two_orgs):
    organization = two_orgs[0].organization
    rebuild(organization)
    with organization_scope(organization):
        by_post: dict[tuple, int] = defaultdict(int)
        for share in Share.objects.filter(status=Share.Status.PUBLISHED):
            by_post[
                (share.published_at.astimezone(PARIS).date(), share.membership_id, share.network, share.post_id)
            ] += 1

    post_rows = rolled_up(organization, DailyStat.Breakdown.POST)
    got = {(day, member, network, post): row["shares"] for (day, member, network, _, _, post), row in post_rows.items()}
    assert {key: shares for key, shares in got.items() if shares} == by_post
    totals = rolled_up(organization)
    for figure in ("shares", "clicks", "unique", "reach_known"):
        assert sum(row[figure] for row in post_rows.values()) == sum(row[figure] for row in totals.values())


def test_robots_previews_and_head_requests_are_not_clicks():
    seeded = seed(1, shares=1, clicks=0)
    link = seeded.links[0]
    moment = paris(MARCH_31, 10)
    store_clicks(
        [
            click(link, moment, visitor="a"),
            click(link, moment + timedelta(minutes=1), visitor="a"),
            click(link, moment + timedelta(minutes=2), visitor="b"),
            click(link, moment + timedelta(minutes=3), visitor="c", filtered=Click.Filtered.BOT),
            click(link, moment + timedelta(minutes=4), visitor="d", filtered=Click.Filtered.PREVIEW),
            click(link, moment + timedelta(minutes=5), visitor="e", filtered=Click.Filtered.HEAD),
        ]
    )
    rebuild(seeded.organization, MARCH_31, MARCH_31)

    with organization_scope(seeded.organization):
        row = DailyStat.objects.get(breakdown=DailyStat.Breakdown.ALL, day=MARCH_31, membership=link.membership_id)
    assert (row.clicks, row.unique_clicks) == (3, 2)


def test_a_click_belongs_to_the_day_of_the_organisations_time_zone():
    seeded = seed(2, shares=1, clicks=0)
    link = seeded.links[0]
    april_1 = MARCH_31 + timedelta(days=1)
    # Summer time: 23:30 in Paris on the 31st is 21:30 UTC, and 00:30 on 1 April is still the 31st in UTC.
    store_clicks([click(link, paris(MARCH_31, 23, 30), visitor="p"), click(link, paris(april_1, 0, 30), visitor="q")])
    rebuild(seeded.organization, MARCH_31 - timedelta(days=1), april_1 + timedelta(days=1))

    with organization_scope(seeded.organization):
        clicks = dict(
            DailyStat.objects.filter(breakdown=DailyStat.Breakdown.ALL, clicks__gt=0).values_list("day", "clicks")
        )
    assert clicks == {MARCH_31: 1, april_1: 1}


def test_a_figure_the_network_did_not_give_stays_unknown():
    organization = OrganizationFactory(time_zone="Europe/Paris")
    with organization_scope(organization):
        member = MembershipFactory(organization=organization)
        for impressions, likes in ((None, 0), (None, 4), (120, None)):
            share = ShareFactory(
                organization=organization,
                membership=member,
                status=Share.Status.PUBLISHED,
                published_at=paris(MARCH_31, 9),
            )
            MetricSnapshot.objects.create(share=share, slot=1, taken_at=paris(MARCH_31, 10), likes=99, impressions=999)
            MetricSnapshot.objects.create(
                share=share, slot=2, taken_at=paris(MARCH_31, 15), likes=likes, impressions=impressions
            )
        ShareFactory(
            organization=organization,
            membership=member,
            status=Share.Status.PUBLISHED,
            published_at=paris(MARCH_31, 11),
        )
    rebuild(organization, MARCH_31, MARCH_31)

    with organization_scope(organization):
        row = DailyStat.objects.get(breakdown=DailyStat.Breakdown.ALL, day=MARCH_31)
    # The latest snapshot counts; a 0 given is known, a figure not given is not.
    assert row.shares == 4
    assert (row.likes, row.likes_known) == (4, 2)
    assert (row.impressions, row.impressions_known) == (120, 1)
    assert (row.reshares, row.reshares_known) == (None, 0)


def test_a_rebuild_gives_the_same_rows(two_orgs):
    organization = two_orgs[0].organization
    rebuild(organization)
    first = rows_snapshot(organization)
    rebuild(organization)

    assert first
    assert rows_snapshot(organization) == first


def test_the_incremental_run_rewrites_only_the_days_touched_and_equals_a_full_rebuild(two_orgs):
    seeded = two_orgs[0]
    organization = seeded.organization
    # An hour after the data was written, so that the second run's look-back no longer reaches it.
    first_run = timezone.now() + timedelta(hours=1)
    later = first_run + timedelta(minutes=1)
    with organization_scope(organization):
        assert set(rollup_changed(organization=organization, now=first_run)) >= {MARCH_31}
        # Month rows are rewritten with any of their days.
        kept = dict(DailyStat.objects.exclude(breakdown__in=MONTHS).values_list("pk", "day"))
        # A click now, and a new poll of a share published in the week.
        share = Share.objects.filter(status=Share.Status.PUBLISHED).order_by("pk").first()
        MetricSnapshot.objects.create(share=share, slot=9, taken_at=later, likes=7)
    store_clicks([click(seeded.links[1], later, visitor="z")])

    with organization_scope(organization):
        days = rollup_changed(organization=organization, now=first_run + timedelta(minutes=10))
        untouched = dict(DailyStat.objects.filter(pk__in=kept).values_list("pk", "day"))

    today = later.astimezone(PARIS).date()
    assert set(days) == {share.published_at.astimezone(PARIS).date(), today}
    assert {pk: day for pk, day in kept.items() if day not in days} == untouched
    incremental = rows_snapshot(organization)
    rebuild(organization, FIRST_DAY, today)
    assert rows_snapshot(organization) == incremental


def test_a_second_incremental_run_with_nothing_new_rewrites_nothing(two_orgs):
    organization = two_orgs[0].organization
    first_run = timezone.now() + timedelta(hours=1)
    later = first_run + timedelta(minutes=10)
    with organization_scope(organization):
        rollup_changed(organization=organization, now=first_run)
        assert rollup_changed(organization=organization, now=later) == []
        assert RollupState.objects.get().covered_until == later


def test_the_task_rolls_up_in_its_organisations_scope(two_orgs):
    organization, other = two_orgs[0].organization, two_orgs[1].organization

    result = rollup_organization.apply(kwargs={"organization_id": organization.pk}).get()

    assert result["outcome"] == "done"
    assert rows_snapshot(organization)
    assert rows_snapshot(other) == []


@pytest.mark.tenancy
def test_an_organisations_rollup_holds_none_of_another_organisations_data(two_orgs):
    mine, outsider = two_orgs[0].organization, two_orgs[1].organization
    rebuild(mine)
    rebuild(outsider)

    with scopes_disabled():
        members = {
            org_id: set(
                DailyStat.objects.filter(organization_id=org_id, membership__isnull=False).values_list(
                    "membership__organization_id"
                )
            )
            for org_id in (mine.pk, outsider.pk)
        }
    assert members == {mine.pk: {(mine.pk,)}, outsider.pk: {(outsider.pk,)}}
    with organization_scope(mine), pytest.raises(ScopeError):
        rollup_days(organization=outsider, first_day=FIRST_DAY, last_day=LAST_DAY)
    assert rows_snapshot(outsider)


@pytest.mark.tenancy
def test_rollups_outside_a_scope_fail_closed(two_orgs):
    organization = two_orgs[0].organization

    with pytest.raises(ScopeError):
        rollup_days(organization=organization, first_day=FIRST_DAY, last_day=LAST_DAY)
    with pytest.raises(ScopeError):
        changed_days(organization=organization, since=None)
    with pytest.raises(ScopeError):
        DailyStat.objects.count()


def test_the_rollup_of_a_range_takes_a_bounded_number_of_queries(django_assert_max_num_queries):
    small, large = seed(5, shares=2, clicks=5), seed(6, shares=40, clicks=600)
    for seeded in (small, large):
        # One insert per breakdown, whatever the amount of data.
        with organization_scope(seeded.organization), django_assert_max_num_queries(18):
            rollup_days(organization=seeded.organization, first_day=FIRST_DAY, last_day=LAST_DAY)


def test_the_command_rebuilds_one_organisation_or_all(two_orgs):
    mine, other = two_orgs[0].organization, two_orgs[1].organization

    call_command("analytics_rollup", "--org", mine.slug, "--from", str(FIRST_DAY), "--to", str(LAST_DAY))
    assert rows_snapshot(mine)
    assert rows_snapshot(other) == []
    call_command("analytics_rollup", "--from", str(FIRST_DAY), "--to", str(LAST_DAY))
    assert rows_snapshot(other)


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        ("2026-03-31", "2026-03-30", "ends"),
        ("2024-12-01", "2026-12-02", "longer than two years"),
        ("2000-01-01", "2000-01-02", "no longer kept"),
        ("2026-02-30", "2026-03-01", "not a day"),
    ],
)
def test_the_command_refuses_a_bad_range(first, last, message):
    with pytest.raises(CommandError, match=message):
        call_command("analytics_rollup", "--from", first, "--to", last)


def test_the_command_refuses_an_unknown_organisation():
    with pytest.raises(CommandError, match="No organisation"):
        call_command("analytics_rollup", "--org", "nowhere", "--from", "2026-03-01", "--to", "2026-03-02")


def _added_up(rows: dict[tuple, dict], key: Callable[[tuple], tuple]) -> dict[tuple, dict]:
    """``rolled_up`` rows added up by ``key`` of their key; an unknown (None) figure stays out, as SQL's SUM does."""
    sums: dict[tuple, dict] = defaultdict(dict)
    for row_key, figures in rows.items():
        into = sums[key(row_key)]
        for name, value in figures.items():
            into[name] = into.get(name) if value is None else (into.get(name) or 0) + value
    return dict(sums)


B = DailyStat.Breakdown


@pytest.mark.parametrize(
    ("breakdown", "source", "key"),
    [
        (B.ORG, B.ALL, lambda k: (k[0], None, k[2], None, None, None)),
        (B.ORG_TOPIC, B.TOPIC, lambda k: (k[0], None, k[2], k[3], None, None)),
        (B.ORG_PROGRAMME, B.PROGRAMME, lambda k: (k[0], None, k[2], None, k[4], None)),
        (B.ORG_POST, B.POST, lambda k: (k[0], None, k[2], None, None, k[5])),
        (B.MONTH, B.ALL, lambda k: (k[0].replace(day=1), k[1], k[2], None, None, None)),
        (B.MONTH_TOPIC, B.TOPIC, lambda k: (k[0].replace(day=1), k[1], k[2], k[3], None, None)),
        (B.MONTH_PROGRAMME, B.PROGRAMME, lambda k: (k[0].replace(day=1), k[1], k[2], None, k[4], None)),
        (B.MONTH_POST, B.ORG_POST, lambda k: (k[0].replace(day=1), None, k[2], None, None, k[5])),
    ],
)
def test_each_coarser_breakdown_adds_up_a_finer_one(two_orgs, breakdown, source, key):
    """The seeded week runs over the end of March: two months."""
    organization = two_orgs[0].organization
    rebuild(organization)

    coarse = rolled_up(organization, breakdown)
    assert coarse
    assert coarse == _added_up(rolled_up(organization, source), key)


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@pytest.mark.parametrize("today", [date(2026, 1, 10), date(2026, 12, 3)])
def test_the_spans_of_a_period_count_each_of_its_days_once(today):
    for offset in range(0, 75, 3):
        for length in (1, 5, 28, 31, 32, 45, 91, 365):
            start = date(2025, 12, 20) + timedelta(days=offset)
            period = Period(start, start + timedelta(days=length - 1))
            spans = Spans.of(period, today)
            counted: Counter[date] = Counter()
            for month in spans.months:
                counted.update(_days(month, month_end(month)))
            for days in spans.added:
                counted.update(_days(days.start, days.end))
            for days in spans.removed:
                counted.subtract(_days(days.start, days.end))
            assert {day: n for day, n in counted.items() if n} == dict.fromkeys(_days(period.start, period.end), 1)


def test_a_year_reads_its_months_and_a_few_edge_days():
    spans = Spans.of(Period(date(2025, 12, 4), date(2026, 12, 3)), today=date(2026, 12, 3))

    # The current month whole (its days after today have no rows: taking them away reads nothing).
    assert len(spans.months) == 13
    assert (spans.months[0], spans.months[-1]) == (date(2025, 12, 1), date(2026, 12, 1))
    assert spans.removed == (
        Period(date(2025, 12, 1), date(2025, 12, 3)),
        Period(date(2026, 12, 4), date(2026, 12, 31)),
    )
    assert spans.added == ()


def test_each_members_figures_over_months_and_edge_days_equal_their_days_added_up(two_orgs):
    organization = two_orgs[0].organization
    rebuild(organization)
    days = rolled_up(organization)
    periods = [
        Period(FIRST_DAY, LAST_DAY),
        Period(FIRST_DAY + timedelta(days=2), MARCH_31),
        Period(MARCH_31 - timedelta(days=40), LAST_DAY - timedelta(days=1)),
    ]
    for period in periods:
        expected: dict[int, tuple[int, int]] = defaultdict(lambda: (0, 0))
        for (day, member, *_), row in days.items():
            if member and period.start <= day <= period.end:
                shares, unique = expected[member]
                expected[member] = (shares + row["shares"], unique + row["unique"])
        with organization_scope(organization):
            got = member_totals(organization, Filters(period))
        assert {
            member: (f[SHARES], f[UNIQUE_CLICKS]) for member, f in got.items() if f[SHARES] or f[UNIQUE_CLICKS]
        } == {member: figures for member, figures in expected.items() if any(figures)}
