"""The LinkedIn client (provider-contracts.md §1): OAuth without PKCE, userinfo, the Posts and Images APIs, and the
two ways of reading a post's counters. Every HTTP result maps to one outcome exception of ``providers.base``.

The token calls are plain form POSTs through ``ProviderSession`` rather than ``OAuth2Session.fetch_token``: that one
would bypass our session's timeouts and log policy, and raises its own errors where the contract needs ours.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import requests
from django.conf import settings
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables
from requests_oauthlib import OAuth2Session

from ambassadors.providers.base import (
    AuthExpired,
    AuthorizationFailed,
    Identity,
    MetricsReading,
    OutcomeUnknown,
    ProviderConfigError,
    ProviderSession,
    Published,
    RateLimited,
    ReconnectRequired,
    Rejected,
    ShareRequest,
    TokenSet,
    Transient,
    allow_sandbox_http,
    callback_error,
    in_seconds,
    no_answer,
    problem,
    server_error,
)

SCOPES = ("openid", "profile", "email", "w_member_social")
WRITE_SCOPE = "w_member_social"
# Member Post Analytics: asked for only when the app is approved for it (an unapproved scope fails the consent).
ANALYTICS_SCOPE = "r_member_postAnalytics"
RESERVED = frozenset("\\|{}@[]()<>#*_~")
# A URL in the commentary: no backslash (never valid in a URL, and one right after a URL starts an escape) and no
# trailing sentence punctuation, so "(see https://example.com/a)" keeps its closing parenthesis outside.
URL = re.compile(r"https?://[^\s\\]+?(?=[.,;:!?)\]}>'\"]*(?:[\s\\]|$))")
DUPLICATE_OF = re.compile(r"urn:li:(?:share|ugcPost):\d+")
# LinkedIn prefixes some messages with the Java exception that carried them
# ("com.linkedin.content.common.exception.BadRequestResponseException: Content is a duplicate of …").
EXCEPTION_PREFIX = re.compile(r"^(?:[a-z]\w*\.)+\w*Exception:\s*")
ANALYTICS_METRICS = ("IMPRESSION", "MEMBERS_REACHED", "REACTION", "COMMENT", "RESHARE")
REVOKED, EXPIRED = 65601, 65602


def escape_commentary(text: str) -> str:
    """``text`` in LinkedIn's "little" format: every reserved character backslash-escaped, except inside URLs.

    Escaping inside URLs is unconfirmed (provider-contracts.md §1.5). We leave URLs as they are: a backslash inside a
    URL that LinkedIn shows verbatim would break the link for every reader, while an unescaped character LinkedIn
    did parse would only cut the text short, which the fake can reproduce (``literal_urls``) and tests can catch.
    """
    parts: list[str] = []
    position = 0
    for url in URL.finditer(text):
        parts.append(_escape(text[position : url.start()]))
        parts.append(url.group())
        position = url.end()
    parts.append(_escape(text[position:]))
    return "".join(parts)


def _escape(text: str) -> str:
    return "".join(f"\\{char}" if char in RESERVED else char for char in text)


def next_utc_midnight() -> datetime:
    today = timezone.now().astimezone(UTC).date()
    return datetime.combine(today + timedelta(days=1), datetime.min.time(), tzinfo=UTC)


class _MetricsDenied(Exception):
    """A 403 on a metrics read: the app lacks that permission (not an error, the numbers are "not available")."""


class _PostGone(Exception):
    """A 404 on a metrics read: the member deleted the post."""


class LinkedInProvider:
    """``Provider`` for LinkedIn. Build it with ``from_settings()``; the instance holds no member state."""

    name = "linkedin"
    uses_pkce = False
    # Analytics, or the restricted social actions (provider-contracts.md §1.4).
    metrics_scopes = frozenset({ANALYTICS_SCOPE, "r_member_social"})
    # Reads are per post (five analytics calls each): a small batch keeps one task short.
    metrics_batch_size = 20
    # Image processing is asynchronous: poll its status this often, this many times, before giving up.
    image_poll_interval = 1.0
    image_poll_attempts = 15

    def __init__(
        self,
        *,
        auth_url: str,
        api_url: str,
        client_id: str,
        client_secret: str,
        version: str,
        can_refresh: bool,
        post_analytics: bool,
    ) -> None:
        self.auth_url = auth_url.rstrip("/")
        self.api_url = api_url.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.version = version
        self.can_refresh = can_refresh
        self.scopes = (*SCOPES, ANALYTICS_SCOPE) if post_analytics else SCOPES
        self.http = ProviderSession(self.name)

    @classmethod
    def from_settings(cls) -> LinkedInProvider:
        return cls(
            auth_url=settings.RELAIS_LINKEDIN_AUTH_URL,
            api_url=settings.RELAIS_LINKEDIN_API_URL,
            client_id=settings.RELAIS_LINKEDIN_CLIENT_ID,
            client_secret=settings.RELAIS_LINKEDIN_CLIENT_SECRET,
            version=settings.RELAIS_LINKEDIN_VERSION,
            can_refresh=settings.RELAIS_LINKEDIN_REFRESH,
            post_analytics=settings.RELAIS_LINKEDIN_POST_ANALYTICS,
        )

    # --- OAuth ---------------------------------------------------------------------------------------------------

    def authorization_url(self, *, redirect_uri: str, state: str, code_verifier: str | None = None) -> str:
        """The consent URL. LinkedIn web apps take no PKCE, so ``code_verifier`` is ignored."""
        endpoint = f"{self.auth_url}/oauth/v2/authorization"
        allow_sandbox_http(endpoint)
        oauth = OAuth2Session(self.client_id, redirect_uri=redirect_uri, scope=list(self.scopes))
        url, _ = oauth.authorization_url(endpoint, state=state)
        return str(url)

    def parse_callback_error(self, query: Mapping[str, str]) -> AuthorizationFailed | None:
        """The callback's refusal (``user_cancelled_login``, ``user_cancelled_authorize``, …) as the error to show,
        or None when the callback carries no error."""
        return callback_error(query)

    @sensitive_variables("code", "data")
    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str | None = None) -> TokenSet:
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }
        return self._token_call(data, refresh=False)

    @sensitive_variables("refresh_token", "data")
    def refresh(self, *, refresh_token: str) -> TokenSet:
        """A new 60-day access token. LinkedIn keeps the refresh token and its countdown (not reset by a refresh)."""
        data = {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }
        return self._token_call(data, refresh=True)

    def revoke(self, *, token: str) -> None:
        """LinkedIn has no endpoint for an app to revoke a member token: the member removes the app in their
        LinkedIn settings; disconnecting only forgets the token on our side."""

    @sensitive_variables("data", "response", "body")
    def _token_call(self, data: dict[str, str], *, refresh: bool) -> TokenSet:
        try:
            response = self.http.post(
                f"{self.auth_url}/oauth/v2/accessToken", data=data, headers={"Accept": "application/json"}
            )
        except requests.RequestException as error:
            raise Transient("network", type(error).__name__) from None
        body = problem(response)
        error_code = str(body.get("error") or "")
        detail = str(body.get("error_description") or "")
        if response.status_code >= 500:
            raise Transient("server_error", status=response.status_code)
        if response.status_code == 401 or error_code == "invalid_client":
            raise ProviderConfigError(
                error_code or "invalid_client", detail, kind="client", status=response.status_code
            )
        if response.status_code >= 400:
            # A refused refresh token (invalid_grant, or the app lost programmatic refresh) ends the connection; a
            # refused code only restarts the connect flow.
            failure = ReconnectRequired if refresh else AuthorizationFailed
            raise failure(error_code or "invalid_request", detail, status=response.status_code)
        return self._token_set(body)

    @sensitive_variables("body")
    def _token_set(self, body: Mapping[str, Any]) -> TokenSet:
        scopes = tuple(re.split(r"[,\s]+", str(body.get("scope") or "").strip()))
        if WRITE_SCOPE not in scopes:
            raise ReconnectRequired("scope_missing", f"LinkedIn did not grant {WRITE_SCOPE}.")
        return TokenSet(
            access_token=body["access_token"],
            expires_at=in_seconds(body.get("expires_in")),
            refresh_token=body.get("refresh_token") or None,
            refresh_expires_at=in_seconds(body.get("refresh_token_expires_in")),
            scopes=scopes,
        )

    # --- API calls -----------------------------------------------------------------------------------------------

    @sensitive_variables("access_token", "headers")
    def _call(
        self, method: str, url: str, *, access_token: str, rest: bool = True, write: bool = False, **kwargs: Any
    ) -> requests.Response:
        """One API call, answered 2xx or 404 (the callers decide what a missing post means); anything else raises
        its outcome. ``write``: the call may create something, so an answer lost after sending is ``unknown``."""
        headers = {"Authorization": f"Bearer {access_token}", **kwargs.pop("headers", {})}
        if rest:
            headers.update({"LinkedIn-Version": self.version, "X-Restli-Protocol-Version": "2.0.0"})
        try:
            response = self.http.request(method, url, headers=headers, **kwargs)
        except requests.RequestException as error:
            raise no_answer(error, write=write, code="network") from None
        if response.status_code < 400 or response.status_code == 404:
            return response
        raise self._failure(response, write=write)

    def _failure(self, response: requests.Response, *, write: bool) -> Exception:
        status = response.status_code
        body = problem(response)
        message = EXCEPTION_PREFIX.sub("", str(body.get("message") or ""))
        if status == 401:
            if body.get("serviceErrorCode") == REVOKED:
                return ReconnectRequired("revoked", message, status=status)
            return AuthExpired(
                "expired" if body.get("serviceErrorCode") == EXPIRED else "invalid_token", message, status=status
            )
        if status == 403:
            # LinkedIn words a missing permission "Not enough permissions to access: <resource>"; any other
            # refusal is about this content or author.
            if message.startswith("Not enough permissions"):
                return ReconnectRequired("scope_missing", message, status=status)
            return Rejected("forbidden", message, status=status)
        if status == 426:
            return ProviderConfigError("version", message, kind="version", status=status)
        if status == 429:
            return RateLimited("throttled", message, reset_at=next_utc_midnight())
        if status >= 500:
            return server_error(status, message, write=write)
        return self._rejection(status, body, message)

    @staticmethod
    def _rejection(status: int, body: Mapping[str, Any], message: str) -> Rejected:
        errors = (body.get("errorDetails") or {}).get("inputErrors") or []
        if any(isinstance(error, dict) and error.get("code") == "DUPLICATE_POST" for error in errors):
            earlier = DUPLICATE_OF.search(message)
            return Rejected(
                "duplicate", message, status=status, duplicate=True, duplicate_of=earlier.group() if earlier else None
            )
        return Rejected("invalid", message or f"LinkedIn refused the post (HTTP {status}).", status=status)

    @staticmethod
    def _urn_path(urn: str) -> str:
        return quote(urn, safe="")

    # --- identity ------------------------------------------------------------------------------------------------

    @sensitive_variables("access_token")
    def identity(self, *, access_token: str) -> Identity:
        response = self._call("GET", f"{self.api_url}/v2/userinfo", access_token=access_token, rest=False)
        body = problem(response)
        if response.status_code == 404 or not body.get("sub"):
            raise Transient("identity_missing", "LinkedIn answered no member.", status=response.status_code)
        return Identity(uid=str(body["sub"]), name=str(body.get("name") or ""))

    # --- publishing ----------------------------------------------------------------------------------------------

    @sensitive_variables("access_token")
    def publish(self, *, access_token: str, share: ShareRequest) -> Published:
        author = f"urn:li:person:{share.author_uid}"
        body: dict[str, Any] = {
            "author": author,
            "commentary": escape_commentary(share.text),
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        image = self._upload_image(access_token, author, share.image) if share.image else None
        if share.link:
            article = {"source": share.link, "title": share.link_title or share.link}
            if share.link_description:
                article["description"] = share.link_description
            if image:
                article["thumbnail"] = image
            body["content"] = {"article": article}
        elif image:
            body["content"] = {"media": {"id": image, "altText": share.image_alt}}
        response = self._call("POST", f"{self.api_url}/rest/posts", access_token=access_token, write=True, json=body)
        urn = response.headers.get("x-restli-id")
        if response.status_code != 201 or not urn:
            raise OutcomeUnknown("no_id", f"LinkedIn answered {response.status_code} without a post id.")
        return Published(external_id=urn, url=self.post_url(urn))

    @sensitive_variables("access_token")
    def _upload_image(self, access_token: str, author: str, image: bytes) -> str:
        """The image's URN once LinkedIn has processed it. These calls create nothing visible, so a lost answer is
        ``retry`` (``write`` stays off): the worst case is an orphan upload, never a second post."""
        response = self._call(
            "POST",
            f"{self.api_url}/rest/images",
            access_token=access_token,
            params={"action": "initializeUpload"},
            json={"initializeUploadRequest": {"owner": author}},
        )
        value = problem(response).get("value") or {}
        if response.status_code == 404 or not value.get("uploadUrl"):
            raise Transient("image_init", "LinkedIn gave no upload URL.", status=response.status_code)
        self._call(
            "PUT",
            value["uploadUrl"],
            access_token=access_token,
            rest=False,
            data=image,
            headers={"Content-Type": "application/octet-stream"},
        )
        urn = str(value["image"])
        for attempt in range(self.image_poll_attempts):
            if attempt:
                time.sleep(self.image_poll_interval)
            status = self._image_status(access_token, urn)
            if status == "AVAILABLE":
                return urn
            if status == "PROCESSING_FAILED":
                raise Rejected("image_failed", "LinkedIn could not process the image.")
        raise Transient("image_processing", "LinkedIn is still processing the image.")

    @sensitive_variables("access_token")
    def _image_status(self, access_token: str, urn: str) -> str:
        response = self._call("GET", f"{self.api_url}/rest/images/{self._urn_path(urn)}", access_token=access_token)
        return str(problem(response).get("status") or "")

    @sensitive_variables("access_token")
    def delete(self, *, access_token: str, external_id: str) -> None:
        """Delete the post; one already gone (404) counts as deleted."""
        self._call("DELETE", f"{self.api_url}/rest/posts/{self._urn_path(external_id)}", access_token=access_token)

    def find_recent(self, *, access_token: str, author_uid: str, text: str) -> Published | None:
        """Always None: listing a member's posts needs ``r_member_social``, which a plain "Share on LinkedIn" app
        does not get (provider-contracts.md §3). Reconciliation resends the identical commentary once instead, and
        a ``DUPLICATE_POST`` refusal names the first post."""
        return None

    # --- metrics -------------------------------------------------------------------------------------------------

    @sensitive_variables("access_token")
    def metrics(self, *, access_token: str, external_ids: Sequence[str]) -> list[MetricsReading]:
        """Analytics (``r_member_postAnalytics``) when the app has it, else social actions (``r_member_social``),
        else readings of None: "not available", never zero. A 403 tells which permission is missing, and stays
        true for the rest of the batch."""
        readers = [self._analytics, self._social_actions]
        readings = []
        for urn in external_ids:
            reading = MetricsReading(external_id=urn)
            while readers:
                try:
                    reading = readers[0](access_token, urn)
                    break
                except _MetricsDenied:
                    readers.pop(0)
                except _PostGone:
                    reading = MetricsReading(external_id=urn, deleted=True)
                    break
            readings.append(reading)
        return readings

    @sensitive_variables("access_token")
    def _metrics_get(self, access_token: str, url: str) -> Mapping[str, Any]:
        response = self._read_allowing_403(access_token, url)
        if response.status_code == 404:
            raise _PostGone
        return problem(response)

    @sensitive_variables("access_token")
    def _read_allowing_403(self, access_token: str, url: str) -> requests.Response:
        try:
            return self._call("GET", url, access_token=access_token)
        except ReconnectRequired as error:
            if error.code == "scope_missing":
                raise _MetricsDenied from None
            raise
        except Rejected as error:
            if error.status == 403:
                raise _MetricsDenied from None
            raise

    @sensitive_variables("access_token")
    def _analytics(self, access_token: str, urn: str) -> MetricsReading:
        kind = "ugc" if urn.startswith("urn:li:ugcPost:") else "share"
        counts: dict[str, int] = {}
        for metric in ANALYTICS_METRICS:
            # Rest.li wants the parentheses of the entity as they are and the URN inside percent-encoded.
            query = f"q=entity&entity=({kind}:{self._urn_path(urn)})&queryType={metric}&aggregation=TOTAL"
            body = self._metrics_get(access_token, f"{self.api_url}/rest/memberCreatorPostAnalytics?{query}")
            counts[metric] = sum(
                int(element.get("count") or 0)
                for element in body.get("elements") or []
                if _metric_type(element.get("metricType")) == metric
            )
        return MetricsReading(
            external_id=urn,
            impressions=counts["IMPRESSION"],
            reach=counts["MEMBERS_REACHED"],
            likes=counts["REACTION"],
            comments=counts["COMMENT"],
            reshares=counts["RESHARE"],
        )

    @sensitive_variables("access_token")
    def _social_actions(self, access_token: str, urn: str) -> MetricsReading:
        body = self._metrics_get(access_token, f"{self.api_url}/rest/socialActions/{self._urn_path(urn)}")
        likes = body.get("likesSummary") or {}
        comments = body.get("commentsSummary") or {}
        return MetricsReading(
            external_id=urn,
            likes=int(likes.get("aggregatedTotalLikes", likes.get("totalLikes")) or 0),
            comments=int(comments.get("aggregatedTotalComments", comments.get("totalFirstLevelComments")) or 0),
        )

    def post_url(self, external_id: str) -> str:
        """``/feed/update/{urn}/`` on LinkedIn's site (the consent's host: www.linkedin.com, or the sandbox)."""
        return f"{self.auth_url}/feed/update/{external_id}/"

    # --- copy and open -------------------------------------------------------------------------------------------

    def intent_url(self, *, text: str, link: str) -> str:
        """LinkedIn's share page takes only a URL (the member pastes the copied text); without a link, the feed
        composer with the text prefilled (undocumented, provider-contracts.md §1.6)."""
        if link:
            return f"https://www.linkedin.com/sharing/share-offsite/?url={quote(link, safe='')}"
        return f"https://www.linkedin.com/feed/?shareActive=true&text={quote(text, safe='')}"


def _metric_type(value: Any) -> str:
    """A metricType in either shape: a plain string since 202605, a one-key object before."""
    if isinstance(value, dict):
        return str(next(iter(value.values()), ""))
    return str(value or "")
