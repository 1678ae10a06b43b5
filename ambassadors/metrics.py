"""Metrics of published shares: the decaying poll schedule, the poll of one connection's due shares, and the
selectors of the pages (DESIGN.md "Metrics", provider-contracts.md §1.4 and §2.4).

The poll runs inside the organisation's scope (its task's ``TenantTask`` entered it). A poll writes one
``MetricSnapshot`` per (share, slot) by upsert, so a replayed poll rewrites its rows and never adds one (R11). A number
the network does not give stays None: the pages say "not available", never zero.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from ambassadors.models import MetricSnapshot, Share, SocialConnection
from ambassadors.providers import get_provider
from ambassadors.providers.base import (
    AuthExpired,
    MetricsReading,
    ProviderError,
    RateLimited,
    ReconnectRequired,
    Transient,
)
from ambassadors.services.connections import connection_mark_needs_reconnect, fresh_access_token
from ambassadors.services.nudges import comments_alert

logger = logging.getLogger("relais.metrics")


def schedule() -> tuple[timedelta, ...]:
    """When each slot is due, after ``published_at``; slot n (from 1) is ``schedule()[n - 1]``. After the last,
    polling stops. DESIGN.md's 1 h, 6 h, 24 h, 3 d, 7 d, 30 d unless ``RELAIS_METRICS_SCHEDULE_SECONDS`` says
    otherwise (the sandbox demo starts after minutes, so a first-time user sees figures arrive)."""
    return tuple(timedelta(seconds=float(seconds)) for seconds in settings.RELAIS_METRICS_SCHEDULE_SECONDS)


# One poll reads at most this many shares (X: 10 calls); the oldest due first, the rest at the next tick.
MAX_SHARES_PER_POLL = 1000
TRANSIENT_DELAY = timedelta(minutes=5)
# An answer that asking again soon would not change (a refused request, an app-level fault).
REFUSED_DELAY = timedelta(hours=1)
# A reset already past (clock skew with the network) still waits a little rather than asking again at once.
MIN_RATE_LIMIT_DELAY = timedelta(minutes=1)
SNAPSHOT_VALUES = ("likes", "comments", "reshares", "impressions", "reach")
POLLED_SHARE_FIELDS = ["metrics_state", "metrics_next_poll_at", "metrics_polls"]


def slot_at(*, published_at: datetime, now: datetime) -> int:
    """The slot a poll at ``now`` records: the last one whose time has come. A poll made late (a backlog, a rate
    limit) records the slot of its moment, skipping those it missed, so one row always means one age."""
    age = now - published_at
    return max(1, sum(1 for offset in schedule() if offset <= age))


def slot_due_at(*, published_at: datetime, slot: int) -> datetime | None:
    """When ``slot`` is due, or None past the last slot."""
    slots = schedule()
    if slot > len(slots):
        return None
    return published_at + slots[slot - 1]


@dataclass(frozen=True)
class PollResult:
    """What a poll did. ``outcome``: ``ok``, ``nothing_due``, ``not_active`` (the connection is not usable: its shares
    wait as they are), ``not_granted`` (its token may not read figures: its shares are no longer polled),
    ``reconnect``, ``wait`` (rate-limited), ``retry`` (transient) or ``refused``."""

    outcome: str
    snapshots: int = 0
    done: int = 0
    deleted: int = 0
    unavailable: int = 0
    postponed: int = 0


def due_shares(*, connection: SocialConnection, now: datetime, limit: int = MAX_SHARES_PER_POLL) -> QuerySet[Share]:
    """The connection's published shares whose poll is due, the longest waiting first (only the fields a poll reads
    and writes: a share's text is no business of it)."""
    return (
        Share.objects.filter(
            organization_id=connection.organization_id,
            connection=connection,
            status=Share.Status.PUBLISHED,
            metrics_state=Share.MetricsState.POLLING,
            metrics_next_poll_at__lte=now,
            published_at__isnull=False,
        )
        .exclude(external_id="")
        .order_by("metrics_next_poll_at", "pk")
        .only("organization", "external_id", "published_at", *POLLED_SHARE_FIELDS)[:limit]
    )


def connection_metrics_poll(
    *, connection: SocialConnection, now: datetime | None = None, limit: int = MAX_SHARES_PER_POLL
) -> PollResult:
    """Read the counters of ``connection``'s due shares from the network and record them.

    One ``provider.metrics`` call set for all of them (the client batches: X reads 100 ids per request). Each reading
    upserts the snapshot of the share's current slot and moves the share to its next slot, or to ``done`` after the
    last; a post deleted on the network is marked ``deleted``, and one with no number at all (LinkedIn without the
    analytics permissions) ``unavailable``: neither is polled again. Failures write no snapshot: a rate limit moves
    the shares' next poll to its reset, a transient error by a few minutes; an account to reconnect is marked so
    (the member is told) and its shares wait, still due, until it is reconnected.

    Idempotent: a replay within the same slot rewrites the same rows (R11). Scope: the caller's organisation.
    """
    now = now or timezone.now()
    if connection.status != SocialConnection.Status.ACTIVE:
        return PollResult("not_active")
    shares = list(due_shares(connection=connection, now=now, limit=limit))
    if not shares:
        return PollResult("nothing_due")
    if not connection.metrics_granted:
        # Every read would be refused with a 403: the member's consent did not include a metrics scope.
        stopped = Share.objects.filter(pk__in=[share.pk for share in shares], metrics_state=Share.MetricsState.POLLING)
        return PollResult(
            "not_granted",
            unavailable=stopped.update(metrics_state=Share.MetricsState.NOT_GRANTED, metrics_next_poll_at=None),
        )
    try:
        readings = _read(connection, [share.external_id for share in shares])
    except ReconnectRequired:
        return PollResult("reconnect")
    except RateLimited as error:
        return PollResult("wait", postponed=_postpone(shares, until=max(error.reset_at, now + MIN_RATE_LIMIT_DELAY)))
    except Transient:
        return PollResult("retry", postponed=_postpone(shares, until=now + TRANSIENT_DELAY))
    except ProviderError as error:
        logger.warning("metrics of connection %s refused: %s", connection.pk, error.code)
        return PollResult("refused", postponed=_postpone(shares, until=now + REFUSED_DELAY))
    return _record(shares, readings, now=now)


@sensitive_variables("token")
def _read(connection: SocialConnection, external_ids: Sequence[str]) -> list[MetricsReading]:
    """The network's readings; raises the provider's outcome. ``ReconnectRequired`` leaves the connection marked."""
    provider = get_provider(connection.provider)
    token = fresh_access_token(connection=connection)
    try:
        return provider.metrics(access_token=token, external_ids=external_ids)
    except AuthExpired:
        pass
    except ReconnectRequired as error:
        _mark_needs_reconnect(connection, error)
        raise
    # A 401: one refresh, then one resend; a second 401 means the account must be reconnected (provider-contracts.md
    # §2.3). fresh_access_token marks the connection itself when the refresh is refused.
    token = fresh_access_token(connection=connection, force_refresh=True)
    try:
        return provider.metrics(access_token=token, external_ids=external_ids)
    except (AuthExpired, ReconnectRequired) as error:
        _mark_needs_reconnect(connection, error)
        raise ReconnectRequired(error.code, error.detail, status=error.status) from error


def _mark_needs_reconnect(connection: SocialConnection, error: ProviderError) -> None:
    connection_mark_needs_reconnect(connection=connection, code=error.code)


def _postpone(shares: Sequence[Share], *, until: datetime) -> int:
    still_polled = Share.objects.filter(pk__in=[share.pk for share in shares], metrics_state=Share.MetricsState.POLLING)
    return still_polled.update(metrics_next_poll_at=until)


def _has_numbers(reading: MetricsReading) -> bool:
    return any(getattr(reading, name) is not None for name in SNAPSHOT_VALUES)


def _record(shares: Sequence[Share], readings: Iterable[MetricsReading], *, now: datetime) -> PollResult:
    """Apply the readings to the shares and write them all at once: one upsert, one update."""
    by_id = {reading.external_id: reading for reading in readings}
    snapshots: list[MetricSnapshot] = []
    counts = {"done": 0, "deleted": 0, "unavailable": 0}
    for share in shares:
        # The client answers every id; one it could not read carries no number and is treated as such.
        reading = by_id.get(share.external_id) or MetricsReading(external_id=share.external_id)
        if reading.deleted or not _has_numbers(reading):
            share.metrics_state = Share.MetricsState.DELETED if reading.deleted else Share.MetricsState.UNAVAILABLE
            share.metrics_next_poll_at = None
            counts[share.metrics_state] += 1
            continue
        snapshots.append(_advance(share, reading, now=now))
        if share.metrics_state == Share.MetricsState.DONE:
            counts["done"] += 1
    with transaction.atomic():
        # The network answered outside any transaction: rows may have changed meanwhile (a share deleted, its polling
        # stopped). Lock those still polled, in a fixed order, and write only them.
        kept = set(
            Share.objects.select_for_update()
            .filter(pk__in=[share.pk for share in shares], metrics_state=Share.MetricsState.POLLING)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        stored = [snapshot for snapshot in snapshots if snapshot.share_id in kept]
        MetricSnapshot.objects.bulk_create(
            stored,
            update_conflicts=True,
            unique_fields=["share", "slot"],
            update_fields=["taken_at", *SNAPSHOT_VALUES],
        )
        comments_alert(snapshots=stored)
        Share.objects.bulk_update([share for share in shares if share.pk in kept], POLLED_SHARE_FIELDS)
    return PollResult("ok", snapshots=len(snapshots), **counts)


def _advance(share: Share, reading: MetricsReading, *, now: datetime) -> MetricSnapshot:
    """The snapshot of ``reading`` in the share's current slot; the share moves on to its next slot, or to ``done``
    after the last."""
    assert share.published_at is not None  # due_shares selects published shares only
    slot = slot_at(published_at=share.published_at, now=now)
    share.metrics_polls += 1
    share.metrics_next_poll_at = slot_due_at(published_at=share.published_at, slot=slot + 1)
    if share.metrics_next_poll_at is None:
        share.metrics_state = Share.MetricsState.DONE
    return MetricSnapshot(
        organization_id=share.organization_id,
        share=share,
        slot=slot,
        taken_at=now,
        **{name: getattr(reading, name) for name in SNAPSHOT_VALUES},
    )


# --- Selectors -----------------------------------------------------------------------------------------------------


def latest_snapshots(*, shares: QuerySet[Share] | Iterable[Share]) -> dict[int, MetricSnapshot]:
    """The latest snapshot of each of ``shares`` that has one, by share id, in one query.

    A correlated subquery picks each share's highest slot: DISTINCT ON would do it on PostgreSQL only, and the
    embedded default runs on SQLite. A queryset stays a subquery (not evaluated); other iterables give their ids.
    """
    last_slot = MetricSnapshot.objects.filter(share=OuterRef("share")).order_by("-slot").values("slot")[:1]
    rows = MetricSnapshot.objects.filter(slot=Subquery(last_slot))
    if isinstance(shares, QuerySet):
        rows = rows.filter(share__in=shares.values_list("pk", flat=True))
    else:
        rows = rows.filter(share__in=[share.pk for share in shares])
    return {snapshot.share_id: snapshot for snapshot in rows}
