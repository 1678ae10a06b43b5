"""The interface every network client implements, the outcomes of provider-contracts.md as exceptions, and the
HTTP session they share (timeouts, and logs that never carry a token).

Outcomes (provider-contracts.md, top): a method returns on ``ok``; otherwise it raises exactly one of the
``ProviderError`` subclasses below, and ``ProviderError.outcome`` names the contract's outcome. Callers decide what
to do from the class alone, never from HTTP statuses.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar, Protocol
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.utils import timezone
from urllib3.exceptions import NewConnectionError

logger = logging.getLogger("relais.providers")


# --- Results -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenSet:
    """What a token endpoint answered. ``refresh_token`` is None when the network gave none (LinkedIn without
    programmatic refresh) or kept the old one (the caller then keeps what it has)."""

    access_token: str = field(repr=False)
    expires_at: datetime | None
    refresh_token: str | None = field(default=None, repr=False)
    refresh_expires_at: datetime | None = None
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Identity:
    """The member on the network. ``uid`` is stable (LinkedIn ``sub``, X user id); ``username`` may change."""

    uid: str
    name: str
    username: str = ""


@dataclass(frozen=True)
class Published:
    external_id: str
    url: str


@dataclass(frozen=True)
class MetricsReading:
    """One post's counters. None means the network does not give that number (never invent a zero)."""

    external_id: str
    likes: int | None = None
    comments: int | None = None
    reshares: int | None = None
    impressions: int | None = None
    reach: int | None = None
    deleted: bool = False


@dataclass(frozen=True)
class ShareRequest:
    """What to publish: ``text`` goes out exactly as given (the client only escapes what the network's format
    requires); ``link`` adds a link card where the network has one."""

    author_uid: str
    text: str
    link: str = ""
    link_title: str = ""
    link_description: str = ""
    image: bytes | None = field(default=None, repr=False)
    image_alt: str = ""


# --- Outcomes ------------------------------------------------------------------------------------------------------


class ProviderError(Exception):
    """Base of every failure of a network call. ``code`` is short and stable (stored on attempts); ``detail`` is
    the network's own reason, shown to the member; ``status`` the HTTP status when there was one."""

    outcome: ClassVar[str] = "error"

    def __init__(self, code: str, detail: str = "", *, status: int | None = None) -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail
        self.status = status


class Transient(ProviderError):
    """``retry``: nothing happened (connection refused before sending, 5xx on a read); back off and try again."""

    outcome = "retry"


class RateLimited(ProviderError):
    """``wait``: nothing for this account (or app) before ``reset_at``; costs no attempt."""

    outcome = "wait"

    def __init__(self, code: str, detail: str = "", *, reset_at: datetime, status: int | None = 429) -> None:
        super().__init__(code, detail, status=status)
        self.reset_at = reset_at


class AuthExpired(ProviderError):
    """A 401 that a token refresh may cure (expired or invalid access token): refresh once and resend once."""

    outcome = "refresh"


class ReconnectRequired(ProviderError):
    """``reconnect``: the member must connect the account again (revoked, refresh refused, a scope missing)."""

    outcome = "reconnect"


class Rejected(ProviderError):
    """``reject``: the network refused the content; ``detail`` says why. ``duplicate`` marks a duplicate-content
    refusal, with ``duplicate_of`` the earlier post's id when the network names it (LinkedIn)."""

    outcome = "reject"

    def __init__(
        self,
        code: str,
        detail: str = "",
        *,
        status: int | None = None,
        duplicate: bool = False,
        duplicate_of: str | None = None,
    ) -> None:
        super().__init__(code, detail, status=status)
        self.duplicate = duplicate
        self.duplicate_of = duplicate_of


class OutcomeUnknown(ProviderError):
    """``unknown``: the request was sent and may have landed (timeout, reset or 5xx after the body): reconcile,
    never resend blindly."""

    outcome = "unknown"


class ProviderConfigError(ProviderError):
    """``config``: an app-level fault (bad client secret, retired API version, no credits, usage cap). Alert the
    operators and pause the network (``kind``: ``client``, ``client_forbidden``, ``version``, ``credits``,
    ``usage_cap``)."""

    outcome = "config"

    def __init__(self, code: str, detail: str = "", *, kind: str, status: int | None = None) -> None:
        super().__init__(code, detail, status=status)
        self.kind = kind


class AuthorizationFailed(ProviderError):
    """The connect flow must restart: the member cancelled, or the code was refused (expired, reused, bad PKCE
    verifier, redirect mismatch)."""

    outcome = "restart"


# --- The interface -------------------------------------------------------------------------------------------------


class Provider(Protocol):
    """A network client. Every method raises a ``ProviderError`` subclass on anything but success."""

    name: str
    uses_pkce: bool
    # How many posts one metrics call may read (X: 100).
    metrics_batch_size: int
    # Whether the app may refresh tokens (X: always with offline.access; LinkedIn: only partner apps).
    can_refresh: bool
    # A token granted any one of these scopes can read its member's post counters.
    metrics_scopes: frozenset[str]

    def authorization_url(self, *, redirect_uri: str, state: str, code_verifier: str | None) -> str: ...

    def parse_callback_error(self, query: Mapping[str, str]) -> AuthorizationFailed | None:
        """The member's refusal (or the network's error) carried by the OAuth callback's query, if any."""
        ...

    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str | None) -> TokenSet: ...

    def refresh(self, *, refresh_token: str) -> TokenSet: ...

    def revoke(self, *, token: str) -> None: ...

    def identity(self, *, access_token: str) -> Identity: ...

    def publish(self, *, access_token: str, share: ShareRequest) -> Published: ...

    def delete(self, *, access_token: str, external_id: str) -> None: ...

    def find_recent(self, *, access_token: str, author_uid: str, text: str) -> Published | None:
        """The author's recent post with exactly ``text``, if the network lets us list them (X); else None."""
        ...

    def metrics(self, *, access_token: str, external_ids: Sequence[str]) -> list[MetricsReading]:
        """One reading per id (``deleted`` for posts gone), in as few calls as the network allows."""
        ...

    def intent_url(self, *, text: str, link: str) -> str:
        """The copy-and-open URL (free, no API): the member posts it themselves."""
        ...

    def post_url(self, external_id: str) -> str:
        """The post's page on the network's site, for "See it on the network": built on the client's web base URL, so
        a sandbox post leads to the sandbox's own page of it."""
        ...


# --- HTTP ----------------------------------------------------------------------------------------------------------


def timeouts() -> tuple[float, float]:
    """(connect, read) seconds: 5 and 30 by default (provider-contracts.md §3); tests shorten them."""
    return (
        float(getattr(settings, "RELAIS_PROVIDER_CONNECT_TIMEOUT", 5.0)),
        float(getattr(settings, "RELAIS_PROVIDER_READ_TIMEOUT", 30.0)),
    )


class ProviderSession(requests.Session):
    """A ``requests`` session with the contract's timeouts that logs every call as method, URL (no query string:
    codes travel there) and status, and never a header or a body: tokens live in both."""

    def __init__(self, network: str) -> None:
        super().__init__()
        self.network = network

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", timeouts())
        kwargs.setdefault("allow_redirects", False)
        shown = str(url).split("?", 1)[0]
        try:
            response = super().request(method, url, *args, **kwargs)
        except requests.RequestException as error:
            logger.info("%s %s %s failed: %s", self.network, method, shown, type(error).__name__)
            raise
        logger.info("%s %s %s -> %s", self.network, method, shown, response.status_code)
        return response


def allow_sandbox_http(url: str) -> None:
    """Let oauthlib accept ``url`` when it is a plain-HTTP sandbox fake. oauthlib refuses http:// unless its
    process-wide switch is on; only the local fakes are served that way, and a deploy check refuses the sandbox in
    production. Set once and left on: switching it off again would race with another thread's OAuth call."""
    if settings.RELAIS_SANDBOX_NETWORKS and urlsplit(url).scheme == "http":
        os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")


def sent_body(error: requests.RequestException) -> bool:
    """Whether the request may have reached the network before ``error``. Only a failure to open the connection
    (refused, unreachable, connect timeout) proves it did not: then a write is ``retry``, otherwise ``unknown``."""
    if isinstance(error, requests.ConnectTimeout):
        return False
    if isinstance(error, requests.ConnectionError) and error.args:
        reason = getattr(error.args[0], "reason", None)
        return not isinstance(reason, NewConnectionError)
    return True


def no_answer(error: requests.RequestException, *, write: bool, code: str) -> ProviderError:
    """The outcome of a call that got no answer: ``unknown`` for a write that may have been sent, else ``retry``
    under ``code``."""
    if write and sent_body(error):
        return OutcomeUnknown("no_answer", type(error).__name__)
    return Transient(code, type(error).__name__)


def server_error(status: int, detail: str, *, write: bool) -> ProviderError:
    """A 5xx: a write may have landed before it (``unknown``); anything else is ``retry``."""
    failure = OutcomeUnknown if write else Transient
    return failure("server_error", detail, status=status)


def callback_error(query: Mapping[str, str], *, default_detail: str = "") -> AuthorizationFailed | None:
    """The refusal the network put on the OAuth callback (``?error=…``), or None when it carries no error."""
    error = query.get("error")
    if not error:
        return None
    return AuthorizationFailed(error, query.get("error_description", "") or default_detail)


def in_seconds(value: Any) -> datetime | None:
    """The moment ``value`` seconds from now (a token answer's ``expires_in``), or None when there is none."""
    return timezone.now() + timedelta(seconds=int(value)) if value is not None else None


def problem(response: requests.Response) -> Mapping[str, Any]:
    """The JSON error body, or an empty mapping when there is none or it is not JSON."""
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
