"""``charter_standing`` (one query, for the feed) says what ``charter_status`` says, in every state."""

import datetime as dt

import pytest
from django.utils import timezone

from advocacy.tenancy import organization_scope
from charter import selectors
from charter.services import charter_accept, charter_leave
from tests.charter.factories import publish_charter

pytestmark = pytest.mark.django_db


def _both(membership, now=None):
    status = selectors.charter_status(membership=membership, now=now)
    return selectors.charter_standing(membership=membership, now=now), (status.state, status.message)


def test_the_standing_agrees_with_the_status_in_every_state(personas, django_assert_max_num_queries):
    with organization_scope(personas.organization):
        member = personas.membership(personas.ambassador)
        seen = set()

        def check(now=None):
            standing, status = _both(member, now)
            assert standing == status
            seen.add(standing[0])

        check()  # no charter
        first = publish_charter(personas.organization, personas.admin)
        check()  # not joined
        charter_accept(membership=member, version=first, ip="198.51.100.1", user_agent="UA")
        check()  # accepted
        check(timezone.now() + dt.timedelta(days=400))  # expired after the default 12 months
        minor = publish_charter(personas.organization, personas.admin, requires_reacceptance=False)
        check()  # a minor edit keeps the acceptance
        publish_charter(personas.organization, personas.admin, requires_reacceptance=True)
        check()  # must accept again
        latest = selectors.charter_current(organization=personas.organization)
        charter_accept(membership=member, version=latest, ip="198.51.100.1", user_agent="UA")
        charter_leave(membership=member, by=personas.ambassador)
        check()  # left
        assert minor is not None
        with django_assert_max_num_queries(1):
            selectors.charter_standing(membership=member)
    assert seen == {
        selectors.NO_CHARTER,
        selectors.NOT_JOINED,
        selectors.ACCEPTED,
        selectors.EXPIRED,
        selectors.MUST_REACCEPT,
        selectors.LEFT,
    }
