"""The acceptance report: who accepted which version and when, in a fixed number of queries, and its CSV."""

import csv
import datetime as dt

import pytest
import time_machine

from advocacy.models import Membership, User
from advocacy.roles import Role
from advocacy.tenancy import organization_scope
from charter.models import CharterAcceptance
from charter.selectors import acceptance_report, acceptance_report_csv
from charter.services import charter_accept, charter_leave
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
