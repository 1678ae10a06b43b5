"""The charter's panel on the organisation home (advocacy.home): where the members stand, for those who follow
the acceptance report."""

from __future__ import annotations

from django.http import HttpRequest

from advocacy.home import Panel
from advocacy.models import Membership
from charter import selectors


def acceptance_panel(request: HttpRequest, membership: Membership) -> Panel | None:
    if not membership.has_perm("charter.report"):
        return None
    counts = selectors.acceptance_counts(organization=membership.organization)
    return Panel(
        "charter/home_acceptance.html",
        {
            "published": counts[selectors.NO_CHARTER] == 0,
            "accepted": counts[selectors.ACCEPTED],
            "to_accept": sum(counts[state] for state in selectors.STATES_TO_REMIND),
            "left": counts[selectors.LEFT],
        },
    )
