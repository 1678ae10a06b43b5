"""The demo history: members joining over the period, shares on weekdays, the figures each network gives, clicks with
robots left out, and rollups equal to the rows it wrote; once only, and nothing outside the demo organisation."""

from collections import Counter
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from advocacy.models import Membership, Organization
from advocacy.roles import Role
from advocacy.tenancy import organization_scope, scopes_disabled
from ambassadors.models import MetricSnapshot, Share, SocialConnection
from analytics.models import Click, DailyStat, RollupState, TrackedLink
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
            for model in (Membership, Post, Share, MetricSnapshot, TrackedLink, Click, DailyStat, CharterAcceptance)
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
