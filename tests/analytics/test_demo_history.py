"""The demo history: members joining over the period, shares on weekdays, the figures each network gives, clicks with
robots left out, rollups equal to the rows it wrote, referrals credited to the members who shared the campaigns and
colleagues who left; once only, the same for the same seed, and nothing outside the demo organisation."""

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from advocacy.models import Membership, Organization
from advocacy.roles import Role
from advocacy.tenancy import organization_scope, scopes_disabled
from ambassadors.models import MetricSnapshot, Share, SocialConnection
from analytics.demo_history import LEAVERS, seed_history
from analytics.models import (
    Click,
    DailyStat,
    Departure,
    DepartureDay,
    ReferralCode,
    ReferralEvent,
    RollupState,
    TrackedLink,
)
from analytics.retention import default_quarter, past_quarters, retention
from analytics.rollups import rollup_days
from charter.models import CharterAcceptance
from content.models import Post
from tests.ambassadors.factories import ShareFactory
from tests.factories import MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

DAYS = 21


def run(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo_history", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def outsider() -> Organization:
    organization = OrganizationFactory(slug="globex")
    with organization_scope(organization):
        membership = MembershipFactory(organization=organization, role=Role.AMBASSADOR)
        ShareFactory(organization=organization, membership=membership)
    return organization


@pytest.fixture
def demo(outsider) -> Organization:
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo_content", stdout=StringIO())
    return Organization.objects.get(slug="demo")


def counts(organization: Organization) -> dict[str, int]:
    with scopes_disabled():
        return {
            model.__name__: model.objects.filter(organization=organization).count()
            for model in (
                Membership,
                Post,
                Share,
                MetricSnapshot,
                TrackedLink,
                Click,
                DailyStat,
                CharterAcceptance,
                ReferralEvent,
                Departure,
                DepartureDay,
            )
        }


def test_it_fills_the_period_then_adds_nothing_the_second_time(demo, outsider):
    outsider_before = counts(outsider)

    out = run("--days", str(DAYS), "--seed", "7")

    assert "Demo history ready" in out
    zone = ZoneInfo(demo.time_zone)
    with organization_scope(demo):
        joined = Membership.objects.filter(user__email__endswith="@demo.relais.test").exclude(
            user__email__regex=r"^(admin|editor|legal|comms|manager|ambassador\d)@"
        )
        assert joined.count() == 40
        assert len({m.created_at.astimezone(zone).date() for m in joined}) >= 8
        assert CharterAcceptance.objects.filter(membership__in=joined).count() >= 25
        connections = SocialConnection.objects.filter(membership__in=joined)
        assert {c.provider for c in connections} == {"linkedin", "x"}
        # Never a token in a seed: the accounts are there, none of them can publish.
        assert all(c.access_token_sealed == c.refresh_token_sealed == "" for c in connections)
        assert not any(c.is_usable for c in connections)

        shares = Share.objects.filter(status=Share.Status.PUBLISHED)
        share_days = {share.published_at.astimezone(zone).date() for share in shares}
        assert len(share_days) >= 8
        assert {share.network for share in shares} == {"linkedin", "x"}
        weekdays = Counter(share.published_at.astimezone(zone).weekday() for share in shares)
        assert sum(weekdays[day] for day in range(5)) > 4 * sum(weekdays[day] for day in (5, 6))

        # LinkedIn member posts give no impressions; X does. A figure not given is None, never 0.
        linkedin = MetricSnapshot.objects.filter(share__network="linkedin")
        x = MetricSnapshot.objects.filter(share__network="x")
        assert linkedin.exists() and x.exists()
        assert not linkedin.filter(impressions__isnull=False).exists()
        assert not linkedin.filter(reshares__isnull=False).exists()
        assert not x.filter(impressions__isnull=True).exists()

        clicks = Click.objects.all()
        assert clicks.filter(filtered="").count() > clicks.exclude(filtered="").count() > 0
        assert clicks.filter(first_of_day=True).count() < clicks.filter(filtered="").count()
        assert not clicks.exclude(filtered="").filter(first_of_day=True).exists()

        links = list(TrackedLink.objects.all())
        assert sum(link.clicks for link in links) == clicks.filter(filtered="").count()
        assert sum(link.filtered_clicks for link in links) == clicks.exclude(filtered="").count()

        # The rollups were built for the period, from these rows: a rebuild gives the same rows.
        assert RollupState.objects.exists()
        made = Counter(DailyStat.objects.values_list(*ROLLUP_FIELDS))
        totals = DailyStat.objects.filter(breakdown=DailyStat.Breakdown.ALL)
        assert sum(row.shares for row in totals) == shares.count()
        assert sum(row.clicks for row in totals) == clicks.filter(filtered="").count()
        assert sum(row.unique_clicks for row in totals) == clicks.filter(first_of_day=True).count()
        first_day = min(row.day for row in totals)
        last_day = max(row.day for row in totals)
        rollup_days(organization=demo, first_day=first_day, last_day=last_day)
        assert Counter(DailyStat.objects.values_list(*ROLLUP_FIELDS)) == made

    after_first = counts(demo)
    assert "already there: nothing added" in run("--days", str(DAYS), "--seed", "8")
    assert counts(demo) == after_first
    assert counts(outsider) == outsider_before


ROLLUP_FIELDS = (
    "day",
    "breakdown",
    "membership_id",
    "network",
    "topic_id",
    "programme_id",
    "post_id",
    "shares",
    "clicks",
    "unique_clicks",
    "likes",
    "likes_known",
    "comments",
    "impressions",
    "impressions_known",
)


def test_topics_differ_in_shares_and_clicks(demo):
    run("--days", "60", "--seed", "3")

    with organization_scope(demo):
        rows = DailyStat.objects.filter(breakdown=DailyStat.Breakdown.TOPIC, topic__isnull=False)
        shares, clicks = Counter(), Counter()
        for row in rows.select_related("topic"):
            shares[row.topic.name] += row.shares
            clicks[row.topic.name] += row.clicks
    ratio = {name: clicks[name] / shares[name] for name in shares if shares[name]}
    # Team life is shared more and clicked less than job offers.
    assert shares["Vie de l'entreprise"] > shares["Recrutement"]
    assert ratio["Recrutement"] > 3 * ratio["Vie de l'entreprise"]


def test_it_needs_the_demo_first():
    OrganizationFactory(slug="demo")
    with pytest.raises(CommandError, match="seed_demo"):
        run("--days", "5")
    with pytest.raises(CommandError, match="seed_demo"):
        run("--org", "nowhere")


# A fixed end, so that the quarters the retention page offers are known: the history runs from 5 September to
# 3 December 2026, and the last quarter over is the third.
NOW = datetime(2026, 12, 3, 15, tzinfo=UTC)


class _Rollback(Exception):
    pass


def referrals_and_departures(organization: Organization) -> tuple[list[tuple], list[tuple]]:
    """What a run drew, without what is random by design (codes) or numbered by the database (primary keys)."""
    events = ReferralEvent.objects.filter(organization=organization).order_by("occurred_at", "kind", "pk")
    departures = Departure.objects.filter(organization=organization).order_by("joined_on", "left_on", "pk")
    return (
        [(e.kind, e.occurred_at, e.post.title, e.membership.user.email, e.source) for e in events],
        [(d.joined_on, d.left_on, d.programme_ids, d.email_digest, d.active_days.count()) for d in departures],
    )


def test_campaigns_bring_referrals_to_those_who_shared_them_and_colleagues_leave(demo):
    with organization_scope(demo):
        try:
            with transaction.atomic():
                seed_history(organization=demo, days=90, seed=2026, now=NOW)
                first = referrals_and_departures(demo)
                raise _Rollback
        except _Rollback:
            pass
        assert not ReferralEvent.objects.exists()
        seed_history(organization=demo, days=90, seed=2026, now=NOW)
        # The same seed draws the same rows.
        assert referrals_and_departures(demo) == first

        campaigns = Counter(Post.objects.exclude(campaign="").values_list("campaign", flat=True))
        assert campaigns == {Post.Campaign.JOB_OFFER: 3, Post.Campaign.LEAD_CAMPAIGN: 1}
        assert not Post.objects.exclude(campaign="").filter(referral_parameter="").exists()

        events = list(ReferralEvent.objects.select_related("post", "membership"))
        kinds = Counter(event.kind for event in events)
        assert kinds[ReferralEvent.Kind.APPLICATION] > kinds[ReferralEvent.Kind.HIRE] >= 2
        assert kinds[ReferralEvent.Kind.LEAD] >= 5
        codes = dict(ReferralCode.objects.values_list("membership_id", "code"))
        shared = {
            (membership, post): published
            for membership, post, published in Share.objects.order_by("-published_at").values_list(
                "membership_id", "post_id", "published_at"
            )
        }
        zone = ZoneInfo(demo.time_zone)
        first_day = NOW.astimezone(zone).date() - timedelta(days=89)
        for event in events:
            # Credited to a member who shared the post before, with the code their links carried.
            assert shared[event.membership_id, event.post_id] < event.occurred_at <= NOW
            assert event.referral_code == codes[event.membership_id]
            assert event.post.campaign == (
                Post.Campaign.LEAD_CAMPAIGN if event.kind == ReferralEvent.Kind.LEAD else Post.Campaign.JOB_OFFER
            )
            assert event.source == ReferralEvent.Source.WEBHOOK and event.idempotency_key
        months = {event.occurred_at.astimezone(zone).month for event in events}
        assert months == {9, 10, 11, 12}

        departures = list(Departure.objects.all())
        assert len(departures) == len(LEAVERS)
        assert all(d.membership_id is None and d.joined_on < d.left_on for d in departures)
        assert all(first_day <= d.left_on < NOW.date() for d in departures)
        active = {d.departure_id for d in DepartureDay.objects.all()}
        assert 0 < len(active) < len(departures) - len(active)

        # The last quarter over shows both groups; the default one (its horizon over) has only the pilot's people,
        # too few to show but not an empty page.
        today = NOW.astimezone(zone).date()
        last_quarter = retention(organization=demo, start=past_quarters(today)[0][0], end=past_quarters(today)[0][1])
        assert (last_quarter.start, last_quarter.end) == (date(2026, 7, 1), date(2026, 9, 30))
        assert last_quarter.active.shown and last_quarter.others.shown
        assert last_quarter.active.left + last_quarter.others.left > 0
        settled = retention(organization=demo, start=default_quarter(today)[0], end=default_quarter(today)[1])
        assert not settled.is_empty
