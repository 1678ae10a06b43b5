"""The publishing engine: one share, published exactly once (DESIGN.md "Publishing: exactly once", the outcomes of
provider-contracts.md and its §3, security-and-reliability.md R2–R12).

``share_publish_run`` is what the ``publish_share`` task runs, in the share's organisation scope:

1. Claim: ``scheduled → publishing`` by compare-and-set, or take over a ``publishing`` claim gone stale (a worker
   that died) by compare-and-set on its old ``claimed_at``. A lost race stops here.
2. Check again at publish time: a paused network, the charter and compliance gate, the X budget, the connection.
3. Pacing: reserve the connection's next slot, or wait for it (nothing counted).
4. Record a ``ShareAttempt`` and commit it, then call the network; an accepted post is stored at once, in its own
   transaction. Every failure maps to one outcome of the contract (the table in ``_HANDLERS``).

Every write to the share is a compare-and-set on ``status='publishing'`` and this run's ``claimed_at`` (renewed before
each network call), so a redelivered message, a second worker or a stale run taken over can never act twice. An
attempt still in flight when its claim is taken over may have reached the network: the share is then reconciled,
never resent blindly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.mail import mail_admins
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from advocacy.errors import ServiceError
from advocacy.models import Membership, Organization, User
from advocacy.services import audit_log
from ambassadors.gate import Refusal, share_refusal
from ambassadors.metrics import slot_due_at
from ambassadors.models import (
    API_NETWORKS,
    BILLING_PAUSES,
    ProviderPause,
    Share,
    ShareAttempt,
    SocialConnection,
)
from ambassadors.notifications import notify_member
from ambassadors.providers import get_provider
from ambassadors.providers.base import (
    AuthExpired,
    OutcomeUnknown,
    Provider,
    ProviderConfigError,
    ProviderError,
    Published,
    RateLimited,
    ReconnectRequired,
    Rejected,
    ShareRequest,
    Transient,
    timeouts,
)
from ambassadors.selectors import publishing_settings, x_month_spend, x_post_cost
from ambassadors.services.connections import (
    connection_mark_needs_reconnect,
    connections_path,
    fresh_access_token,
    network_label,
)
from ambassadors.services.nudges import nudges_enqueue
from analytics.links import outgoing
from content.models import Post

logger = logging.getLogger("relais.publishing")

Status = Share.Status
Action = Share.ActionRequired
Outcome = ShareAttempt.Outcome
Kind = ShareAttempt.Kind
# provider-contracts.md §1.3: a 65601 "revoked" right after consent is spurious; wait this long and try once more.
SPURIOUS_REVOKE_WINDOW = timedelta(minutes=1)
SPURIOUS_REVOKE_WAIT = timedelta(seconds=10)

# What ``share_publish_run`` returns: the share's state when the run ends.
SKIPPED = "skipped"


# --- Costs and timings -------------------------------------------------------------------------------------------


def x_fallback_reason(*, organization: Organization, text: str, link: str) -> str:
    """Why an X post of ``text`` goes by copy-and-open instead of the API: ``x_credits`` / ``x_usage_cap`` (X
    paused for the platform), ``x_api_disabled`` (the organisation's choice) or ``x_budget`` (this post would
    exceed the month's budget); "" when the API may take it. Two X shares of one organisation published at the
    same moment may each pass, so the budget can be overshot by one post per concurrent worker."""
    pause = ProviderPause.objects.filter(provider="x", kind__in=BILLING_PAUSES).first()
    if pause is not None:
        return f"x_{pause.kind}"
    choices = publishing_settings(organization=organization)
    if not choices.x_api_enabled:
        return "x_api_disabled"
    if x_month_spend(organization=organization) + x_post_cost(text, link) > choices.x_monthly_budget:
        return "x_budget"
    return ""


def claim_stale_after() -> timedelta:
    """How old a ``publishing`` claim must be before another worker may take it over: longer than one network call
    (connect + read timeouts; the claim is renewed before each call) plus a margin."""
    connect, read = timeouts()
    return timedelta(seconds=connect + read + float(settings.RELAIS_PUBLISH_CLAIM_MARGIN))


def pacing_interval(network: str) -> timedelta:
    return timedelta(seconds=float(settings.RELAIS_PUBLISH_INTERVAL_SECONDS.get(network, 0)))


# --- Entry points for the share services ---------------------------------------------------------------------------


def enqueue_publish(share: Share) -> None:
    """Ask a worker to publish ``share`` once the caller's transaction commits (nothing is sent if it rolls back).

    The worker does nothing unless the share is due (``scheduled``, ``scheduled_at`` and ``not_before`` past), so a
    service may call this for any share it just made due; a share scheduled later is found by the beat tick.
    """
    from ambassadors.tasks.publishing import send_publish

    organization_id, share_id = share.organization_id, share.pk
    transaction.on_commit(lambda: send_publish(organization_id=organization_id, share_id=share_id))


@transaction.atomic
def share_reconcile_resend(*, share: Share, by: User | None) -> Share:
    """The member's "publish again" on a share whose outcome is unknown (``needs_action`` / ``check``): the single
    resend provider-contracts.md §3 allows. The network's duplicate refusal then proves the first post landed and
    the share ends ``published``; a second unknown outcome asks the member to check, with no further resend.

    Raises ``ServiceError`` when the share is not waiting for that check or was already resent once.
    """
    resent = Share.objects.filter(
        pk=share.pk,
        organization=share.organization_id,
        status=Status.NEEDS_ACTION,
        action_required=Action.CHECK,
        reconcile_resent=False,
    ).update(
        status=Status.SCHEDULED,
        reconcile_resent=True,
        action_required=Action.NONE,
        not_before=None,
        claimed_at=None,
        updated_at=timezone.now(),
    )
    if not resent:
        raise ServiceError(
            str(
                _(
                    "This share can no longer be published again from Relais: check your profile on the network, "
                    "then mark it as posted or cancel it."
                )
            ),
            code="resend_refused",
        )
    audit_log(organization=share.organization, actor=by, action="share.reconcile_resent", target=share)
    share.refresh_from_db()
    enqueue_publish(share)
    return share


# --- One run -------------------------------------------------------------------------------------------------------


@dataclass
class _Run:
    share: Share
    claimed_at: datetime
    provider: Provider
    connection: SocialConnection | None = None
    # An earlier attempt of this share may have landed: a duplicate refusal then means "already published".
    after_unknown: bool = False
    refreshed: bool = False

    @property
    def network(self) -> str:
        return str(network_label(self.share.network))

    @property
    def membership(self) -> Membership:
        return self.share.membership


def share_publish_run(*, share_id: int) -> str:
    """Publish one share if it is due and nobody else holds it; returns its status when the run ends (or
    ``"skipped"`` when another worker has it or it is not due). Safe to call any number of times, concurrently.

    Runs in the share's organisation scope, outside any transaction: each step commits on its own so that what the
    network accepted is stored before anything else can fail.
    """
    now = timezone.now()
    share = _claim(share_id, now)
    if share is None:
        return SKIPPED
    run = _Run(share=share, claimed_at=now, provider=get_provider(share.network))
    run.after_unknown = ShareAttempt.objects.filter(
        organization=share.organization_id, share=share, outcome=Outcome.UNKNOWN
    ).exists()
    if share.action_required == Action.CHECK:
        return _reconcile(run)
    return _publish(run)


def _claim(share_id: int, now: datetime) -> Share | None:
    """The share, claimed for this run; None when it is not due or another worker holds a live claim."""
    due = Q(not_before__isnull=True) | Q(not_before__lte=now)
    # Other networks are copy-and-open only: nothing to publish through an API.
    rows = Share.objects.filter(pk=share_id, network__in=API_NETWORKS)
    claimed = rows.filter(due, status=Status.SCHEDULED, scheduled_at__lte=now).update(
        status=Status.PUBLISHING, claimed_at=now, updated_at=now
    )
    if not claimed:
        stale = (
            rows.filter(status=Status.PUBLISHING, claimed_at__lt=now - claim_stale_after())
            .values_list("claimed_at", flat=True)
            .first()
        )
        # The old claimed_at is the compare-and-set token: of two workers taking over, one wins.
        if stale is None or not rows.filter(status=Status.PUBLISHING, claimed_at=stale).update(claimed_at=now):
            return None
        _abandon_in_flight(share_id)
    return Share.objects.select_related("membership__user", "organization", "post", "connection").get(pk=share_id)


@transaction.atomic
def _abandon_in_flight(share_id: int) -> None:
    """The previous holder died. An attempt it left in flight may have reached the network: a publish becomes
    ``unknown`` (the share is reconciled, never resent blindly); a reconciliation read is simply over."""
    attempt = ShareAttempt.objects.filter(share_id=share_id).order_by("-number").first()
    if attempt is None or attempt.outcome:
        return
    lost = "The worker was lost during this call."
    if attempt.kind == Kind.RECONCILE:
        _close(attempt, Outcome.RETRY, detail=lost)
        return
    _close(attempt, Outcome.UNKNOWN, detail=lost)
    Share.objects.filter(pk=share_id).update(action_required=Action.CHECK)
    logger.warning("share %s: worker lost during a publish call; reconciling", share_id)


def _publish(run: _Run) -> str:
    for check in (_check_pause, _check_gate, _check_x_billing, _check_connection, _reserve_slot):
        outcome = check(run)
        if outcome is not None:
            return outcome
    return _send(run)


# --- Checks at publish time ----------------------------------------------------------------------------------------


def _check_pause(run: _Run) -> str | None:
    pause = ProviderPause.objects.filter(provider=run.share.network).first()
    if pause is None or (run.share.network == "x" and pause.kind in BILLING_PAUSES):
        return None
    recheck = timezone.now() + timedelta(seconds=float(settings.RELAIS_PUBLISH_PAUSE_RECHECK))
    return _wait(run, until=recheck, code="network_paused")


def _check_gate(run: _Run) -> str | None:
    share = run.share
    now = timezone.now()
    refusal = share_refusal(
        membership=share.membership,
        post=share.post,
        network=share.network,
        text=share.text,
        link=share.link,
        at=now,
        exclude_share_id=share.pk,
        publishing=True,
    )
    if refusal is None:
        return None
    return _refused(run, refusal)


def _refused(run: _Run, refusal: Refusal) -> str:
    """A share the rules refuse is never published: it waits for the sharing hours, is cancelled with a post that
    can no longer be shared, or asks the member (charter, other rules)."""
    codes = {violation.code for violation in refusal.violations}
    reason = " ".join(refusal.messages)
    if "post_not_live" in codes:
        return _end(run, Status.CANCELLED, code="post_not_live", message=reason, kind="share_cancelled")
    if codes == {"outside_hours"}:
        following = refusal.violations[0].next_allowed_at
        if following is not None:
            return _wait(run, until=following, code="outside_hours")
    action = Action.CHARTER if refusal.code == "charter_required" else Action.COMPLIANCE
    return _end(run, Status.NEEDS_ACTION, code=refusal.code, message=reason, action=action, kind="share_refused")


def _check_x_billing(run: _Run) -> str | None:
    """X bills every post: when the app is out of credits or capped, the organisation turned the API off, or this
    post would exceed its monthly budget, the share falls back to copy-and-open (``manual``) instead of failing."""
    share = run.share
    if share.network != "x":
        return None
    reason = x_fallback_reason(organization=share.organization, text=share.text, link=share.link)
    return _manual(run, code=reason) if reason else None


def _check_connection(run: _Run) -> str | None:
    """The share's connection, or the member's live one on the network when the share's was replaced."""
    share = run.share
    connection = share.connection
    if connection is None or connection.status == SocialConnection.Status.DISCONNECTED:
        connection = (
            SocialConnection.objects.filter(
                organization=share.organization_id, membership=share.membership_id, provider=share.network
            )
            .exclude(status=SocialConnection.Status.DISCONNECTED)
            .first()
        )
        if connection is not None:
            Share.objects.filter(pk=share.pk).update(connection=connection)
    if connection is None or not connection.is_usable:
        run.connection = connection
        return _needs_reconnect(run, code=connection.last_error_code if connection else "not_connected")
    run.connection = connection
    return None


def _reserve_slot(run: _Run) -> str | None:
    """Take the connection's next publishing slot atomically, or wait for it (and for a rate limit's reset)
    without counting a try: a burst of shares on one account goes out one interval apart."""
    assert run.connection is not None
    now = timezone.now()
    free = (Q(next_publish_at__isnull=True) | Q(next_publish_at__lte=now)) & (
        Q(rate_limited_until__isnull=True) | Q(rate_limited_until__lte=now)
    )
    rows = SocialConnection.objects.filter(pk=run.connection.pk, organization=run.share.organization_id)
    if rows.filter(free).update(next_publish_at=now + pacing_interval(run.share.network)):
        return None
    slots = rows.values_list("next_publish_at", "rate_limited_until").first() or (None, None)
    later = [slot for slot in slots if slot is not None and slot > now]
    return _wait(run, until=max(later, default=now + pacing_interval(run.share.network)), code="paced")


# --- The network call ----------------------------------------------------------------------------------------------


# X takes images up to 5 MB (provider-contracts.md §2.3); a larger one goes out as a link card only.
MAX_IMAGE_BYTES = 5 * 1024 * 1024


def _image(post: Post) -> bytes | None:
    """The post's image, when it has one the networks accept; None otherwise (the share still goes out)."""
    if not post.image:
        return None
    try:
        if post.image.size > MAX_IMAGE_BYTES:
            return None
        with post.image.open("rb") as file:
            return bytes(file.read())
    except OSError:
        logger.warning("post %s: image unreadable, shared without it", post.pk)
        return None


def _request(share: Share, connection: SocialConnection) -> ShareRequest:
    preview = share.post.link_preview if share.link and share.link == share.post.link else None
    sent = outgoing(share)
    return ShareRequest(
        author_uid=connection.provider_uid,
        text=sent.text,
        link=sent.link,
        link_title=(preview.title if preview and preview.title else share.post.title)[:200],
        link_description=preview.description[:300] if preview else "",
        image=_image(share.post),
        image_alt=share.post.title[:300],
    )


def _send(run: _Run, *, kind: str = Kind.PUBLISH) -> str:
    """Token, attempt, call; a 401 gets one refresh and one resend (a new attempt), a second 401 is ``reconnect``."""
    assert run.connection is not None
    while True:
        try:
            if not _renew_claim(run):
                return SKIPPED
            token = fresh_access_token(connection=run.connection, force_refresh=run.refreshed)
        except ProviderError as error:
            return _failed_call(run, None, error, from_token=True)
        attempt = _start_attempt(run, kind)
        if attempt is None:
            return SKIPPED
        try:
            published = run.provider.publish(access_token=token, share=_request(run.share, run.connection))
        except AuthExpired as error:
            if run.refreshed:
                return _failed_call(run, attempt, ReconnectRequired("token_rejected", error.detail, status=401))
            _close(attempt, Outcome.REFRESH, error=error)
            run.refreshed = True
            continue
        except ProviderError as error:
            return _failed_call(run, attempt, error)
        return _store_published(run, attempt, published)


def _failed_call(run: _Run, attempt: ShareAttempt | None, error: ProviderError, *, from_token: bool = False) -> str:
    for kind, handler in _HANDLERS:
        if isinstance(error, kind):
            return handler(run, attempt, error, from_token)
    # Anything else the client raises (a refused authorisation on a refresh) left nothing on the network.
    return _retry(run, attempt, error, from_token)


def _retry(run: _Run, attempt: ShareAttempt | None, error: ProviderError, from_token: bool) -> str:
    """``retry``: nothing happened. Back off 30 s, 2 min, 10 min…; after the last try the share fails."""
    tries = run.share.attempts + 1
    backoff = settings.RELAIS_PUBLISH_BACKOFF_SECONDS
    if tries >= int(settings.RELAIS_PUBLISH_MAX_TRIES):
        message = _("%(network)s could not be reached after %(tries)d tries. Try again later.")
        return _end(
            run,
            Status.FAILED,
            code=error.code,
            message=message,
            params={"tries": tries},
            attempt=attempt,
            outcome=Outcome.RETRY,
            error=error,
            kind="share_failed",
            extra={"attempts": tries},
        )
    delay = timedelta(seconds=float(backoff[min(tries - 1, len(backoff) - 1)]))
    until = timezone.now() + delay
    return _wait(run, until=until, code=error.code, attempt=attempt, outcome=Outcome.RETRY, error=error, tries=tries)


def _rate_limited(run: _Run, attempt: ShareAttempt | None, error: ProviderError, from_token: bool) -> str:
    """``wait``: nothing for this account before the reset; costs no try."""
    assert isinstance(error, RateLimited) and run.connection is not None
    reset_at = error.reset_at
    SocialConnection.objects.filter(pk=run.connection.pk, organization=run.share.organization_id).filter(
        Q(rate_limited_until__isnull=True) | Q(rate_limited_until__lt=reset_at)
    ).update(rate_limited_until=reset_at)
    return _wait(run, until=reset_at, code=error.code, attempt=attempt, outcome=Outcome.WAIT, error=error)


def _reconnect(run: _Run, attempt: ShareAttempt | None, error: ProviderError, from_token: bool) -> str:
    """``reconnect``: the account must be connected again; the share waits for the member (one click)."""
    assert run.connection is not None
    connection = run.connection
    if (
        error.code == "revoked"
        and connection.connected_at is not None
        and timezone.now() - connection.connected_at < SPURIOUS_REVOKE_WINDOW
        and not ShareAttempt.objects.filter(share=run.share, error_code="revoked").exists()
    ):
        # provider-contracts.md §1.3: LinkedIn says "revoked" spuriously right after consent; retry once.
        until = timezone.now() + SPURIOUS_REVOKE_WAIT
        return _wait(run, until=until, code=error.code, attempt=attempt, outcome=Outcome.RETRY, error=error)
    if not from_token:
        # fresh_access_token marks the connection itself; a refusal of the publish call is ours to report.
        connection_mark_needs_reconnect(connection=connection, code=error.code)
    return _needs_reconnect(run, code=error.code, attempt=attempt, error=error)


def _rejected(run: _Run, attempt: ShareAttempt | None, error: ProviderError, from_token: bool) -> str:
    """``reject``: the network refused the content, in its own words. A duplicate refusal after an earlier unknown
    attempt of this share proves that attempt landed (R12): the share is published."""
    assert isinstance(error, Rejected)
    if error.duplicate and run.after_unknown and attempt is not None:
        return _duplicate_proves_landed(run, attempt, error)
    if run.share.network == "linkedin":
        message = _("LinkedIn refused this post: %(reason)s")
    else:
        message = _("X refused this post: %(reason)s")
    return _end(
        run,
        Status.FAILED,
        code=error.code,
        message=message,
        params={"reason": error.detail or error.code},
        attempt=attempt,
        outcome=Outcome.REJECT,
        error=error,
        kind="share_failed",
    )


def _metrics_state(connection: SocialConnection | None, published: Published | None) -> str:
    """Whether the new post's figures will be polled: not without its id, nor when the token may not read them."""
    if published is None:
        return Share.MetricsState.UNAVAILABLE
    if connection is None or not connection.metrics_granted:
        return Share.MetricsState.NOT_GRANTED
    return Share.MetricsState.POLLING


def _duplicate_proves_landed(run: _Run, attempt: ShareAttempt, error: Rejected) -> str:
    found: Published | None
    if error.duplicate_of:
        urn = error.duplicate_of
        found = Published(external_id=urn, url=run.provider.post_url(urn))
    else:
        found = _find_recent(run)
    note = "" if found else "The network refused a duplicate: the first post landed, its id is unknown."
    return _store_published(run, attempt, found, note=note, refusal=error)


def _unknown(run: _Run, attempt: ShareAttempt | None, error: ProviderError, from_token: bool) -> str:
    """``unknown``: the post may have landed. Never resent blindly: reconcile.

    A network that answered 5xx usually stored nothing (DESIGN.md retries it), yet may have (provider-contracts.md
    calls it ``unknown``): the share gets the single resend of §3 automatically, after the first backoff, where the
    network's duplicate refusal proves the first landed. A call with no answer at all (timeout, reset) waits for
    the member to check instead."""
    with transaction.atomic():
        if attempt is not None:
            _close(attempt, Outcome.UNKNOWN, error=error)
        if not _claimed(run).update(action_required=Action.CHECK, last_error_code=error.code[:64]):
            return SKIPPED
    run.after_unknown = True
    answered = error.status is not None and error.status >= 500
    return _reconcile(run, resend=answered and not run.share.reconcile_resent)


def _config(run: _Run, attempt: ShareAttempt | None, error: ProviderError, from_token: bool) -> str:
    """``config``: an app-level fault. The network is paused for the whole platform and the operators told once;
    the share waits untouched (no try counted), or on X without credits falls back to copy-and-open."""
    assert isinstance(error, ProviderConfigError)
    network = run.share.network
    pause, created = ProviderPause.objects.get_or_create(
        provider=network, defaults={"kind": error.kind, "detail": f"{error.code}: {error.detail}"[:2000]}
    )
    if created:
        logger.error("%s paused for the whole platform: %s (%s)", network, error.kind, error.code)
        _alert_operators(network, pause)
    if network == "x" and error.kind in BILLING_PAUSES:
        if attempt is not None:
            _close(attempt, Outcome.CONFIG, error=error)
        return _manual(run, code=f"x_{error.kind}")
    recheck = timezone.now() + timedelta(seconds=float(settings.RELAIS_PUBLISH_PAUSE_RECHECK))
    return _wait(run, until=recheck, code="network_paused", attempt=attempt, outcome=Outcome.CONFIG, error=error)


def _alert_operators(network: str, pause: ProviderPause) -> None:
    try:
        mail_admins(
            f"{network_label(network)} publishing paused ({pause.kind})",
            f"Relais stopped publishing to {network_label(network)} for every organisation: {pause.detail}\n\n"
            "Shares wait meanwhile; none is lost. Fix the configuration, then delete the provider pause in the "
            "staff admin to resume.",
        )
    except Exception:  # noqa: BLE001 - a mail server down must not turn a pause into a retry loop
        logger.exception("could not e-mail the operators about the %s pause", network)


_HANDLERS: tuple[tuple[type[ProviderError], Callable[[_Run, ShareAttempt | None, ProviderError, bool], str]], ...] = (
    (Transient, _retry),
    (RateLimited, _rate_limited),
    (ReconnectRequired, _reconnect),
    (Rejected, _rejected),
    (OutcomeUnknown, _unknown),
    (ProviderConfigError, _config),
)


# --- Reconciliation ------------------------------------------------------------------------------------------------


def _find_recent(run: _Run) -> Published | None:
    """The author's recent post with this text, where the network lets us list them (X); None otherwise or when the
    network cannot answer now."""
    connection = run.connection or run.share.connection
    if connection is None or not _renew_claim(run):
        return None
    try:
        token = fresh_access_token(connection=connection)
        return run.provider.find_recent(access_token=token, author_uid=connection.provider_uid, text=run.share.text)
    except ProviderError as error:
        logger.info("share %s: reconciliation read failed (%s)", run.share.pk, error.code)
        return None


def _reconcile(run: _Run, *, resend: bool = False) -> str:
    """The outcome of an earlier call is unknown. X: look for the post among the author's latest and store its id.
    Not found (or LinkedIn, which cannot list a member's posts): with ``resend``, the single duplicate-safe resend
    after the first backoff; otherwise ask the member to check (they may resend once: share_reconcile_resend)."""
    found = None
    if run.share.network == "x":
        run.connection = run.connection or run.share.connection
        attempt = _start_attempt(run, Kind.RECONCILE)
        if attempt is None:
            return SKIPPED
        found = _find_recent(run)
        if found is not None:
            return _store_published(run, attempt, found)
        _close(attempt, Outcome.UNKNOWN, detail="Not found among the author's latest posts.")
    if resend:
        first_backoff = timedelta(seconds=float(settings.RELAIS_PUBLISH_BACKOFF_SECONDS[0]))
        return _wait(run, until=timezone.now() + first_backoff, code="unknown", resend=True)
    message = _(
        "We could not confirm that %(network)s published this post. Look at your profile: if the post is there, "
        "mark it as posted; if not, publish it again."
    )
    return _end(run, Status.NEEDS_ACTION, code="unknown", message=message, action=Action.CHECK, kind="share_check")


# --- Writes --------------------------------------------------------------------------------------------------------


def _claimed(run: _Run) -> QuerySet[Share]:
    """This run's share, if this run still holds it: the compare-and-set of every transition."""
    return Share.objects.filter(pk=run.share.pk, status=Status.PUBLISHING, claimed_at=run.claimed_at)


def _renew_claim(run: _Run) -> bool:
    """Move the claim forward before a network call, so it goes stale only if this worker dies; False when another
    worker took the share over (this run must stop)."""
    now = timezone.now()
    if not _claimed(run).update(claimed_at=now):
        logger.warning("share %s: claim lost to another worker; stopping", run.share.pk)
        return False
    run.claimed_at = now
    return True


@transaction.atomic
def _start_attempt(run: _Run, kind: str) -> ShareAttempt | None:
    """The attempt row, committed before the call: if this worker dies during the call, whoever takes the share
    over sees an attempt in flight and reconciles."""
    if not _renew_claim(run):
        return None
    share = run.share
    last = ShareAttempt.objects.filter(share=share).aggregate(last=Max("number"))["last"] or 0
    if kind == Kind.PUBLISH and share.reconcile_resent and run.after_unknown:
        kind = Kind.RESEND
    return ShareAttempt.objects.create(
        organization=share.organization, share=share, number=last + 1, kind=kind, started_at=run.claimed_at
    )


def _close(
    attempt: ShareAttempt, outcome: str, *, error: ProviderError | None = None, detail: str = "", external_id: str = ""
) -> None:
    attempt.outcome = outcome
    attempt.finished_at = timezone.now()
    attempt.http_status = error.status if error is not None else None
    attempt.error_code = error.code[:64] if error is not None else ""
    attempt.detail = (error.detail if error is not None else detail)[:2000]
    attempt.external_id = external_id
    attempt.save(update_fields=["outcome", "finished_at", "http_status", "error_code", "detail", "external_id"])


def _store_published(
    run: _Run,
    attempt: ShareAttempt,
    published: Published | None,
    *,
    note: str = "",
    refusal: Rejected | None = None,
) -> str:
    """Store what the network accepted at once, in its own transaction; nothing after it can undo it (R8).
    ``refusal``: the duplicate refusal that proved an earlier attempt landed (the attempt keeps it as its outcome)."""
    share = run.share
    now = timezone.now()
    metrics_state = _metrics_state(run.connection, published)
    with transaction.atomic():
        if refusal is not None:
            _close(attempt, Outcome.REJECT, error=refusal)
        else:
            _close(attempt, Outcome.OK, detail=note, external_id=published.external_id if published else "")
        # Not a compare-and-set on the claim: whatever took the share meanwhile, the post exists on the network.
        stored = (
            Share.objects.filter(pk=share.pk)
            .exclude(status=Status.PUBLISHED)
            .update(
                status=Status.PUBLISHED,
                external_id=published.external_id if published else "",
                external_url=published.url if published else "",
                published_at=now,
                claimed_at=None,
                not_before=None,
                action_required=Action.NONE,
                last_error_code="" if published else "id_unknown",
                last_error=note,
                last_error_params={},
                cost=x_post_cost(share.text, share.link) if share.network == "x" else Decimal("0"),
                metrics_state=metrics_state,
                metrics_next_poll_at=slot_due_at(published_at=now, slot=1)
                if metrics_state == Share.MetricsState.POLLING
                else None,
                updated_at=now,
            )
        )
        if stored:
            audit_log(
                organization=share.organization,
                actor=None,
                action="share.published",
                target=share,
                data={"network": share.network, "external_id": published.external_id if published else ""},
            )
            nudges_enqueue(share)
    if not stored:
        logger.error("share %s was already published; the network accepted it again", share.pk)
    return Status.PUBLISHED


def _wait(
    run: _Run,
    *,
    until: datetime,
    code: str,
    attempt: ShareAttempt | None = None,
    outcome: str = "",
    error: ProviderError | None = None,
    tries: int | None = None,
    resend: bool = False,
) -> str:
    """Back to ``scheduled``, due again at ``until``: nothing is lost, the tick enqueues it then. ``resend`` spends
    the share's single reconciliation resend."""
    with transaction.atomic():
        if attempt is not None:
            _close(attempt, outcome, error=error)
        changes: dict[str, Any] = {"attempts": tries} if tries is not None else {}
        if resend:
            changes["reconcile_resent"] = True
        if not _claimed(run).update(
            status=Status.SCHEDULED,
            not_before=until,
            claimed_at=None,
            action_required=Action.NONE,
            last_error_code=code[:64],
            updated_at=timezone.now(),
            **changes,
        ):
            return SKIPPED
    return Status.SCHEDULED


def _manual(run: _Run, *, code: str) -> str:
    reasons = {
        "x_budget": _("this month's X budget of the organisation is spent"),
        "x_api_disabled": _("the organisation publishes to X by copy-and-open"),
        "x_credits": _("Relais's X credits are exhausted"),
        "x_usage_cap": _("Relais reached X's monthly usage cap"),
    }
    message = _("Post it yourself on X in two clicks (copy the text, then open X): %(reason)s.")
    return _end(
        run,
        Status.MANUAL,
        code=code,
        message=message,
        params={"reason": reasons.get(code, reasons["x_budget"])},
        kind="share_manual",
    )


def _needs_reconnect(
    run: _Run, *, code: str, attempt: ShareAttempt | None = None, error: ProviderError | None = None
) -> str:
    """``needs_action`` / ``reconnect``: the one-click fix is reconnecting the account. The connections service tells
    the member about the account; a member with no account at all is told here."""
    message = _("Reconnect your %(network)s account: this share goes out once it is connected again.")
    return _end(
        run,
        Status.NEEDS_ACTION,
        code=code or "reconnect",
        message=message,
        action=Action.RECONNECT,
        attempt=attempt,
        outcome=Outcome.RECONNECT,
        error=error,
        kind="share_reconnect" if run.connection is None else "",
    )


def _shares_path(share: Share, action: str) -> str:
    if action == Action.RECONNECT:
        return connections_path(share.membership, share.network)
    try:
        return reverse("shares", args=[share.organization.slug])
    except NoReverseMatch:
        return connections_path(share.membership, share.network)


def _end(
    run: _Run,
    status: str,
    *,
    code: str,
    message: Promise | str,
    params: dict[str, Any] | None = None,
    action: str = "",
    attempt: ShareAttempt | None = None,
    outcome: str = "",
    error: ProviderError | None = None,
    kind: str = "",
    extra: dict[str, Any] | None = None,
) -> str:
    """Leave ``publishing`` for a state the member sees (``failed``, ``needs_action``, ``manual``, ``cancelled``),
    with the reason kept to be worded in each reader's language; then tell them. The notice comes after the commit
    and its failure changes nothing (R8)."""
    share = run.share
    values = {"network": run.network, **(params or {})}
    stored, stored_values = _stored_reason(message, values, language=share.membership.reading_language())
    with transaction.atomic():
        if attempt is not None:
            _close(attempt, outcome, error=error)
        moved = _claimed(run).update(
            status=status,
            claimed_at=None,
            action_required=action,
            last_error_code=code[:64],
            last_error=stored,
            last_error_params=stored_values,
            updated_at=timezone.now(),
            **(extra or {}),
        )
        if not moved:
            return SKIPPED
        audit_log(
            organization=share.organization,
            actor=None,
            action=f"share.{status}",
            target=share,
            data={"network": share.network, "code": code[:64], "action_required": action},
        )
    if kind:
        _tell_member(share, kind=kind, message=message, values=values, action=action)
    return status


def _stored_reason(message: Promise | str, values: dict[str, Any], *, language: str) -> tuple[str, dict[str, Any]]:
    """A Relais message as its source text and values, so each reader sees it in their own language; a reason worded
    elsewhere (already a plain text), worded once in the member's language as it stands."""
    if isinstance(message, Promise):
        with translation.override(None):
            return str(message), {
                key: str(value) if isinstance(value, Promise) else value for key, value in values.items()
            }
    with translation.override(language):
        return str(message) % values, {}


def _tell_member(share: Share, *, kind: str, message: Promise | str, values: dict[str, Any], action: str) -> None:
    try:
        notify_member(
            membership=share.membership,
            kind=kind,
            message=format_lazy("{} {}", _("Your share of “%(title)s” on %(network)s:"), message),
            params={**values, "title": share.post.title},
            url=_shares_path(share, action),
            email_subject=None if kind == "share_cancelled" else _("Your share of “%(title)s” needs you"),
        )
    except Exception:  # noqa: BLE001 - the share's state is stored; a failed notice must not re-run the publish (R8)
        logger.exception("share %s: could not notify the member", share.pk)
