"""The acceptance report: who accepted which version and when, in a fixed number of queries, and its CSV."""

import csv
import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advocacy.models import Membership, User
from advocacy.roles import Role
from advocacy.tenancy import organization_scope
from charter.models import CharterAcceptance, CharterVersion
from charter.selectors import _add_months, acceptance_report, acceptance_report_csv, expired_acceptances
from charter.services import charter_accept, charter_leave
from charter.tasks import send_charter_reminders
from tests.charter.factories import publish_charter
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

MEMBERS = 2_000


def _accept(personas, user, version):
    return charter_accept(membership=personas.membership(user), version=version, ip="192.0.2.1", user_agent="UA")


def test_rows_tell_who_accepted_which_version_and_who_has_not(scoped):
    first = publish_charter(scoped.organization, scoped.admin)
    _accept(scoped, scoped.admin, first)
    _accept(scoped, scoped.editor, first)
    charter_leave(membership=scoped.membership(scoped.editor), by=scoped.editor)
    second = publish_charter(scoped.organization, scoped.admin)
    _accept(scoped, scoped.manager, second)
    rows = {row.user.email: row for row in acceptance_report(organization=scoped.organization)}
    assert {email: (row.version_number, row.state) for email, row in rows.items()} == {
        scoped.admin.email: (1, "must_reaccept"),
        scoped.editor.email: (1, "left"),
        scoped.approver.email: (None, "not_joined"),
        scoped.manager.email: (2, "accepted"),
        scoped.ambassador.email: (None, "not_joined"),
    }
    # Measured against version 1, as it stood then, the admin had accepted.
    as_of_first = acceptance_report(organization=scoped.organization, version=first)
    assert {row.user.email: row.state for row in as_of_first}[scoped.admin.email] == "accepted"


def test_suspended_members_are_left_out(scoped):
    Membership.objects.filter(user=scoped.approver).update(status=Membership.Status.SUSPENDED)
    emails = {row.user.email for row in acceptance_report(organization=scoped.organization)}
    assert scoped.approver.email not in emails and len(emails) == 4


def _populate(organization, count):
    """``count`` members, half of whom accepted the charter: bulk inserts, so the setup stays quick."""
    with organization_scope(organization):
        version = publish_charter(organization, None)
        users = User.objects.bulk_create(
            User(email=f"m{i}@{organization.slug}.test", full_name=f"Member {i:04d}") for i in range(count)
        )
        memberships = Membership.objects.bulk_create(
            Membership(organization=organization, user=user, role=Role.AMBASSADOR) for user in users
        )
        now = dt.datetime.now(dt.UTC)
        CharterAcceptance.objects.bulk_create(
            CharterAcceptance(
                organization=organization, membership=membership, version=version, accepted_at=now, client_digest="0"
            )
            for membership in memberships[::2]
        )


def test_the_report_query_count_does_not_grow_with_members(personas, django_assert_max_num_queries):
    _populate(personas.organization, MEMBERS)
    _populate(OrganizationFactory(slug="initech"), MEMBERS)
    with organization_scope(personas.organization), django_assert_max_num_queries(4):
        rows = acceptance_report(organization=personas.organization)
    assert len(rows) == MEMBERS + 5
    assert sum(row.state == "accepted" for row in rows) == MEMBERS // 2
    assert all(row.user.email.endswith("acme.test") for row in rows)


def test_the_csv_lists_each_member_with_version_time_and_status(scoped):
    scoped.organization.time_zone = "Europe/Paris"
    scoped.organization.save()
    scoped.ambassador.full_name = "=HYPERLINK(evil)"
    scoped.ambassador.save()
    with time_machine.travel(dt.datetime(2025, 6, 1, 10, 0, tzinfo=dt.UTC), tick=False):
        version = publish_charter(scoped.organization, scoped.admin)
        _accept(scoped, scoped.manager, version)
        lines = list(acceptance_report_csv(organization=scoped.organization))
    parsed = list(csv.reader(lines))
    assert parsed[0] == ["Name", "E-mail", "Role", "Accepted version", "Accepted at", "Status"]
    by_email = {row[1]: row for row in parsed[1:]}
    assert len(by_email) == 5
    assert by_email[scoped.manager.email][2:] == ["Manager", "1", "2025-06-01T12:00:00+02:00", "Accepted"]
    assert by_email[scoped.approver.email][3:] == ["", "", "Not joined"]
    assert by_email[scoped.ambassador.email][0] == "'=HYPERLINK(evil)"


# --- Filtered, counted and paginated by the database ---------------------------------------------------------------


def _member_queries(queries) -> list[str]:
    """The queries that read members with their acceptances (the report's rows, counts and page)."""
    sql = [query["sql"] for query in queries]
    return [text for text in sql if '"advocacy_membership"' in text and "charter_charteracceptance" in text]


def test_the_report_page_filters_counts_and_cuts_its_page_in_the_database(
    client, personas, django_assert_max_num_queries
):
    _populate(personas.organization, MEMBERS)
    _populate(OrganizationFactory(slug="initech"), MEMBERS)
    client.force_login(personas.admin)
    url = reverse("charter_report", args=[personas.organization.slug])

    with django_assert_max_num_queries(16) as queries:
        response = client.get(url, {"state": "accepted", "q": "member 1", "page": "2"})

    assert response.status_code == 200
    page = response.context["page_obj"]
    # "Member 1000" to "Member 1999" match; every other one accepted.
    assert page.paginator.count == 500 and page.number == 2
    rows = response.context["rows"]
    assert len(rows) == 100 and all(row.state == "accepted" for row in rows)
    assert all(row.user.email.endswith("@acme.test") and "member 1" in row.user.full_name.lower() for row in rows)
    assert {str(label): count for label, count in response.context["counts"]} == {
        "Accepted": MEMBERS // 2,
        "Not joined": MEMBERS // 2 + 5,
    }
    # The rows of the page come from one query cut by LIMIT/OFFSET, never from the whole membership.
    assert any("LIMIT 100 OFFSET 100" in text for text in _member_queries(queries.captured_queries))


def test_the_api_report_is_paginated_by_the_database(client, personas, django_assert_max_num_queries):
    _populate(personas.organization, MEMBERS)
    client.force_login(personas.admin)
    url = reverse("api-charter-report", kwargs={"org": personas.organization.slug})

    with django_assert_max_num_queries(12) as queries:
        response = client.get(url)

    assert response.status_code == 200
    assert response.json()["count"] == MEMBERS + 5 and len(response.json()["results"]) == 50
    assert any("LIMIT 50" in text for text in _member_queries(queries.captured_queries))


def _outside_send_once(sql: str) -> bool:
    # Each message's durable send-once row (advocacy.mail) is written per message by design; what must not grow
    # with the members is the work of finding who to remind.
    return "advocacy_sentemail" not in sql and "SAVEPOINT" not in sql


def test_reminders_check_who_must_accept_in_bulk(personas, mailoutbox):
    _populate(personas.organization, 200)
    with organization_scope(personas.organization):
        version = CharterVersion.objects.get()
        listed = list(Membership.objects.values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as queries:
        sent = send_charter_reminders.apply(
            kwargs={
                "organization_id": personas.organization.pk,
                "version_id": version.pk,
                "membership_ids": listed,
                "batch": 1,
            }
        ).get()

    assert len([query for query in queries if _outside_send_once(query["sql"])]) <= 10
    # The 100 who accepted and the five personas who never did: only those who have not are written to.
    assert sent == 105 == len(mailoutbox)
    assert all(message.to[0].endswith("@acme.test") for message in mailoutbox)


def test_the_report_of_an_outsider_is_a_404(client, personas):
    client.force_login(personas.outsider)
    response = client.get(reverse("charter_report", args=[personas.organization.slug]), {"state": "accepted"})
    assert response.status_code == 404


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    accepted_at=st.datetimes(
        min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1), timezones=st.just(dt.UTC)
    ),
    now=st.datetimes(min_value=dt.datetime(2001, 1, 1), max_value=dt.datetime(2100, 1, 1), timezones=st.just(dt.UTC)),
    months=st.integers(min_value=1, max_value=60),
)
def test_the_database_expiry_filter_agrees_with_the_calendar_rule(accepted_at, now, months):
    ((lookup, cutoff),) = expired_acceptances(now=now, months=months).children
    in_filter = accepted_at <= cutoff if lookup.endswith("__lte") else accepted_at < cutoff
    assert in_filter == (_add_months(accepted_at, months) <= now)
