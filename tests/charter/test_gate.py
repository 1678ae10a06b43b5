"""The share gate: a member shares only under an accepted, current, unexpired charter acceptance."""

import datetime as dt

import pytest
import time_machine

from advocacy.errors import ServiceError
from charter.models import ComplianceRules
from charter.selectors import charter_assert_can_share, charter_status
from charter.services import charter_accept, charter_leave
from tests.charter.factories import publish_charter

pytestmark = pytest.mark.django_db

START = dt.datetime(2025, 1, 15, 9, 0, tzinfo=dt.UTC)


def _accept(personas, version):
    return charter_accept(
        membership=personas.membership(personas.ambassador), version=version, ip="198.51.100.1", user_agent="UA"
    )


def _assert_gate(membership, state, now=None):
    status = charter_status(membership=membership, now=now)
    assert status.state == state
    assert status.can_share is (state == "accepted")
    if state == "accepted":
        charter_assert_can_share(membership=membership, now=now)
        return
    with pytest.raises(ServiceError) as refused:
        charter_assert_can_share(membership=membership, now=now)
    assert refused.value.code == "charter_required"
    assert refused.value.message == status.message and "charter" in status.message


def test_no_charter_published_keeps_the_gate_closed(scoped):
    _assert_gate(scoped.membership(scoped.ambassador), "no_charter")


def test_a_member_who_has_not_joined_cannot_share(scoped):
    publish_charter(scoped.organization, scoped.admin)
    _assert_gate(scoped.membership(scoped.ambassador), "not_joined")


def test_accepting_opens_the_gate_and_leaving_closes_it(scoped):
    version = publish_charter(scoped.organization, scoped.admin)
    membership = scoped.membership(scoped.ambassador)
    _accept(scoped, version)
    _assert_gate(membership, "accepted")
    charter_leave(membership=membership, by=scoped.ambassador)
    _assert_gate(membership, "left")


def test_a_minor_edit_keeps_earlier_acceptances_valid(scoped):
    first = publish_charter(scoped.organization, scoped.admin)
    _accept(scoped, first)
    publish_charter(scoped.organization, scoped.admin, requires_reacceptance=False, summary="Typo fixed.")
    status = charter_status(membership=scoped.membership(scoped.ambassador))
    assert status.state == "accepted" and status.current.number == 2 and status.acceptance.version == first


def test_a_version_requiring_reacceptance_closes_the_gate_until_accepted(scoped):
    _accept(scoped, publish_charter(scoped.organization, scoped.admin))
    second = publish_charter(scoped.organization, scoped.admin, summary="New rules on confidential posts.")
    membership = scoped.membership(scoped.ambassador)
    _assert_gate(membership, "must_reaccept")
    assert charter_status(membership=membership).current.summary_of_changes == "New rules on confidential posts."
    # A minor edit published after it does not reopen the gate for acceptances older than it.
    third = publish_charter(scoped.organization, scoped.admin, requires_reacceptance=False)
    _assert_gate(membership, "must_reaccept")
    assert second.number < third.number
    _accept(scoped, third)
    _assert_gate(membership, "accepted")


def test_acceptance_expires_after_the_default_twelve_months(scoped):
    membership = scoped.membership(scoped.ambassador)
    with time_machine.travel(START, tick=False):
        _accept(scoped, publish_charter(scoped.organization, scoped.admin))
    with time_machine.travel(dt.datetime(2026, 1, 15, 8, 59, tzinfo=dt.UTC), tick=False):
        _assert_gate(membership, "accepted")
    with time_machine.travel(dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.UTC), tick=False):
        _assert_gate(membership, "expired")
        version = charter_status(membership=membership).current
        renewed = _accept(scoped, version)
        assert renewed.accepted_at == dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.UTC)
        _assert_gate(membership, "accepted")


def test_the_reconsent_period_comes_from_the_organisation_rules(scoped):
    ComplianceRules.objects.create(organization=scoped.organization, reconsent_months=3)
    membership = scoped.membership(scoped.ambassador)
    with time_machine.travel(START, tick=False):
        _accept(scoped, publish_charter(scoped.organization, scoped.admin))
    _assert_gate(membership, "accepted", now=dt.datetime(2025, 4, 15, 8, 0, tzinfo=dt.UTC))
    _assert_gate(membership, "expired", now=dt.datetime(2025, 4, 15, 9, 0, tzinfo=dt.UTC))


def test_month_end_acceptances_expire_on_the_last_day_of_the_shorter_month(scoped):
    ComplianceRules.objects.create(organization=scoped.organization, reconsent_months=1)
    membership = scoped.membership(scoped.ambassador)
    with time_machine.travel(dt.datetime(2025, 1, 31, 12, 0, tzinfo=dt.UTC), tick=False):
        _accept(scoped, publish_charter(scoped.organization, scoped.admin))
    _assert_gate(membership, "accepted", now=dt.datetime(2025, 2, 28, 11, 0, tzinfo=dt.UTC))
    _assert_gate(membership, "expired", now=dt.datetime(2025, 2, 28, 12, 0, tzinfo=dt.UTC))
