"""Connected accounts: the OAuth connect flow, token refresh as a single flight, reconnection notices and disconnect
(security-and-reliability.md §2, provider-contracts.md §1.1, §2.1).

Services are keyword-only and run inside the organisation's scope (the caller's entry point entered it). Tokens only
leave a connection through ``fresh_access_token``; nothing here logs, returns or audits one. The signals of
``ambassadors.signals`` are sent inside the transaction that changed the row.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_variables

from advocacy.errors import ServiceError
from advocacy.models import Membership, User
from advocacy.services import audit_log, save_or_refuse
from ambassadors.crypto import TokenDecryptionError
from ambassadors.models import Notification, SocialConnection
from ambassadors.notifications import notify_member
from ambassadors.providers import get_provider
from ambassadors.providers.base import (
    AuthorizationFailed,
    Identity,
    Provider,
    ProviderConfigError,
    ProviderError,
    ReconnectRequired,
    TokenSet,
)
from ambassadors.selectors import effective_expiry, refreshable
from ambassadors.signals import connection_disconnected, connection_needs_reconnect, connection_restored
from content.models import Network

logger = logging.getLogger("relais.connections")

SESSION_KEY = "oauth_pending"
# A consent page left open longer than this must start again; X codes live 30 s anyway.
PENDING_LIFETIME = 10 * 60
# Several tabs may connect at once, but the session never grows without bound.
MAX_PENDING = 5
# provider-contracts.md §2.1: refresh when less than this is left.
REFRESH_MARGIN = timedelta(minutes=5)
# Warn this long before an access that cannot be renewed ends (LinkedIn without programmatic refresh: day 53 of 60).
EXPIRY_WARNING = timedelta(days=7)
# The scope without which the connection is useless to us: publishing as the member.
PUBLISHING_SCOPES = {"linkedin": "w_member_social", "x": "tweet.write"}

Status = SocialConnection.Status
Reason = SocialConnection.ReconnectReason


def network_label(network: str) -> str:
    """ "LinkedIn", "X" or "Other networks (copy and open)", in the active language."""
    return str(dict(Network.choices).get(network, network))


def connections_path(membership: Membership, provider_name: str = "", next_path: str = "") -> str:
    """The member's connections page, anchored on one network's card when named; ``next_path`` is the page the
    network's answer brings the member back to."""
    path = reverse("connections", args=[membership.organization.slug])
    if next_path:
        path += "?" + urlencode({"next": next_path})
    return f"{path}#{provider_name}" if provider_name else path


def callback_uri(provider_name: str) -> str:
    """The one redirect URI registered with the network: outside /o/<org>/, since networks match it exactly."""
    return settings.RELAIS_SITE_URL.rstrip("/") + reverse("connection_oauth_callback", args=[provider_name])


def grants_metrics(provider_name: str, scopes: Iterable[str]) -> bool:
    """Whether a token granted ``scopes`` may read its member's post counters on ``provider_name``."""
    return not get_provider(provider_name).metrics_scopes.isdisjoint(scopes)


def provider_for(provider_name: str) -> Provider:
    if provider_name not in SocialConnection.Provider.values:
        raise ServiceError(_("Relais does not connect to this network."), code="unknown_network")
    return get_provider(provider_name)


# --- The connect flow --------------------------------------------------------------------------------------------


def _pending(session: SessionBase) -> dict[str, dict[str, Any]]:
    """The session's connect attempts still in time (expired ones dropped)."""
    now = time.time()
    stored = session.get(SESSION_KEY) or {}
    return {state: entry for state, entry in stored.items() if now - float(entry.get("created", 0)) < PENDING_LIFETIME}


def _pending_attempt(session: SessionBase, provider_name: str, state: str) -> dict[str, Any] | None:
    """The attempt ``state`` names on that network, still in time, without consuming it."""
    entry = _pending(session).get(state) if state else None
    return entry if entry is not None and entry.get("provider") == provider_name else None


def pending_return_path(*, session: SessionBase, provider_name: str, state: str) -> str | None:
    """Where the public callback sends the browser: the organisation's own callback of the attempt named by
    ``state``, or None when this session started no such attempt (the state is not consumed here)."""
    entry = _pending_attempt(session, provider_name, state)
    return str(entry["return_to"]) if entry is not None else None


def pending_next_path(*, session: SessionBase, provider_name: str, state: str) -> str:
    """The page the member started connecting from (the welcome tour, the composer), to go back to once the network
    answered; empty for the connections page itself or an unknown attempt."""
    entry = _pending_attempt(session, provider_name, state)
    return str(entry.get("next", "")) if entry is not None else ""


@sensitive_variables("verifier")
def connect_start(*, request: HttpRequest, membership: Membership, provider_name: str, next_path: str = "") -> str:
    """Begin connecting ``membership``'s account on ``provider_name``; returns the network's authorize URL.
    ``next_path`` (already checked to be a path of this site) is where the member goes back to afterwards.

    A random ``state`` (and a PKCE verifier where the network uses PKCE) is kept in the session for
    ``PENDING_LIFETIME``; only ``connect_complete`` for the same member consumes it, once.
    """
    provider = provider_for(provider_name)
    state = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64) if provider.uses_pkce else None
    pending = _pending(request.session)
    while len(pending) >= MAX_PENDING:
        del pending[min(pending, key=lambda key: float(pending[key]["created"]))]
    pending[state] = {
        "provider": provider_name,
        "verifier": verifier,
        "membership": membership.pk,
        "return_to": reverse("connection_callback", args=[membership.organization.slug, provider_name]),
        "next": next_path,
        "created": time.time(),
    }
    request.session[SESSION_KEY] = pending
    return provider.authorization_url(redirect_uri=callback_uri(provider_name), state=state, code_verifier=verifier)


def _take_pending(request: HttpRequest, *, membership: Membership, provider_name: str, state: str) -> dict[str, Any]:
    pending = _pending(request.session)
    entry = pending.pop(state, None) if state else None
    request.session[SESSION_KEY] = pending
    if entry is None or entry.get("provider") != provider_name or entry.get("membership") != membership.pk:
        raise ServiceError(
            _("This connection attempt is no longer valid. Start again from your connected accounts."),
            code="invalid_state",
        )
    return entry


@sensitive_variables("entry", "tokens", "code")
def _exchange(provider: Provider, provider_name: str, query: Mapping[str, str], entry: dict[str, Any]) -> TokenSet:
    network = network_label(provider_name)
    refusal = provider.parse_callback_error({key: query[key] for key in query})
    if refusal is not None:
        raise ServiceError(
            _("The connection to %(network)s was cancelled; nothing was changed.") % {"network": network},
            code="cancelled",
        )
    code = query.get("code", "")
    if not code:
        raise ServiceError(
            _("%(network)s sent no authorisation. Start again.") % {"network": network}, code="invalid_callback"
        )
    try:
        return provider.exchange_code(
            code=code, redirect_uri=callback_uri(provider_name), code_verifier=entry["verifier"]
        )
    except AuthorizationFailed as error:
        raise ServiceError(
            _("%(network)s refused the connection (it may have taken too long). Start again.") % {"network": network},
            code="exchange_refused",
        ) from error


def _identify(provider: Provider, provider_name: str, tokens: TokenSet) -> Identity:
    missing = PUBLISHING_SCOPES[provider_name]
    if tokens.scopes and missing not in tokens.scopes:
        raise ServiceError(
            _("You did not allow Relais to publish on %(network)s. Connect again and keep every permission asked.")
            % {"network": network_label(provider_name)},
            code="scope_missing",
        )
    return provider.identity(access_token=tokens.access_token)


@sensitive_variables("tokens", "entry")
def connect_complete(
    *, request: HttpRequest, membership: Membership, provider_name: str, query: Mapping[str, str]
) -> SocialConnection:
    """Finish connecting after the network's redirect: check the state, exchange the code (inside this request:
    X codes live 30 s), read the identity, check the publishing scope, and store the tokens sealed.

    Reconnecting the same account refreshes the member's live connection; another account replaces it (the old
    one is disconnected). Raises ``ServiceError`` with a message for the member; nothing is stored then.
    """
    provider = provider_for(provider_name)
    entry = _take_pending(request, membership=membership, provider_name=provider_name, state=query.get("state", ""))
    network = network_label(provider_name)
    try:
        tokens = _exchange(provider, provider_name, query, entry)
        identity = _identify(provider, provider_name, tokens)
    except ProviderConfigError as error:
        logger.error("%s connect refused for the app: %s", provider_name, error.code)
        raise ServiceError(
            _("%(network)s cannot be connected right now; the operators were told.") % {"network": network},
            code="unavailable",
        ) from error
    except ProviderError as error:
        raise ServiceError(
            _("%(network)s did not answer as expected. Try again in a moment.") % {"network": network},
            code="network_error",
        ) from error
    return _store_connection(membership=membership, provider_name=provider_name, tokens=tokens, identity=identity)


@sensitive_variables("tokens")
@transaction.atomic
def _store_connection(
    *, membership: Membership, provider_name: str, tokens: TokenSet, identity: Identity
) -> SocialConnection:
    live = (
        SocialConnection.objects.select_for_update()
        .filter(organization=membership.organization, membership=membership, provider=provider_name)
        .exclude(status=Status.DISCONNECTED)
        .first()
    )
    if live is not None and live.provider_uid != identity.uid:
        _disconnect_row(live, by=membership.user, reason="replaced")
        live = None
    connection = live or SocialConnection(
        organization=membership.organization, membership=membership, provider=provider_name, provider_uid=identity.uid
    )
    reconnected = live is not None
    now = timezone.now()
    connection.display_name = identity.name[:200]
    connection.username = identity.username[:100]
    connection.scopes = list(tokens.scopes)
    connection.metrics_granted = grants_metrics(provider_name, tokens.scopes)
    connection.set_tokens(access_token=tokens.access_token, refresh_token=tokens.refresh_token or "")
    connection.access_expires_at = tokens.expires_at
    connection.refresh_expires_at = tokens.refresh_expires_at
    connection.status = Status.ACTIVE
    connection.connected_at = now
    connection.last_refreshed_at = None
    connection.last_error_code = ""
    connection.last_error_at = None
    connection.reconnect_notified_at = None
    connection.expiry_warned_at = None
    save_or_refuse(
        connection,
        refusal=ServiceError(_("This account is being connected in another tab; try again."), code="conflict"),
    )
    Notification.objects.filter(
        organization=membership.organization,
        membership=membership,
        kind__in=("reconnect", "expiry_warning"),
        url=connections_path(membership, provider_name),
        read_at__isnull=True,
    ).update(read_at=now)
    audit_log(
        organization=membership.organization,
        actor=membership.user,
        action="connection.reconnected" if reconnected else "connection.connected",
        target=connection,
        data={"provider": provider_name},
    )
    connection_restored.send(sender=SocialConnection, connection=connection)
    return connection


# --- Tokens for the workers ----------------------------------------------------------------------------------------


def _needs_refresh(connection: SocialConnection, now: datetime) -> bool:
    expires = connection.access_expires_at
    return expires is not None and expires - now < REFRESH_MARGIN


def _adopt(target: SocialConnection, source: SocialConnection) -> None:
    """Copy the token state of the locked row onto the caller's instance."""
    for name in (
        "access_token_sealed",
        "refresh_token_sealed",
        "token_version",
        "access_expires_at",
        "refresh_expires_at",
        "last_refreshed_at",
        "status",
        "scopes",
        "metrics_granted",
    ):
        setattr(target, name, getattr(source, name))


@sensitive_variables("token")
def _stored_access_token(connection: SocialConnection) -> str:
    try:
        token = connection.access_token()
    except TokenDecryptionError as error:
        connection_mark_needs_reconnect(connection=connection, code="decryption_failed")
        raise ReconnectRequired("decryption_failed", "The stored token cannot be decrypted.") from error
    if not token:
        raise ReconnectRequired("no_token", "The connection holds no token.")
    return token


def _assert_usable(connection: SocialConnection) -> None:
    if connection.status != Status.ACTIVE:
        raise ReconnectRequired(connection.last_error_code or connection.status, "The connection is not usable.")


@sensitive_variables("outcome")
def fresh_access_token(*, connection: SocialConnection, force_refresh: bool = False) -> str:
    """A usable access token of ``connection``, refreshed first when it expires within 5 minutes or when
    ``force_refresh`` (after a 401) and the network can refresh. Call it outside any transaction: a refusal marks
    the connection in its own.

    Single flight: the refresh runs under a row lock and is skipped when ``token_version`` moved since the caller's
    copy was read (another worker refreshed: its token is used, no network call). The new access token and any new
    refresh token are stored in the same transaction; a response without a refresh token keeps the old one.

    Raises ``ReconnectRequired`` (after marking the connection and telling the member) when the account is not
    usable, the refresh is refused, the stored tokens cannot be decrypted, or the access expired with no way to
    renew it. Transient network errors propagate unchanged. ``connection`` is updated in place.
    """
    _assert_usable(connection)
    if not force_refresh and not _needs_refresh(connection, timezone.now()):
        return _stored_access_token(connection)
    seen_version = connection.token_version
    refused: ReconnectRequired | None = None
    with transaction.atomic():
        # The lock makes concurrent refreshes queue here; the first one rotates, the others see a new version.
        row = SocialConnection.objects.select_for_update().get(pk=connection.pk, organization=connection.organization)
        _adopt(connection, row)
        if row.status == Status.ACTIVE and row.token_version == seen_version:
            outcome = _refresh_locked(row, force_refresh=force_refresh)
            if isinstance(outcome, TokenSet):
                _adopt(connection, row)
                return outcome.access_token
            refused = outcome
    # Outside the transaction, so that marking the connection commits even though we raise.
    _assert_usable(connection)
    if refused is None:
        return _stored_access_token(connection)
    return _after_refusal(connection, refused, seen_version=seen_version)


@sensitive_variables("tokens", "refresh_token")
def _refresh_locked(row: SocialConnection, *, force_refresh: bool) -> TokenSet | ReconnectRequired | None:
    """Refresh the locked ``row`` and store the new tokens; or why it is unusable (raised by the caller once out of
    the transaction), or None when its token is still usable as it is."""
    provider = get_provider(row.provider)
    if not (provider.can_refresh and row.refresh_token_sealed):
        return _without_refresh(row, now=timezone.now(), force_refresh=force_refresh)
    try:
        refresh_token = row.refresh_token()
    except TokenDecryptionError:
        return ReconnectRequired("decryption_failed", "The stored token cannot be decrypted.")
    try:
        tokens = provider.refresh(refresh_token=refresh_token)
    except ReconnectRequired as error:
        return error
    _store_refreshed(row, tokens)
    return tokens


def _without_refresh(row: SocialConnection, *, now: datetime, force_refresh: bool) -> ReconnectRequired | None:
    """Why a token the network cannot refresh is unusable (a 401 on it, or expiry), or None if it still is."""
    if force_refresh:
        return ReconnectRequired("token_rejected", "The network refused the token and it cannot be refreshed.")
    if row.access_expires_at is not None and row.access_expires_at <= now:
        return ReconnectRequired("expired", "The access expired and the network gives no refresh.")
    return None


@sensitive_variables("tokens")
def _store_refreshed(row: SocialConnection, tokens: TokenSet) -> None:
    row.set_tokens(access_token=tokens.access_token, refresh_token=tokens.refresh_token)
    row.access_expires_at = tokens.expires_at
    if tokens.refresh_expires_at is not None:
        row.refresh_expires_at = tokens.refresh_expires_at
    if tokens.scopes:
        row.scopes = list(tokens.scopes)
        row.metrics_granted = grants_metrics(row.provider, tokens.scopes)
    row.last_refreshed_at = timezone.now()
    row.save(
        update_fields=[
            "access_token_sealed",
            "refresh_token_sealed",
            "token_version",
            "access_expires_at",
            "refresh_expires_at",
            "scopes",
            "metrics_granted",
            "last_refreshed_at",
        ]
    )


def _after_refusal(connection: SocialConnection, refused: ReconnectRequired, *, seen_version: int) -> str:
    # A sibling may have rotated the pair between our read and our call (a refresh token is spent on first use,
    # cloudflare #15136): its token is good, and the refusal only concerned the spent one we held.
    latest = SocialConnection.objects.filter(pk=connection.pk, organization=connection.organization).first()
    if latest is not None and latest.token_version != seen_version:
        _adopt(connection, latest)
        _assert_usable(latest)
        return _stored_access_token(latest)
    code = refused.code if refused.code in Reason.values else Reason.REFRESH_REFUSED
    connection_mark_needs_reconnect(connection=connection, code=code)
    raise refused


def connections_check_readable(*, connections: list[SocialConnection]) -> None:
    """Mark the live connections whose tokens no configured key can decrypt (a key lost or rotated away), so the
    member is told and the page says so now rather than a publish failing later. Makes no network call."""
    for connection in connections:
        if connection.status != Status.ACTIVE:
            continue
        try:
            connection.access_token()
            connection.refresh_token()
        except TokenDecryptionError:
            connection_mark_needs_reconnect(connection=connection, code="decryption_failed")


# --- Reconnection notices -------------------------------------------------------------------------------------------


@transaction.atomic
def connection_mark_needs_reconnect(*, connection: SocialConnection, code: str) -> None:
    """Mark ``connection`` unusable until the member reconnects it, and tell them once per episode (e-mail and
    in-app, in their language, with a link to their connections page). Safe to call repeatedly: the member is
    told again only after a reconnect, and ``connection_needs_reconnect`` is sent on the transition only. A code
    with no reason of its own in ``SocialConnection.ReconnectReason`` is stored as ``token_rejected``."""
    now = timezone.now()
    code = code if code in Reason.values else Reason.TOKEN_REJECTED
    rows = SocialConnection.objects.filter(pk=connection.pk, organization=connection.organization)
    became = rows.filter(status=Status.ACTIVE).update(
        status=Status.NEEDS_RECONNECT, last_error_code=code[:64], last_error_at=now
    )
    if not became:
        rows.filter(status=Status.NEEDS_RECONNECT).update(last_error_code=code[:64], last_error_at=now)
    told = rows.filter(reconnect_notified_at__isnull=True).exclude(status=Status.DISCONNECTED)
    first_notice = told.update(reconnect_notified_at=now)
    connection.refresh_from_db(
        fields=["status", "last_error_code", "last_error_at", "reconnect_notified_at", "expiry_warned_at"]
    )
    if became:
        logger.info("connection %s needs reconnecting (%s)", connection.pk, code)
        connection_needs_reconnect.send(sender=SocialConnection, connection=connection)
    if first_notice:
        membership = Membership.objects.select_related("user", "organization").get(pk=connection.membership_id)
        notify_member(
            membership=membership,
            kind="reconnect",
            message=gettext_lazy(
                "Your %(network)s account needs reconnecting: %(reason)s. Shares waiting for it will go out once "
                "you reconnect it, in one click."
            ),
            params={
                "network": network_label(connection.provider),
                "reason": Reason(code).label,
            },
            url=connections_path(membership, connection.provider),
            email_subject=gettext_lazy("Reconnect your %(network)s account"),
        )


@transaction.atomic
def connection_warn_expiry(*, connection: SocialConnection) -> bool:
    """Tell the member, once per connection, that its access ends soon and on which date (e-mail and in-app).
    Returns whether they were told now."""
    expires = effective_expiry(connection, refreshable=refreshable(connection))
    if expires is None or connection.status != Status.ACTIVE:
        return False
    claimed = (
        SocialConnection.objects.filter(
            pk=connection.pk, organization=connection.organization, expiry_warned_at__isnull=True
        ).update(expiry_warned_at=timezone.now())
        == 1
    )
    if not claimed:
        return False
    membership = Membership.objects.select_related("user", "organization").get(pk=connection.membership_id)
    with timezone.override(membership.organization.time_zone), translation.override(membership.reading_language()):
        date = formats.date_format(timezone.localtime(expires), "DATE_FORMAT")
    notify_member(
        membership=membership,
        kind="expiry_warning",
        message=gettext_lazy(
            "Your %(network)s connection ends on %(date)s. Reconnect it before then, in one click, so your shares "
            "keep going out."
        ),
        params={"network": network_label(connection.provider), "date": date},
        url=connections_path(membership, connection.provider),
        email_subject=gettext_lazy("Your %(network)s connection ends on %(date)s"),
    )
    return True


# --- Disconnect -----------------------------------------------------------------------------------------------------


@sensitive_variables("tokens")
def _revoke_quietly(connection: SocialConnection) -> None:
    """Revoke the tokens at the network, best effort: the member's wish to disconnect never waits on the network."""
    try:
        tokens = [token for token in (connection.refresh_token(), connection.access_token()) if token]
    except TokenDecryptionError:
        return
    provider = get_provider(connection.provider)
    for token in tokens:
        try:
            provider.revoke(token=token)
        except Exception as error:  # noqa: BLE001 - any failure of the network must not stop the disconnect
            logger.warning("%s revoke failed for connection %s: %s", connection.provider, connection.pk, type(error))


def _disconnect_row(row: SocialConnection, *, by: User | None, reason: str) -> None:
    row.clear_tokens()
    row.status = Status.DISCONNECTED
    row.save(update_fields=["access_token_sealed", "refresh_token_sealed", "token_version", "status"])
    audit_log(
        organization=row.organization,
        actor=by,
        action="connection.disconnected",
        target=row,
        data={"provider": row.provider, "reason": reason},
    )
    connection_disconnected.send(sender=SocialConnection, connection=row)


def connection_disconnect(*, connection: SocialConnection, by: User | None) -> None:
    """Disconnect: revoke at the network (best effort), delete the sealed tokens, status ``disconnected``."""
    if connection.status == Status.DISCONNECTED:
        raise ServiceError(_("This account is already disconnected."), code="already_disconnected")
    _revoke_quietly(connection)
    with transaction.atomic():
        row = SocialConnection.objects.select_for_update().get(pk=connection.pk, organization=connection.organization)
        if row.status != Status.DISCONNECTED:
            _disconnect_row(row, by=by, reason="member")
    connection.refresh_from_db()
