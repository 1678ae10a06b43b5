"""What shares do when something they depend on changes in another module: an account lost or restored, a member
leaving the programme, a post withdrawn.

Signals rather than calls because ``content`` and ``charter`` must not import ``ambassadors`` (the dependency points
one way), and the connections service sends its own (``ambassadors.signals``). Each receiver is one call to a service
of ``ambassadors.services.shares``; the senders send inside their transaction, so these writes commit or roll back
with the change that caused them. Connected in ``AmbassadorsConfig.ready``.
"""

from __future__ import annotations

from typing import Any

from advocacy.models import Membership, User
from ambassadors.models import SocialConnection
from ambassadors.services.shares import (
    shares_cancel_for_member_left,
    shares_cancel_for_post_withdrawn,
    shares_resume_after_reconnect,
    shares_wait_for_reconnect,
)
from ambassadors.signals import connection_disconnected, connection_needs_reconnect, connection_restored
from charter.signals import member_left
from content.models import Post
from content.signals import post_withdrawn


def on_connection_restored(sender: Any, *, connection: SocialConnection, **kwargs: Any) -> None:
    shares_resume_after_reconnect(connection=connection)


def on_connection_lost(sender: Any, *, connection: SocialConnection, **kwargs: Any) -> None:
    shares_wait_for_reconnect(connection=connection)


def on_member_left(sender: Any, *, membership: Membership, by: User | None = None, **kwargs: Any) -> None:
    shares_cancel_for_member_left(membership=membership, by=by)


def on_post_withdrawn(sender: Any, *, post: Post, by: User | None = None, **kwargs: Any) -> None:
    shares_cancel_for_post_withdrawn(post=post, by=by)


def connect() -> None:
    """Connect every receiver once (``dispatch_uid``: ``ready()`` may run more than once in tests)."""
    connection_restored.connect(on_connection_restored, dispatch_uid="shares.connection_restored")
    connection_needs_reconnect.connect(on_connection_lost, dispatch_uid="shares.connection_needs_reconnect")
    connection_disconnected.connect(on_connection_lost, dispatch_uid="shares.connection_disconnected")
    member_left.connect(on_member_left, dispatch_uid="shares.member_left")
    post_withdrawn.connect(on_post_withdrawn, dispatch_uid="shares.post_withdrawn")
