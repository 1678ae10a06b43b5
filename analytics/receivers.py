"""What analytics records when something it depends on changes in a lower app: a member removed from the
organisation leaves a departure behind, for the retention figures.

A signal rather than a call because ``advocacy`` must not import ``analytics`` (the dependency points one way). The
sender sends inside its transaction, before deleting the membership: the receiver still reads the member's shares,
and its writes commit or roll back with the removal. Connected in ``AnalyticsConfig.ready``.
"""

from __future__ import annotations

from typing import Any

from advocacy.models import Membership
from advocacy.signals import member_removed
from analytics.services import departure_record_removal


def on_member_removed(sender: Any, *, membership: Membership, **kwargs: Any) -> None:
    departure_record_removal(membership=membership)


def connect() -> None:
    """Connect every receiver once (``dispatch_uid``: ``ready()`` may run more than once in tests)."""
    member_removed.connect(on_member_removed, dispatch_uid="analytics.member_removed")
