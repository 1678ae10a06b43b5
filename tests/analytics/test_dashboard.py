"""The managers' KPI dashboard: figures read from the rollups (each share once, whatever the filter), the comparison
with the previous period, unknown figures never shown as 0, the topics' gap, the adoption funnel, the period's
field errors, the empty state, a bounded number of queries, and who may open it (the outsider gets a 404)."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from advocacy.models import Membership
from advocacy.tenancy import organization_scope
from ambassadors.models import MetricSnapshot, Share, SocialConnection
from analytics.dashboard import Filters, Period, adoption, headline, over_time, topic_gaps
from analytics.models import DailyStat, ReferralEvent, ReferralSettings, RollupState
from analytics.rollups import rollup_days
from analytics.tasks import rollup_organization
from charter.models import CharterAcceptance
from content.models import Post, PostProgramme, PostTopic, Topic
from tests.ambassadors.test_shares import accept_charter, live_post, share_of
from tests.analytics.factories import clicks_at, record_post_day, tracked
from tests.conftest import org_url
from tests.factories import InvitationFactory, ProgrammeFactory, ProgrammeMemberFactory

pytestmark = pytest.mark.django_db

Breakdown = DailyStat.Breakdown
PARIS = ZoneInfo("Europe/Paris")
MAY_1 = date(2026, 5, 1)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world(personas):
    """Two topics, one programme, three posts and two members' figures over May and April 2026."""
    organization = personas.organization
    with organization_scope(organization):
        people = Topic.objects.create(organization=organization, name="People")
        product = Topic.objects.create(organization=organization, name="Product")
        sales = ProgrammeFactory(organization=organization, name="Sales")
        posts = [Post.objects.create(organization=organization, title=f"Post {n}") for n in range(3)]
        PostTopic.objects.create(organization=organization, post=posts[0], topic=people)
        PostTopic.objects.create(organization=organization, post=posts[1], topic=people)
        PostTopic.objects.create(organization=organization, post=posts[1], topic=product)
        PostProgramme.objects.create(organization=organization, post=posts[1], programme=sales)
        alice = personas.membership(personas.ambassador)
        bob = personas.membership(personas.editor)
        # May: post 0 (people) shared 3 times, little clicked; post 1 (people + product, in Sales) clicked a lot.
        record_post_day(
            organization,
            MAY_1,
            alice,
            "linkedin",
            posts[0],
            topics=[people],
            shares=3,
            clicks=4,
            unique_clicks=2,
            likes=10,
            likes_known=3,
        )
        record_post_day(
            organization,
            MAY_1 + timedelta(days=3),
            bob,
            "x",
            posts[1],
            topics=[people, product],
            programmes=[sales],
            shares=1,
            clicks=30,
            unique_clicks=20,
            likes=5,
            likes_known=1,
            impressions=900,
            impressions_known=1,
        )
        # A click-only day (no share that day): a share published earlier still brings clicks.
        record_post_day(
            organization,
            MAY_1 + timedelta(days=5),
            alice,
            "linkedin",
            posts[0],
            topics=[people],
            shares=0,
            clicks=3,
            unique_clicks=3,
        )
        # April (the previous period of 1–31 May): one share.
        record_post_day(
            organization, date(2026, 4, 20), alice, "linkedin", posts[2], shares=1, clicks=2, unique_clicks=2
        )
    return {"people": people, "product": product, "sales": sales, "posts": posts, "alice": alice, "bob": bob}


MAY = Period(MAY_1, date(2026, 5, 31))


def test_the_headline_counts_each_share_once_and_compares_with_the_previous_period(personas, world):
    with organization_scope(personas.organization):
        figures = headline(personas.organization, Filters(MAY))

    assert (figures.current.shares, figures.current.clicks, figures.current.unique_clicks) == (4, 37, 25)
    assert figures.current.active_ambassadors == 2
    assert (figures.previous.shares, figures.previous.unique_clicks) == (1, 2)
    assert figures.current.likes == 15 and figures.current.engagement == 15
    assert (figures.current.impressions, figures.current.impressions_known) == (900, 1)
    assert figures.by_network["linkedin"].impressions is None  # never given: not 0
    assert figures.by_network["x"].unique_clicks == 20


def test_each_filter_reads_the_breakdown_that_counts_a_share_once(personas, world):
    organization = personas.organization
    with organization_scope(organization):
        by_topic = headline(organization, Filters(MAY, topic=world["people"])).current
        by_programme = headline(organization, Filters(MAY, programme=world["sales"])).current
        both = headline(organization, Filters(MAY, programme=world["sales"], topic=world["product"])).current
        neither = headline(organization, Filters(MAY, programme=world["sales"], topic=None, network="linkedin")).current

    assert (by_topic.shares, by_topic.unique_clicks) == (4, 25)
    assert (by_programme.shares, by_programme.unique_clicks) == (1, 20)
    assert (both.shares, both.unique_clicks) == (1, 20)
    assert neither.shares == 0


def test_the_topics_gap_names_what_audiences_click_beyond_what_is_shared(personas, world):
    with organization_scope(personas.organization):
        gaps = {gap.topic.name: gap for gap in topic_gaps(personas.organization, Filters(MAY))}
        in_programme = {
            gap.topic.name for gap in topic_gaps(personas.organization, Filters(MAY, programme=world["sales"]))
        }

    # Topic rows: people has 4 shares and 25 clicks, product 1 share and 20 clicks, out of 5 and 45.
    assert gaps["People"].share_of_shares == pytest.approx(80.0)
    assert gaps["Product"].share_of_clicks == pytest.approx(100 * 20 / 45)
    assert gaps["Product"].gap > 0 > gaps["People"].gap
    assert in_programme == {"People", "Product"}

    page = _client(personas.manager).get(
        org_url("analytics_dashboard", personas), {"start": "2026-05-01", "end": "2026-05-31"}
    )
    text = page.content.decode()
    assert page.status_code == 200
    assert "Audiences want more of “Product”" in text
    assert "“People” is shared more than it is clicked" in text


def test_over_time_fills_every_bucket_and_leaves_unknown_figures_unknown(personas, world):
    with organization_scope(personas.organization):
        days = over_time(personas.organization, Filters(MAY))
        weeks = over_time(personas.organization, Filters(Period(date(2026, 2, 1), MAY.end)))
        months = over_time(personas.organization, Filters(Period(date(2024, 6, 1), MAY.end)))

    assert len(days) == 31 and days[0].by_network["linkedin"].shares == 3
    assert days[1].by_network["linkedin"].shares == 0
    assert days[0].by_network["linkedin"].impressions is None
    assert all(bucket.first_day.weekday() == 0 for bucket in weeks)
    assert [bucket.first_day.day for bucket in months] == [1] * 24
    # The figures added up per bucket in the database land in their bucket, whatever its size: May's three shares on
    # LinkedIn, and April's too from February or earlier.
    for buckets, shares in ((days, 3), (weeks, 4), (months, 4)):
        assert sum(bucket.by_network["linkedin"].shares for bucket in buckets) == shares
    assert weeks[-5].first_day == date(2026, 4, 27) and weeks[-5].by_network["linkedin"].shares == 3


def test_the_page_says_not_provided_by_the_network_and_shows_every_table(personas, world):
    page = _client(personas.manager).get(
        org_url("analytics_dashboard", personas), {"start": "2026-05-01", "end": "2026-05-31"}
    )
    text = page.content.decode()

    assert "not provided by the network" in text
    for chart in ("chart-shares", "chart-unique_clicks", "chart-funnel", "chart-topics"):
        assert f'data-chart="{chart}"' in text and f'id="{chart}"' in text
    assert "Post 1" in text  # top posts
    assert "Sales" in text  # programmes compared
    assert "vendor/chart-4.6.1.umd.min.js" in text


def test_the_adoption_funnel_counts_each_step_at_the_end_of_the_period(personas):
    organization = personas.organization
    end = datetime(2026, 5, 31, 12, tzinfo=PARIS)
    with organization_scope(organization):
        members = list(Membership.objects.filter(organization=organization).order_by("pk"))
        Membership.objects.filter(pk__in=[m.pk for m in members]).update(created_at=end - timedelta(days=60))
        late = personas.membership(personas.approver)
        Membership.objects.filter(pk=late.pk).update(created_at=end + timedelta(days=2))
        invitation = InvitationFactory(organization=organization, email="pending@acme.test")
        type(invitation).objects.filter(pk=invitation.pk).update(created_at=end - timedelta(days=10))
        accept_charter(personas, personas.ambassador)
        CharterAcceptance.objects.filter(membership=personas.membership(personas.ambassador)).update(
            accepted_at=end - timedelta(days=40)
        )
        ambassador = personas.membership(personas.ambassador)
        SocialConnection.objects.create(
            organization=organization, membership=ambassador, provider="linkedin", provider_uid="abc"
        )
        SocialConnection.objects.filter(membership=ambassador).update(created_at=end - timedelta(days=40))
        post = live_post(personas)
        old = share_of(personas, ambassador, post, status=Share.Status.PUBLISHED)
        Share.objects.filter(pk=old.pk).update(published_at=end - timedelta(days=45))
        programme = ProgrammeFactory(organization=organization, name="Sales")
        ProgrammeMemberFactory(organization=organization, programme=programme, membership=ambassador)

        funnel = adoption(organization, Filters(Period(date(2026, 5, 1), date(2026, 5, 31))))

    joined = len(members) - 1
    assert funnel.current.joined == joined
    assert funnel.current.invited == joined + 1
    assert (funnel.current.charter, funnel.current.connected, funnel.current.shared) == (1, 1, 1)
    assert funnel.current.active == 0  # shared 45 days before the end
    assert funnel.previous.active == 1  # on 30 April the share was 15 days old
    sales = dict(funnel.by_programme)[programme]
    assert (sales.joined, sales.charter, sales.shared) == (1, 1, 1)


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"start": "2026-05-31", "end": "2026-05-01"}, "end", "The period ends before it starts"),
        ({"start": "2024-01-01", "end": "2026-05-01"}, "start", "A period covers two years at most"),
        ({"start": "yesterday"}, "start", "Enter a valid date"),
        ({"topic": "999999"}, "topic", "Select a valid choice"),
    ],
)
def test_a_bad_period_or_filter_is_a_field_error_never_a_500(personas, query, field, message):
    with organization_scope(personas.organization):
        Topic.objects.create(organization=personas.organization, name="People")
    response = _client(personas.manager).get(org_url("analytics_dashboard", personas), query)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert field in response.context["form"].errors
    assert "Fix the period above" in response.content.decode()


def test_a_period_without_data_says_so(personas):
    response = _client(personas.manager).get(org_url("analytics_dashboard", personas), {"start": "2026-01-01"})

    assert response.status_code == 200
    assert "No share and no click in this period." in response.content.decode()


def test_the_page_in_french(personas, world):
    personas.manager.language = "fr"
    personas.manager.save(update_fields=["language"])
    text = (
        _client(personas.manager)
        .get(org_url("analytics_dashboard", personas), {"start": "2026-05-01", "end": "2026-05-31"})
        .content.decode()
    )

    assert "Tableau de bord" in text
    assert "non fourni par le réseau" in text


def test_the_figures_are_kept_until_the_next_rollup_run(personas, world, django_assert_max_num_queries):
    """After a rollup run the page's figures are kept: the same period again reads no rollup row, and the figures
    change with the next run (what the rollup job writes), not before."""
    organization = personas.organization
    client = _client(personas.manager)
    url, may = org_url("analytics_dashboard", personas), {"start": "2026-05-01", "end": "2026-05-31"}
    with organization_scope(organization):
        run_at = datetime(2026, 6, 1, 9, tzinfo=PARIS)
        state = RollupState.objects.create(organization=organization, covered_until=run_at)

    first = client.get(url, may)
    with organization_scope(organization):
        record_post_day(organization, MAY_1, world["bob"], "x", world["posts"][2], shares=10, clicks=0, unique_clicks=0)
    with django_assert_max_num_queries(16):
        again = client.get(url, may)
    with organization_scope(organization):
        state.covered_until += timedelta(minutes=10)
        state.save()
    after_the_run = client.get(url, may)

    assert first.context["figures"].shares == again.context["figures"].shares == 4
    assert after_the_run.context["figures"].shares == 14
    assert "Figures as of" in after_the_run.content.decode()
    # Another organisation's page never reads these figures: its outsider gets a 404 here.
    assert _client(personas.outsider).get(url, may).status_code == 404


def test_a_rollup_run_works_out_the_quick_periods_of_a_dashboard_opened_lately(
    personas, world, django_assert_max_num_queries
):
    organization, other = personas.organization, personas.other_organization
    client = _client(personas.manager)
    client.get(org_url("analytics_dashboard", personas))

    ran = rollup_organization.apply(kwargs={"organization_id": organization.pk}).get()
    nobody_looked = rollup_organization.apply(kwargs={"organization_id": other.pk}).get()

    assert (ran["periods_worked_out"], nobody_looked["periods_worked_out"]) == (6, 0)
    # The default period (the last 28 days) is one of them: the page reads no rollup row.
    with django_assert_max_num_queries(16):
        assert client.get(org_url("analytics_dashboard", personas)).status_code == 200


def test_the_dashboard_takes_a_bounded_number_of_queries(personas, world, django_assert_max_num_queries):
    client = _client(personas.manager)
    with organization_scope(personas.organization):
        for n in range(5):
            ProgrammeFactory(organization=personas.organization, name=f"Programme {n}")
    with django_assert_max_num_queries(30):
        response = client.get(
            org_url("analytics_dashboard", personas),
            {"start": "2025-06-01", "end": "2026-05-31", "programme": world["sales"].pk, "topic": world["people"].pk},
        )
    assert response.status_code == 200


@pytest.mark.parametrize("role", ["admin", "editor", "manager"])
def test_admins_editors_and_managers_open_the_dashboard(personas, role):
    assert _client(getattr(personas, role)).get(org_url("analytics_dashboard", personas)).status_code == 200


@pytest.mark.parametrize("role", ["ambassador", "approver"])
def test_ambassadors_and_approvers_may_not(personas, role):
    assert _client(getattr(personas, role)).get(org_url("analytics_dashboard", personas)).status_code == 403


def test_the_outsider_gets_a_404(personas, world):
    assert _client(personas.outsider).get(org_url("analytics_dashboard", personas)).status_code == 404


def test_from_raw_shares_and_clicks_through_the_rollup_to_the_page(personas):
    """End to end: a published share, its snapshot and its clicks, rolled up, then read by the dashboard."""
    organization = personas.organization
    day = date.today() - timedelta(days=2)
    noon = datetime.combine(day, datetime.min.time(), tzinfo=PARIS) + timedelta(hours=12)
    with organization_scope(organization):
        accept_charter(personas, personas.ambassador)
        member = personas.membership(personas.ambassador)
        post = live_post(personas, title="Our new plant", link="https://news.example.test/plant")
        share = share_of(personas, member, post, status=Share.Status.PUBLISHED)
        Share.objects.filter(pk=share.pk).update(published_at=noon)
        MetricSnapshot.objects.create(share=share, slot=1, taken_at=noon, likes=7, comments=2, reshares=None)
        link = tracked(share)
        clicks_at(link, noon + timedelta(hours=1), counted=5, unique=4, filtered=3)
        rollup_days(organization=organization, first_day=day, last_day=day)

    text = _client(personas.manager).get(org_url("analytics_dashboard", personas)).content.decode()

    assert "Our new plant" in text
    with organization_scope(organization):
        figures = headline(organization, Filters(Period(day, day))).current
    assert (figures.shares, figures.clicks, figures.unique_clicks, figures.engagement) == (1, 5, 4, 9)


# --- My impact -------------------------------------------------------------------------------------------------------


def test_my_impact_shows_my_own_figures_only(personas, world):
    client = _client(personas.ambassador)
    response = client.get(org_url("my_impact", personas), {"start": "2026-05-01", "end": "2026-05-31"})
    text = response.content.decode()

    assert response.status_code == 200
    figures = response.context["figures"]
    # Alice's 3 LinkedIn shares, 7 clicks (5 unique); not Bob's X share.
    assert (figures.shares, figures.clicks, figures.unique_clicks) == (3, 7, 5)
    assert "Post 0" in text and "Post 1" not in text
    assert [gap.topic.name for gap in response.context["topic_gaps"]] == ["People"]
    assert "programme" not in response.context["form"].fields


def test_my_impact_before_any_share_points_to_the_feed(personas):
    text = _client(personas.approver).get(org_url("my_impact", personas)).content.decode()

    assert "Nothing shared in this period yet." in text
    assert org_url("feed", personas) in text


def test_my_impact_takes_a_bounded_number_of_queries(personas, world, django_assert_max_num_queries):
    client = _client(personas.ambassador)
    with django_assert_max_num_queries(16):
        response = client.get(org_url("my_impact", personas), {"start": "2025-06-01", "end": "2026-05-31"})
    assert response.status_code == 200


def test_the_outsider_gets_a_404_on_my_impact(personas):
    assert _client(personas.outsider).get(org_url("my_impact", personas)).status_code == 404


def test_the_dashboard_counts_the_periods_referrals_and_compares_the_cost_per_hire(personas, world):
    organization = personas.organization
    with organization_scope(organization):
        ReferralSettings.objects.create(
            organization=organization, agency_fee=Decimal("8000"), programme_cost_per_month=Decimal("1000")
        )
        for kind, day in (("hire", 3), ("hire", 20), ("lead", 5), ("application", 40)):
            ReferralEvent.objects.create(
                organization=organization,
                kind=kind,
                membership=world["alice"],
                referral_code="ALICE",
                occurred_at=datetime(2026, 5, 1, 12, tzinfo=PARIS) + timedelta(days=day),
                source=ReferralEvent.Source.MANUAL,
            )

    response = _client(personas.manager).get(
        org_url("analytics_dashboard", personas), {"start": "2026-05-01", "end": "2026-05-31"}
    )

    referrals = response.context["referrals"]
    assert (referrals.applications, referrals.hires, referrals.leads) == (0, 2, 1)
    # A month of a 1,000-a-month programme (12 × 31 ÷ 365 months) for 2 hires.
    assert response.context["hire_cost"].cost_per_hire == Decimal("509.59")
