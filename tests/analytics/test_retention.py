"""Retention: a removed member leaves a departure behind (their active days, programmes and a digest of their
address, never the address); admins import lists of leavers, checked line by line and idempotent; the retention
figures equal a straight count over a generated population, hide groups under the minimum size, and the pages are
closed to the roles without the permission and to the outsider."""

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from advocacy import services as core
from advocacy.errors import ServiceError
from advocacy.models import AuditEntry, Membership
from advocacy.roles import Role
from advocacy.tenancy import organization_scope
from ambassadors.models import Share
from analytics.models import Departure, DepartureDay, email_digest
from analytics.retention import default_quarter, quarter_of, retention
from analytics.services import Leaver, departures_import
from tests.ambassadors.factories import ShareFactory
from tests.conftest import org_url
from tests.content.factories import PostFactory
from tests.factories import (
    MembershipFactory,
    ProgrammeFactory,
    ProgrammeMemberFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def paris(day: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS)


def today() -> date:
    return timezone.localtime(timezone.now(), PARIS).date()


def member(organization, email: str, joined: date, role: str = Role.AMBASSADOR) -> Membership:
    """A member who joined on ``joined`` (Paris). Call inside the organisation's scope."""
    membership = MembershipFactory(organization=organization, user=UserFactory(email=email), role=role)
    Membership.objects.filter(pk=membership.pk).update(created_at=paris(joined, 9))
    membership.refresh_from_db()
    return membership


def share_at(membership, at: datetime, *, post=None, status=Share.Status.PUBLISHED) -> Share:
    extra = {"post": post} if post is not None else {}
    return ShareFactory(
        organization=membership.organization,
        membership=membership,
        status=status,
        published_at=at if status == Share.Status.PUBLISHED else None,
        **extra,
    )


def upload(text: str, *, bom: bool = False, encoding: str = "utf-8") -> dict:
    content = ("\ufeff" if bom else "") + text
    return {"file": SimpleUploadedFile("leavers.csv", content.encode(encoding), content_type="text/csv")}


def departures(organization) -> list[tuple]:
    with organization_scope(organization):
        return list(
            Departure.objects.order_by("pk").values_list(
                "membership_id", "email_digest", "joined_on", "left_on", "source", "programme_ids"
            )
        )


def active_days(departure: Departure) -> set[date]:
    return set(DepartureDay.objects.filter(departure=departure).values_list("day", flat=True))


# --- Departures on removal -------------------------------------------------------------------------------------------


def test_removing_a_member_records_their_departure_with_the_days_they_published(personas):
    organization = personas.organization
    march_31 = date(2025, 3, 31)
    with organization_scope(organization):
        leaving = member(organization, "Camille.Martin@Acme.test", date(2025, 1, 10))
        programme = ProgrammeFactory(organization=organization)
        ProgrammeMemberFactory(programme=programme, membership=leaving)
        post = PostFactory(organization=organization)
        share_at(leaving, paris(march_31, 23, 30), post=post)  # 21:30 UTC, still the 31st in Paris
        share_at(leaving, paris(march_31 + timedelta(days=1), 0, 30), post=post)  # the 31st in UTC
        share_at(leaving, paris(march_31, 10), post=post)  # the same day again
        share_at(leaving, paris(date(2025, 2, 3)), post=post, status=Share.Status.FAILED)
        share_at(leaving, paris(date(2025, 2, 4)), post=post, status=Share.Status.DRAFT)

    response = _client(personas.admin).post(org_url("member_remove", personas, leaving.pk))

    assert response.status_code == 302
    with organization_scope(organization):
        departure = Departure.objects.get()
        assert not Membership.objects.filter(pk=leaving.pk).exists()
        assert not Share.objects.filter(membership_id=leaving.pk).exists()
        assert active_days(departure) == {march_31, march_31 + timedelta(days=1)}
    assert departure.membership_id is None
    assert (departure.joined_on, departure.left_on) == (date(2025, 1, 10), today())
    assert departure.source == Departure.Source.REMOVED
    assert departure.programme_ids == [programme.pk]
    assert departure.email_digest == email_digest(organization.pk, "camille.martin@acme.test")
    stored = " ".join(str(value) for value in departures(organization)[0]).lower()
    assert "camille" not in stored and "acme.test" not in stored


def test_a_removal_refused_records_no_departure(personas):
    with organization_scope(personas.organization):
        only_admin = personas.membership(personas.admin)
        with pytest.raises(ServiceError):
            core.membership_remove(membership=only_admin, by=personas.admin)
        assert not Departure.objects.exists()


def test_a_digest_is_the_organisations_own():
    assert email_digest(1, "Camille@Acme.test ") == email_digest(1, "camille@acme.test")
    assert email_digest(1, "camille@acme.test") != email_digest(2, "camille@acme.test")


# --- Importing lists of leavers --------------------------------------------------------------------------------------


def test_the_list_matches_a_removed_member_by_their_address_and_corrects_the_date(personas):
    organization = personas.organization
    with organization_scope(organization):
        leaving = member(organization, "Camille.Martin@acme.test", date(2024, 5, 2))
        core.membership_remove(membership=leaving, by=personas.admin)
    client = _client(personas.admin)

    response = client.post(
        org_url("retention_leavers", personas), upload("email,left_on\nCAMILLE.MARTIN@ACME.TEST,2025-06-30\n")
    )

    assert response.status_code == 302
    ((membership_id, _digest, joined_on, left_on, source, _programmes),) = departures(organization)
    assert (membership_id, joined_on, left_on, source) == (None, date(2024, 5, 2), date(2025, 6, 30), "imported")
    page = client.get(response["Location"]).content.decode()
    assert "0 departures recorded, 1 dates corrected, 0 already known" in page
    with organization_scope(organization):
        entry = AuditEntry.objects.get(action="departures.imported")
    assert entry.actor == personas.admin
    assert entry.data == {"lines": 1, "recorded": 0, "updated": 1, "unchanged": 0, "skipped": 0}
    assert "camille" not in str(entry.data).lower()


def test_a_current_member_in_the_list_is_recorded_as_gone_and_stays_a_member_until_removed(personas):
    organization = personas.organization
    with organization_scope(organization):
        staying = member(organization, "jules@acme.test", date(2024, 1, 15))
        share_at(staying, paris(date(2025, 3, 3)))

    _client(personas.admin).post(
        org_url("retention_leavers", personas), upload("email;left_on\njules@acme.test;15/07/2025\n")
    )

    with organization_scope(organization):
        departure = Departure.objects.get()
        assert Membership.objects.filter(pk=staying.pk).exists()
        assert active_days(departure) == {date(2025, 3, 3)}
    assert (departure.membership_id, departure.left_on, departure.source) == (staying.pk, date(2025, 7, 15), "imported")

    # Removed later: the list's date stays, the departure no longer points to a membership.
    with organization_scope(organization):
        share_at(Membership.objects.get(pk=staying.pk), paris(date(2025, 7, 1)))
        core.membership_remove(membership=Membership.objects.get(pk=staying.pk), by=personas.admin)
        departure = Departure.objects.get()
        assert active_days(departure) == {date(2025, 3, 3), date(2025, 7, 1)}
    assert (departure.membership_id, departure.left_on, departure.source) == (None, date(2025, 7, 15), "imported")


def test_importing_the_same_list_twice_changes_nothing(personas):
    organization = personas.organization
    with organization_scope(organization):
        member(organization, "a@acme.test", date(2024, 1, 1))
        gone = member(organization, "b@acme.test", date(2024, 1, 1))
        core.membership_remove(membership=gone, by=personas.admin)
    text = "email,left_on\na@acme.test,2025-02-01\nb@acme.test,2025-03-01\nnobody@elsewhere.test,2025-03-01\n"
    client = _client(personas.admin)

    client.post(org_url("retention_leavers", personas), upload(text))
    first = departures(organization)
    response = client.post(org_url("retention_leavers", personas), upload(text), follow=True)

    assert departures(organization) == first
    assert len(first) == 2
    page = response.content.decode()
    assert "0 departures recorded, 0 dates corrected, 2 already known" in page
    assert "1 address matches no member, present or past: skipped (line 4)." in page


def test_a_date_before_the_member_joined_is_skipped_and_said(personas):
    with organization_scope(personas.organization):
        member(personas.organization, "late@acme.test", date(2025, 5, 1))
    response = _client(personas.admin).post(
        org_url("retention_leavers", personas), upload("email,left_on\nlate@acme.test,2020-01-31\n"), follow=True
    )
    assert "1 date is before the member joined: skipped (line 2)." in response.content.decode()
    assert departures(personas.organization) == []


def test_a_member_who_came_back_is_matched_to_their_earlier_stay(personas):
    organization = personas.organization
    with organization_scope(organization):
        core.membership_remove(membership=member(organization, "back@acme.test", date(2023, 1, 1)), by=None)
        back = member(organization, "back@acme.test", date(2024, 6, 1))

    response = _client(personas.admin).post(
        org_url("retention_leavers", personas), upload("email,left_on\nback@acme.test,2024-03-31\n")
    )

    assert response.status_code == 302
    ((membership_id, _digest, joined_on, left_on, source, _programmes),) = departures(organization)
    assert (membership_id, joined_on, left_on, source) == (None, date(2023, 1, 1), date(2024, 3, 31), "imported")
    with organization_scope(organization):
        assert Membership.objects.filter(pk=back.pk).exists()


def test_semicolons_a_bom_french_dates_crlf_and_extra_columns_are_read(personas):
    organization = personas.organization
    with organization_scope(organization):
        for name in ("a", "b", "c"):
            member(organization, f"{name}@acme.test", date(2024, 1, 1))
    text = (
        "Nom;E-mail;Left_On\r\nA;a@acme.test;01/02/2025\r\n;;\r\nB;b@acme.test;2025-02-02\r\nC;c@acme.test;3/2/2025\r\n"
    )

    response = _client(personas.admin).post(org_url("retention_leavers", personas), upload(text, bom=True))

    assert response.status_code == 302
    assert sorted(row[3] for row in departures(organization)) == [date(2025, 2, 1), date(2025, 2, 2), date(2025, 2, 3)]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("email,left_on\na@acme.test,2025-02-30\n", "Line 2: “2025-02-30” is not a date"),
        ("email,left_on\na@acme.test,31-01-2025\n", "Line 2: “31-01-2025” is not a date"),
        ("email,left_on\na@acme.test,\n", "Line 2: the date of departure is missing."),
        ("email,left_on\nnot-an-address,2025-01-31\n", "Line 2: “not-an-address” is not an e-mail address."),
        ("email,left_on\n,2025-01-31\n", "Line 2: the e-mail address is missing."),
        ("a@acme.test,2025-01-31\n", "The first line must name the columns “email” and “left_on”"),
        ("email;date\na@acme.test;2025-01-31\n", "The first line must name the columns “email” and “left_on”"),
        (
            "email,left_on\na@acme.test,2025-01-31\nA@acme.test,2025-02-01\n",
            "Line 3: this address is already on line 2.",
        ),
        ("email,left_on\na@acme.test,2999-01-31\n", "list only people who have already left"),
        ("email,left_on\n", "The file names no leaver after its first line."),
        ("", "The submitted file is empty."),
        ("\n\n", "The first line must name the columns"),
    ],
)
def test_a_bad_line_is_named_with_its_reason_and_nothing_is_recorded(personas, text, reason):
    with organization_scope(personas.organization):
        member(personas.organization, "a@acme.test", date(2024, 1, 1))
        member(personas.organization, "b@acme.test", date(2024, 1, 1))
    good = "b@acme.test,2025-01-31\n" if text.startswith("email,left_on\n") and text.count("\n") > 1 else ""

    response = _client(personas.admin).post(org_url("retention_leavers", personas), upload(text + good))

    assert response.status_code == 400
    assert any(reason in error for error in response.context["form"].errors["file"])
    assert departures(personas.organization) == []
    with organization_scope(personas.organization):
        assert not AuditEntry.objects.filter(action="departures.imported").exists()


def test_every_bad_line_is_listed(personas):
    text = "email,left_on\n" + "".join(f"bad{n},2025-01-01\n" for n in range(3)) + "ok@acme.test,someday\n"
    errors = _client(personas.admin).post(org_url("retention_leavers", personas), upload(text)).context["form"].errors
    assert [error.split(":")[0] for error in errors["file"]] == ["Line 2", "Line 3", "Line 4", "Line 5"]


def test_a_file_too_large_too_long_or_not_utf8_is_refused(personas):
    client = _client(personas.admin)
    url = org_url("retention_leavers", personas)
    too_large = "email,left_on\n" + "x" * (1024 * 1024) + "\n"
    too_long = "email,left_on\n" + "".join(f"p{n}@acme.test,2025-01-01\n" for n in range(10_001))
    latin1 = upload("email,left_on\nrené@acme.test,2025-01-01\n", encoding="latin-1")

    assert "larger than 1 MB" in client.post(url, upload(too_large)).context["form"].errors["file"][0]
    assert "more than 10,000 lines" in client.post(url, upload(too_long)).context["form"].errors["file"][0]
    assert "not UTF-8 text" in client.post(url, latin1).context["form"].errors["file"][0]
    assert departures(personas.organization) == []


def test_the_reasons_are_given_in_french(personas):
    personas.admin.language = "fr"
    personas.admin.save()
    text = "email;left_on\npas-une-adresse;32/01/2025\n"
    errors = _client(personas.admin).post(org_url("retention_leavers", personas), upload(text)).context["form"].errors
    assert errors["file"] == [
        "Ligne 2 : « pas-une-adresse » n’est pas une adresse e-mail.",
        "Ligne 2 : « 32/01/2025 » n’est pas une date ; écrivez-la 2026-03-31 ou 31/03/2026.",
    ]


def test_a_member_of_another_organisation_is_unknown_here(personas):
    response = _client(personas.admin).post(
        org_url("retention_leavers", personas), upload("email,left_on\noutsider@globex.test,2025-01-01\n"), follow=True
    )
    assert "1 address matches no member" in response.content.decode()
    assert departures(personas.organization) == []
    assert departures(personas.other_organization) == []


def test_the_import_runs_the_same_queries_for_5_or_50_lines(personas):
    organization = personas.organization
    counts = []
    for size, offset in ((5, 0), (50, 100)):
        with organization_scope(organization):
            people = [member(organization, f"p{offset + n}@acme.test", date(2024, 1, 1)) for n in range(size)]
            for person in people[: size // 2]:
                share_at(person, paris(date(2024, 6, 1)))
            gone = people[-1]
            core.membership_remove(membership=gone, by=None)
            leavers = [Leaver(line=n + 2, email=p.user.email, left_on=date(2025, 1, 1)) for n, p in enumerate(people)]
            with CaptureQueriesContext(connection) as queries:
                departures_import(organization=organization, by=personas.admin, leavers=leavers)
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 12


# --- Retention figures -----------------------------------------------------------------------------------------------


@dataclass
class Person:
    email: str
    joined: date
    left: date | None = None
    share_days: set[date] = field(default_factory=set)


def straight_count(people: list[Person], start: date, end: date, horizon: int) -> dict[str, int]:
    counts = dict.fromkeys(("active", "active_left", "others", "others_left"), 0)
    for person in people:
        if person.joined > end or (person.left is not None and person.left <= end):
            continue
        group = "active" if any(start <= day <= end for day in person.share_days) else "others"
        counts[group] += 1
        if person.left is not None and person.left <= end + timedelta(days=horizon):
            counts[f"{group}_left"] += 1
    return counts


def generate(organization, rng: random.Random, count: int, first: date, last: date) -> list[Person]:
    """``count`` people joining between ``first`` and ``last``, sharing at random hours (some just around midnight
    in Paris), some leaving: removed in Relais, named in an imported list while still members, or both."""
    span = (last - first).days
    people: list[Person] = []
    with organization_scope(organization):
        post = PostFactory(organization=organization)
        memberships = {}
        for n in range(count):
            person = Person(email=f"person{n}@{organization.slug}.test", joined=first + timedelta(rng.randrange(span)))
            memberships[n] = member(organization, person.email, person.joined)
            for _share in range(rng.choice((0, 0, 1, 3))):
                day = person.joined + timedelta(rng.randrange(max(1, (last - person.joined).days)))
                hour, minute = rng.choice(((0, 30), (12, 0), (23, 30)))
                share_at(memberships[n], paris(day, hour, minute), post=post)
                person.share_days.add(day)
            people.append(person)
        leavers = []
        for n, person in enumerate(people):
            fate = rng.random()
            if fate < 0.45 and (last - person.joined).days > 1:
                person.left = person.joined + timedelta(rng.randrange(1, (last - person.joined).days))
                leavers.append(Leaver(line=n + 2, email=person.email, left_on=person.left))
        departures_import(organization=organization, by=None, leavers=leavers)
        # Half of those named in the list are removed in Relais too: their shares go, their departure stays.
        for leaver in leavers[::2]:
            core.membership_remove(membership=Membership.objects.get(user__email=leaver.email), by=None)
        # Some are removed without any list: they leave today.
        for n, person in enumerate(people):
            if person.left is None and rng.random() < 0.1:
                core.membership_remove(membership=memberships[n], by=None)
                person.left = today()
    return people


def test_the_figures_equal_a_straight_count_over_a_generated_population(personas):
    rng = random.Random(14)
    first, last = today() - timedelta(days=900), today() - timedelta(days=1)
    people = generate(personas.organization, rng, 120, first, last)
    generate(personas.other_organization, rng, 30, first, last)  # must not count here
    periods = [quarter_of(today() - timedelta(days=d)) for d in (200, 400, 600)] + [(first, first + timedelta(400))]

    for start, end in periods:
        for horizon in (90, 180, 365):
            with organization_scope(personas.organization):
                figures = retention(
                    organization=personas.organization, start=start, end=end, horizon_days=horizon, min_group=1
                )
            expected = straight_count(people, start, end, horizon)
            assert (figures.active.size, figures.active.left) == (expected["active"], expected["active_left"])
            assert (figures.others.size, figures.others.left) == (expected["others"], expected["others_left"])


def test_a_share_counts_on_its_paris_day_at_both_ends_of_the_period(personas):
    organization = personas.organization
    start, end = date(2025, 1, 1), date(2025, 3, 31)
    with organization_scope(organization):
        late = member(organization, "late@acme.test", date(2024, 6, 1))
        early = member(organization, "early@acme.test", date(2024, 6, 1))
        before = member(organization, "before@acme.test", date(2024, 6, 1))
        share_at(late, paris(end, 23, 30))  # 21:30 UTC on the 31st: in
        share_at(early, paris(start, 0, 30))  # 23:30 UTC on 31 December: in
        share_at(before, paris(start - timedelta(days=1), 23, 30))  # out
        for person in Membership.objects.exclude(pk__in=[late.pk, early.pk, before.pk]):
            Membership.objects.filter(pk=person.pk).update(created_at=datetime(2030, 1, 1, tzinfo=UTC))
        figures = retention(organization=organization, start=start, end=end, min_group=1)
    assert (figures.active.size, figures.others.size) == (2, 1)


def test_a_group_under_the_minimum_size_shows_no_departure(personas):
    organization = personas.organization
    with organization_scope(organization):
        Membership.objects.update(created_at=datetime(2030, 1, 1, tzinfo=UTC))
        people = [member(organization, f"p{n}@acme.test", date(2024, 1, 1)) for n in range(13)]
        for person in people[:3]:
            share_at(person, paris(date(2025, 2, 1)))
        leavers = [Leaver(line=n, email=p.user.email, left_on=date(2025, 5, 1)) for n, p in enumerate(people[:6])]
        departures_import(organization=organization, by=None, leavers=leavers)
        figures = retention(organization=organization, start=date(2025, 1, 1), end=date(2025, 3, 31))

    assert (figures.active.size, figures.active.left, figures.active.rate) == (3, None, None)
    assert not figures.active.shown
    assert (figures.others.size, figures.others.left, figures.others.rate) == (10, 3, 0.3)


def test_a_lower_minimum_in_the_settings_shows_a_smaller_group(personas, settings):
    settings.RELAIS_RETENTION_MIN_GROUP = 3
    organization = personas.organization
    with organization_scope(organization):
        Membership.objects.update(created_at=datetime(2030, 1, 1, tzinfo=UTC))
        people = [member(organization, f"p{n}@acme.test", date(2024, 1, 1)) for n in range(5)]
        for person in people[:3]:
            share_at(person, paris(date(2025, 2, 1)))
        leavers = [Leaver(line=n, email=p.user.email, left_on=date(2025, 5, 1)) for n, p in enumerate(people[:1])]
        departures_import(organization=organization, by=None, leavers=leavers)
        figures = retention(organization=organization, start=date(2025, 1, 1), end=date(2025, 3, 31))

    assert (figures.min_group, figures.active.size, figures.active.left) == (3, 3, 1)
    assert not figures.others.shown  # two people
    page = _client(personas.manager).get(org_url("retention", personas)).content.decode()
    assert "at least 3 people" in page


def test_the_horizon_comes_from_the_settings(personas, settings):
    settings.RELAIS_RETENTION_HORIZON_DAYS = 30
    assert default_quarter(date(2026, 12, 3)) == (date(2026, 7, 1), date(2026, 9, 30))
    with organization_scope(personas.organization):
        figures = retention(organization=personas.organization, start=date(2025, 1, 1), end=date(2025, 3, 31))
    assert (figures.horizon_days, figures.horizon_end) == (30, date(2025, 4, 30))


def test_the_default_period_is_the_last_quarter_whose_horizon_is_over():
    assert default_quarter(date(2026, 12, 3)) == (date(2026, 1, 1), date(2026, 3, 31))
    assert default_quarter(date(2026, 12, 28)) == (date(2026, 4, 1), date(2026, 6, 30))
    assert default_quarter(date(2026, 12, 27)) == (date(2026, 1, 1), date(2026, 3, 31))
    assert quarter_of(date(2026, 11, 15)) == (date(2026, 10, 1), date(2026, 12, 31))


# --- Pages -----------------------------------------------------------------------------------------------------------


def populate(organization, count: int, offset: int = 0) -> None:
    with organization_scope(organization):
        post = PostFactory(organization=organization)
        for n in range(count):
            person = member(organization, f"m{offset + n}@{organization.slug}.test", date(2024, 1, 1))
            if n % 2:
                share_at(person, paris(default_quarter(today())[0] + timedelta(days=3)), post=post)
            if n % 3 == 0:
                core.membership_remove(membership=person, by=None)


def test_a_manager_sees_both_groups_for_the_default_quarter(personas):
    populate(personas.organization, 40)
    response = _client(personas.manager).get(org_url("retention", personas))

    assert response.status_code == 200
    figures = response.context["figures"]
    assert (figures.start, figures.end) == default_quarter(today())
    page = response.content.decode()
    assert "Active ambassadors" in page and "Other members" in page
    assert "at least 10 people" in page
    assert org_url("retention_leavers", personas) not in page  # importing is for admins


def test_a_small_group_says_too_few_to_show(personas):
    populate(personas.organization, 6)
    page = _client(personas.admin).get(org_url("retention", personas)).content.decode()
    assert "Too few to show" in page
    assert org_url("retention_leavers", personas) in page


def test_a_period_with_nobody_says_so(personas):
    response = _client(personas.manager).get(
        org_url("retention", personas), {"start": "2001-01-01", "end": "2001-03-31"}
    )
    assert response.context["figures"].is_empty
    assert "Nobody was a member at the end of this period." in response.content.decode()


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"start": "2025-03-31", "end": "2025-01-01"}, "end", "The period ends before it starts"),
        ({"start": "2022-01-01", "end": "2024-01-02"}, "start", "A period covers two years at most"),
        ({"start": "2025-01-01"}, "end", "Give the last day of the period too."),
        ({"end": "2025-01-01"}, "start", "Give the first day of the period too."),
        ({"start": "yesterday", "end": "2025-01-01"}, "start", "Enter a valid date."),
        ({"quarter": "1999-13-01"}, "quarter", "Select a valid choice."),
    ],
)
def test_a_wrong_period_is_a_400_with_the_fields_reason_and_no_figures(personas, query, field, message):
    response = _client(personas.manager).get(org_url("retention", personas), query)
    assert response.status_code == 400
    assert response.context["figures"] is None
    assert message in response.context["filter_form"].errors[field][0]
    assert "Fix the period above to see the figures." in response.content.decode()


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"start": "2025-03-31", "end": "2025-01-01"}, "end", "La période se termine avant de commencer"),
        ({"start": "2022-01-01", "end": "2024-01-02"}, "start", "Une période couvre deux ans au plus"),
    ],
)
def test_the_periods_reason_comes_in_french(personas, query, field, message):
    personas.manager.language = "fr"
    personas.manager.save(update_fields=["language"])
    response = _client(personas.manager).get(org_url("retention", personas), query)
    assert response.status_code == 400
    assert message in response.context["filter_form"].errors[field][0]
    assert message in response.content.decode()


def test_a_period_of_two_years_is_accepted(personas):
    response = _client(personas.manager).get(
        org_url("retention", personas), {"start": "2022-01-01", "end": "2023-12-31"}
    )
    figures = response.context["figures"]
    assert response.status_code == 200
    assert (figures.start, figures.end) == (date(2022, 1, 1), date(2023, 12, 31))


def test_a_quarter_or_dates_choose_the_period(personas):
    client = _client(personas.manager)
    quarter_start = default_quarter(today())[0] - timedelta(days=92)
    chosen = quarter_of(quarter_start)
    figures = client.get(org_url("retention", personas), {"quarter": chosen[0].isoformat()}).context["figures"]
    assert (figures.start, figures.end) == chosen
    figures = client.get(org_url("retention", personas), {"start": "2024-01-01", "end": "2025-12-31"}).context[
        "figures"
    ]
    assert (figures.start, figures.end) == (date(2024, 1, 1), date(2025, 12, 31))


def test_a_period_whose_horizon_is_not_over_says_its_figures_may_change(personas):
    recent = quarter_of(today() - timedelta(days=100))
    page = _client(personas.manager).get(org_url("retention", personas), {"quarter": recent[0].isoformat()})
    assert "these figures may still change" in page.content.decode()


def test_the_page_speaks_french(personas):
    personas.manager.language = "fr"
    personas.manager.save()
    populate(personas.organization, 12)
    page = _client(personas.manager).get(org_url("retention", personas)).content.decode()
    assert "Ambassadeurs actifs" in page and "Autres membres" in page


def test_the_page_runs_the_same_queries_whatever_the_population(personas, django_assert_max_num_queries):
    client = _client(personas.manager)
    url = org_url("retention", personas)
    client.get(url)  # warm the session and the site's caches
    populate(personas.organization, 10)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    populate(personas.organization, 60, offset=100)
    with django_assert_max_num_queries(len(small)):
        assert client.get(url).status_code == 200


def test_the_retention_page_is_in_the_members_menu_of_those_who_may_read_analytics(personas):
    url = org_url("retention", personas)
    for role in ("admin", "editor", "manager"):
        assert url in _client(getattr(personas, role)).get(org_url("org_home", personas)).content.decode()
    for role in ("approver", "ambassador"):
        assert url not in _client(getattr(personas, role)).get(org_url("org_home", personas)).content.decode()


@pytest.mark.parametrize("role", ["approver", "ambassador"])
def test_members_who_may_not_read_analytics_get_403(personas, role):
    assert _client(getattr(personas, role)).get(org_url("retention", personas)).status_code == 403


@pytest.mark.parametrize("role", ["editor", "approver", "manager", "ambassador"])
def test_only_admins_import_leavers(personas, role):
    with organization_scope(personas.organization):
        member(personas.organization, "a@acme.test", date(2024, 1, 1))
    client = _client(getattr(personas, role))
    assert client.get(org_url("retention_leavers", personas)).status_code == 403
    posted = client.post(org_url("retention_leavers", personas), upload("email,left_on\na@acme.test,2025-01-01\n"))
    assert posted.status_code == 403
    assert departures(personas.organization) == []


@pytest.mark.parametrize(
    ("name", "method"), [("retention", "get"), ("retention_leavers", "get"), ("retention_leavers", "post")]
)
def test_the_outsider_gets_404(personas, name, method):
    with organization_scope(personas.organization):
        member(personas.organization, "a@acme.test", date(2024, 1, 1))
    client = _client(personas.outsider)
    data = upload("email,left_on\na@acme.test,2025-01-01\n") if method == "post" else {}
    assert getattr(client, method)(org_url(name, personas), data).status_code == 404
    assert departures(personas.organization) == []
