"""The one check every share path runs (schedule, publish now, the API, and the worker at publish time): the charter
gate of the charter issue, then the compliance rules with the member's share counts of that day.

Kept in one place so no path can forget a rule: ``share_refusal`` is called with the share about to go out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone

from advocacy.errors import ServiceError
from advocacy.models import Membership
from ambassadors.models import Share
from charter.compliance import ShareDraft, Violation, compliance_check, member_zone
from charter.selectors import charter_assert_can_share
from content.models import Post
from content.text import x_text_with_link

# Shares that count towards the daily caps when a share is planned: those going out or gone out, not the abandoned.
COUNTED_STATUSES = (
    Share.Status.SCHEDULED,
    Share.Status.PUBLISHING,
    Share.Status.PUBLISHED,
    Share.Status.MANUAL,
    Share.Status.NEEDS_ACTION,
)
# At publish time only what has really gone out counts: two shares planned under a cap later lowered must not
# refuse each other, the first to go out takes the place.
OUT_STATUSES = (Share.Status.PUBLISHING, Share.Status.PUBLISHED)


@dataclass(frozen=True)
class Refusal:
    """Why a share may not go out: ``code`` is ``charter_required`` or the first violation's code; ``messages`` are
    every reason, translated, for the member."""

    code: str
    messages: tuple[str, ...]
    violations: tuple[Violation, ...] = ()

    def as_error(self) -> ServiceError:
        return ServiceError(" ".join(self.messages), code=self.code)


def shares_on_day(
    *,
    membership: Membership,
    at: datetime,
    exclude_share_id: int | None = None,
    statuses: tuple[str, ...] = COUNTED_STATUSES,
) -> tuple[int, dict[str, int]]:
    """(all networks, per network) counts of the member's shares going out on ``at``'s day in their time zone."""
    zone = member_zone(membership)
    day = at.astimezone(zone).date()
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = start + timedelta(days=1)
    when = Q(published_at__gte=start, published_at__lt=end) | Q(
        published_at__isnull=True, scheduled_at__gte=start, scheduled_at__lt=end
    )
    rows = Share.objects.filter(
        when, organization=membership.organization_id, membership=membership, status__in=statuses
    )
    if exclude_share_id is not None:
        rows = rows.exclude(pk=exclude_share_id)
    per_network: dict[str, int] = {}
    for network in rows.values_list("network", flat=True):
        per_network[network] = per_network.get(network, 0) + 1
    return sum(per_network.values()), per_network


def share_refusal(
    *,
    membership: Membership,
    post: Post,
    network: str,
    text: str,
    link: str = "",
    at: datetime | None = None,
    exclude_share_id: int | None = None,
    publishing: bool = False,
) -> Refusal | None:
    """None when the share may go out at ``at`` (now by default); else why not.

    ``exclude_share_id`` leaves the share being checked out of the daily counts (a scheduled share checked again
    at publish time must not count against itself); ``publishing`` counts only the shares already out.
    """
    at = at or timezone.now()
    try:
        charter_assert_can_share(membership=membership, now=at)
    except ServiceError as refused:
        return Refusal(code=refused.code, messages=(refused.message,))
    total, per_network = shares_on_day(
        membership=membership,
        at=at,
        exclude_share_id=exclude_share_id,
        statuses=OUT_STATUSES if publishing else COUNTED_STATUSES,
    )
    if network == "x":
        # The X client appends the link the text lacks (23 characters on X): the length check must see it.
        text = x_text_with_link(text, link)
    violations = compliance_check(
        ShareDraft(
            membership=membership,
            network=network,
            text=text,
            link=link,
            post=post,
            at=at,
            shares_today=total,
            shares_today_on_network=per_network.get(network, 0),
        )
    )
    if not violations:
        return None
    return Refusal(
        code=violations[0].code,
        messages=tuple(violation.message for violation in violations),
        violations=tuple(violations),
    )


def share_assert_allowed(**kwargs: object) -> None:
    """``share_refusal`` that raises the refusal as a ``ServiceError`` (for forms and the API)."""
    refusal = share_refusal(**kwargs)  # type: ignore[arg-type]
    if refusal is not None:
        raise refusal.as_error()
