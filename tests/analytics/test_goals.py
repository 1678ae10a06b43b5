"""Programme goals: the quarter's progress read from the programme rows of the daily rollups (organisation-local days,
other programmes, breakdowns and quarters left out) in few queries, and the goals page for the organisation's admins
and the programme's own admins only, with field errors, audit entries and a 404 for the outsider."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from advocacy.models import AuditEntry, Membership
from advocacy.tenancy import organization_scope
from analytics.models import DailyStat, ProgrammeGoal, ReferralEvent
from analytics.selectors import current_quarter, goal_progress, quarter_days
from content.models import Network
from tests.analytics.factories import DailyStatFactory
from tests.conftest import org_url
from tests.factories import MembershipFactory, ProgrammeFactory, ProgrammeMemberFactory

pytestmark = pytest.mark.django_db

PROGRAMME = DailyStat.Breakdown.PROGRAMME
TARGETS = {"active_ambassadors": "12", "shares": "150", "unique_clicks": "2000", "referrals": ""}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def programme(personas):
    with organization_scope(personas.organization):
        return ProgrammeFactory(organization=personas.organization, name="Engineering", slug="engineering")


@pytest.fixture
def seeded(personas, programme):
    """Q2 2025 of the Engineering programme: 3 shares by one member, 25 unique clicks; rows that must not count."""
    acme = personas.organization
    with organization_scope(acme):
        first, second, third = (MembershipFactory(organization=acme) for _ in range(3))
        other = ProgrammeFactory(organization=acme)

        def row(**fields):
            return DailyStatFactory(organization=acme, breakdown=PROGRAMME, programme=programme, **fields)

        row(day=dt.date(2025, 4, 1), membership=first, shares=2, unique_clicks=10, clicks=14)
        row(day=dt.date(2025, 6, 30), membership=first, network=Network.X, shares=1, unique_clicks=5)
        row(day=dt.date(2025, 5, 15), membership=second, shares=0, unique_clicks=7)  # clicks on an older share
        row(day=dt.date(2025, 5, 16), membership=None, shares=0, unique_clicks=3)  # a link that names nobody now
        row(day=dt.date(2025, 3, 31), membership=third, shares=5, unique_clicks=50)  # the quarter before
        row(day=dt.date(2025, 7, 1), membership=third, shares=5, unique_clicks=50)  # the quarter after
        # Another programme, and the all-programme rows of the same shares.
        DailyStatFactory(organization=acme, breakdown=PROGRAMME, programme=other, day=dt.date(2025, 5, 1), shares=4)
        DailyStatFactory(organization=acme, day=dt.date(2025, 5, 1), membership=third, shares=100, unique_clicks=900)
        ProgrammeGoal.objects.create(
            organization=acme, programme=programme, year=2025, quarter=2, active_ambassadors=4, shares=6
        )
    return programme


def test_progress_counts_the_referrals_credited_to_the_programmes_members_in_the_quarter(personas, seeded):
    acme = personas.organization
    paris = ZoneInfo("Europe/Paris")
    with organization_scope(acme):
        member, outsider_to_programme = MembershipFactory(organization=acme), MembershipFactory(organization=acme)
        ProgrammeMemberFactory(organization=acme, programme=seeded, membership=member)

        def event(membership, when, kind=ReferralEvent.Kind.HIRE):
            ReferralEvent.objects.create(
                organization=acme,
                kind=kind,
                membership=membership,
                referral_code="R" + str(membership.pk),
                occurred_at=when,
                source=ReferralEvent.Source.MANUAL,
            )

        event(member, dt.datetime(2025, 4, 1, 0, 30, tzinfo=paris))  # Paris' first half hour of the quarter
        event(member, dt.datetime(2025, 6, 30, 23, 30, tzinfo=paris), kind=ReferralEvent.Kind.LEAD)
        event(member, dt.datetime(2025, 7, 1, 0, 30, tzinfo=paris))  # the next quarter
        event(outsider_to_programme, dt.datetime(2025, 5, 1, 12, tzinfo=paris))
        progress = goal_progress(organization=acme, programme=seeded, year=2025, quarter=2)

    assert progress.referrals.actual == 2


def test_quarters_run_from_their_first_to_their_last_day():
    assert quarter_days(2025, 1) == (dt.date(2025, 1, 1), dt.date(2025, 3, 31))
    assert quarter_days(2024, 1)[1] - quarter_days(2024, 1)[0] == dt.timedelta(days=90)  # a leap year
    assert quarter_days(2025, 4) == (dt.date(2025, 10, 1), dt.date(2025, 12, 31))
    with pytest.raises(ValueError):
        quarter_days(2025, 5)


def test_progress_counts_the_programmes_rows_of_the_quarter_only(personas, seeded, django_assert_max_num_queries):
    with organization_scope(personas.organization), django_assert_max_num_queries(3):
        progress = goal_progress(organization=personas.organization, programme=seeded, year=2025, quarter=2)

    assert progress.active_ambassadors.actual == 1  # the second member only had clicks
    assert progress.shares.actual == 3
    assert progress.unique_clicks.actual == 25
    assert progress.referrals.actual == 0
    assert (progress.active_ambassadors.target, progress.shares.target, progress.unique_clicks.target) == (4, 6, None)
    assert progress.active_ambassadors.percent == 25
    assert progress.shares.percent == 50
    assert progress.unique_clicks.percent is None
    assert progress.days_total == progress.days_elapsed == 91  # a quarter over


def test_a_quarter_without_goal_or_activity_reads_zero_and_no_target(personas, programme):
    with organization_scope(personas.organization):
        progress = goal_progress(organization=personas.organization, programme=programme, year=2025, quarter=1)
    assert progress.goal is None
    assert [target for _name, target in progress.targets][:3] == [
        type(progress.shares)(None, 0),
        type(progress.shares)(None, 0),
        type(progress.shares)(None, 0),
    ]


def test_the_current_quarter_and_its_days_are_the_organisations_local_ones(personas, programme):
    # 23:30 UTC on 31 March is already 1 April in Paris: the second quarter has begun there, on its first day.
    with time_machine.travel(dt.datetime(2026, 3, 31, 23, 30, tzinfo=dt.UTC), tick=False):
        assert personas.organization.time_zone == "Europe/Paris"
        assert current_quarter(organization=personas.organization) == (2026, 2)
        with organization_scope(personas.organization):
            progress = goal_progress(organization=personas.organization, programme=programme, year=2026, quarter=2)
            before = goal_progress(organization=personas.organization, programme=programme, year=2026, quarter=3)
    assert progress.days_elapsed == 1
    assert before.days_elapsed == 0


def test_another_organisations_rows_never_count(personas, seeded):
    globex = personas.other_organization
    with organization_scope(globex):
        theirs = ProgrammeFactory(organization=globex)
        DailyStatFactory(organization=globex, breakdown=PROGRAMME, programme=theirs, day=dt.date(2025, 5, 1), shares=9)
    with organization_scope(personas.organization):
        progress = goal_progress(organization=personas.organization, programme=seeded, year=2025, quarter=2)
    assert progress.shares.actual == 3


# --- The goals page -------------------------------------------------------------------------------------------------


def test_an_admin_sets_a_quarters_goals_and_the_change_is_audited(personas, programme):
    client = _client(personas.admin)
    url = org_url("programme_goals", personas, programme.pk)

    response = client.post(url, {"year": "2026", "quarter": "3", **TARGETS})

    assert response.status_code == 302
    assert response["Location"] == f"{url}?year=2026&quarter=3"
    with organization_scope(personas.organization):
        goal = ProgrammeGoal.objects.get()
        entry = AuditEntry.objects.get(action="programme_goal.saved")
    assert (goal.year, goal.quarter, goal.active_ambassadors, goal.shares, goal.unique_clicks, goal.referrals) == (
        2026,
        3,
        12,
        150,
        2000,
        None,
    )
    assert entry.data["old"] is None
    assert entry.data["new"] == {"active_ambassadors": 12, "shares": 150, "unique_clicks": 2000, "referrals": None}

    client.post(url, {"year": "2026", "quarter": "3", **TARGETS, "shares": "200"})
    with organization_scope(personas.organization):
        changed = AuditEntry.objects.filter(action="programme_goal.saved").latest("pk")
    assert changed.data["old"]["shares"] == 150 and changed.data["new"]["shares"] == 200

    page = client.get(response["Location"]).content.decode()
    assert 'value="200"' in page
    assert "Q3 2026" in page
    history = client.get(org_url("audit_log", personas)).content.decode()
    assert "set the goals of the programme" in history and "Q3 2026" in history


def test_emptying_every_target_removes_the_quarters_goals(personas, programme):
    client = _client(personas.admin)
    url = org_url("programme_goals", personas, programme.pk)
    client.post(url, {"year": "2026", "quarter": "1", **TARGETS})

    empty = {name: "" for name in TARGETS}
    assert client.post(url, {"year": "2026", "quarter": "1", **empty}).status_code == 302

    with organization_scope(personas.organization):
        assert not ProgrammeGoal.objects.exists()
        assert AuditEntry.objects.filter(action="programme_goal.removed").count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("quarter", "5", "Pick a quarter from 1 to 4."),
        ("quarter", "0", "Pick a quarter from 1 to 4."),
        ("shares", "-3", "Enter a whole number of 1 or more, or leave it empty."),
        ("unique_clicks", "0", "Enter a whole number of 1 or more, or leave it empty."),
        ("active_ambassadors", "many", "Enter a whole number, or leave it empty."),
        ("year", "1999", "greater than or equal to 2000"),
    ],
)
def test_a_bad_value_is_refused_on_its_field(personas, programme, field, value, message):
    data = {"year": "2026", "quarter": "2", **TARGETS, field: value}

    response = _client(personas.admin).post(org_url("programme_goals", personas, programme.pk), data)

    assert response.status_code == 400
    page = response.content.decode()
    assert f'id="id_{field}_error"' in page
    assert message in page
    with organization_scope(personas.organization):
        assert not ProgrammeGoal.objects.exists()


def test_the_errors_speak_french(personas, programme):
    personas.admin.language = "fr"
    personas.admin.save()
    data = {"year": "2026", "quarter": "2", **TARGETS, "shares": "-3"}

    response = _client(personas.admin).post(org_url("programme_goals", personas, programme.pk), data)

    assert "Saisissez un nombre entier d’au moins 1, ou laissez vide." in response.content.decode()


def test_a_programme_admin_who_is_an_ambassador_edits_that_programmes_goals_only(personas, programme):
    with organization_scope(personas.organization):
        membership = Membership.objects.get(user=personas.ambassador)
        ProgrammeMemberFactory(programme=programme, membership=membership, is_admin=True)
        other = ProgrammeFactory(organization=personas.organization)
    client = _client(personas.ambassador)

    assert client.get(org_url("programme_goals", personas, programme.pk)).status_code == 200
    data = {"year": "2026", "quarter": "2", **TARGETS}
    assert client.post(org_url("programme_goals", personas, programme.pk), data).status_code == 302
    assert client.get(org_url("programme_goals", personas, other.pk)).status_code == 403
    assert client.post(org_url("programme_goals", personas, other.pk), data).status_code == 403
    detail = client.get(org_url("programme_detail", personas, programme.pk)).content.decode()
    assert org_url("programme_goals", personas, programme.pk) in detail


@pytest.mark.parametrize("role", ["editor", "approver", "manager", "ambassador"])
def test_members_who_are_not_admins_get_403(personas, programme, role):
    client = _client(getattr(personas, role))
    url = org_url("programme_goals", personas, programme.pk)
    assert client.get(url).status_code == 403
    assert client.post(url, {"year": "2026", "quarter": "2", **TARGETS}).status_code == 403
    with organization_scope(personas.organization):
        assert not ProgrammeGoal.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_outsider_gets_404(personas, programme, method):
    url = org_url("programme_goals", personas, programme.pk)
    response = getattr(_client(personas.outsider), method)(url, {"year": "2026", "quarter": "2", **TARGETS})
    assert response.status_code == 404


def test_another_organisations_programme_is_404_for_an_admin(personas):
    with organization_scope(personas.other_organization):
        theirs = ProgrammeFactory(organization=personas.other_organization)
    assert _client(personas.admin).get(org_url("programme_goals", personas, theirs.pk)).status_code == 404


def test_the_page_shows_the_progress_and_takes_a_bounded_number_of_queries(
    personas, seeded, django_assert_max_num_queries
):
    client = _client(personas.admin)
    url = org_url("programme_goals", personas, seeded.pk)
    client.get(url)  # the session and the navigation's first reads
    with organization_scope(personas.organization):
        for year in range(2015, 2025):
            ProgrammeGoal.objects.create(
                organization=personas.organization, programme=seeded, year=year, quarter=1, shares=10
            )

    with django_assert_max_num_queries(13):
        page = client.get(f"{url}?year=2025&quarter=2").content.decode()

    assert "Q2 2025 so far" in page
    assert "25 %" in page  # 1 active ambassador of 4
    assert "Q1 2015" in page


def test_a_wrong_quarter_in_the_address_shows_the_current_one(personas, programme):
    with time_machine.travel(dt.datetime(2026, 8, 10, 12, tzinfo=dt.UTC), tick=False):
        page = _client(personas.admin).get(org_url("programme_goals", personas, programme.pk) + "?quarter=9&year=x")
    assert "Q3 2026 so far" in page.content.decode()


def test_the_programme_page_links_to_the_goals_for_admins(personas, programme):
    url = org_url("programme_goals", personas, programme.pk)
    detail = org_url("programme_detail", personas, programme.pk)
    assert url in _client(personas.admin).get(detail).content.decode()
    assert url not in _client(personas.manager).get(detail).content.decode()
