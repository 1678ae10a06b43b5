"""The X (API v2) client: OAuth 2.0 with PKCE, publishing, reconciliation and metrics (provider-contracts.md §2).

requests-oauthlib builds the authorization URL and oauthlib the token request bodies, but the token requests
themselves go through ``ProviderSession``: ``OAuth2Session.fetch_token`` logs request and response bodies, tokens
included, at DEBUG.
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import requests
from django.conf import settings
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables
from oauthlib.oauth2 import WebApplicationClient
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session

from ambassadors.providers.base import (
    AuthExpired,
    AuthorizationFailed,
    Identity,
    MetricsReading,
    ProviderConfigError,
    ProviderError,
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
from content.text import URL_RE, x_text_with_link

SCOPES = ("tweet.read", "tweet.write", "users.read", "offline.access", "media.write")
INTENT_URL = "https://x.com/intent/tweet"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
RECENT_POSTS = 5
# When X names no reset, its shortest rate window.
DEFAULT_WAIT = timedelta(minutes=15)


class XProvider:
    name = "x"
    uses_pkce = True
    can_refresh = True
    metrics_batch_size = 100
    metrics_scopes = frozenset({"tweet.read"})

    def __init__(self, *, auth_url: str, api_url: str, client_id: str, client_secret: str) -> None:
        self.auth_url = auth_url.rstrip("/")
        self.api_url = api_url.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.http = ProviderSession(self.name)

    @classmethod
    def from_settings(cls) -> XProvider:
        return cls(
            auth_url=settings.RELAIS_X_AUTH_URL,
            api_url=settings.RELAIS_X_API_URL,
            client_id=settings.RELAIS_X_CLIENT_ID,
            client_secret=settings.RELAIS_X_CLIENT_SECRET,
        )

    # --- OAuth ---------------------------------------------------------------------------------------------------

    @sensitive_variables("code_verifier")
    def authorization_url(self, *, redirect_uri: str, state: str, code_verifier: str | None) -> str:
        if not code_verifier:
            raise ValueError("X requires a PKCE code verifier.")
        client = WebApplicationClient(self.client_id)
        session = OAuth2Session(client=client, redirect_uri=redirect_uri, scope=list(SCOPES))
        url = f"{self.auth_url}/i/oauth2/authorize"
        challenge = client.create_code_challenge(code_verifier, "S256")
        allow_sandbox_http(url)
        authorization_url, _ = session.authorization_url(
            url, state=state, code_challenge=challenge, code_challenge_method="S256"
        )
        return str(authorization_url)

    @staticmethod
    def parse_callback_error(query: Mapping[str, str]) -> AuthorizationFailed | None:
        """The member's refusal (``?error=access_denied``) or any other error X put on the callback."""
        return callback_error(query, default_detail="The member did not authorize.")

    @sensitive_variables("code", "code_verifier", "body")
    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str | None) -> TokenSet:
        body = WebApplicationClient(self.client_id).prepare_request_body(
            code=code, redirect_uri=redirect_uri, code_verifier=code_verifier, include_client_id=True
        )
        return self._token_request(body, refreshing=False)

    @sensitive_variables("refresh_token", "body")
    def refresh(self, *, refresh_token: str) -> TokenSet:
        body = WebApplicationClient(self.client_id).prepare_refresh_body(
            refresh_token=refresh_token, client_id=self.client_id
        )
        return self._token_request(body, refreshing=True)

    @sensitive_variables("body", "data")
    def _token_request(self, body: str, *, refreshing: bool) -> TokenSet:
        response = self._send_token_endpoint("/2/oauth2/token", body)
        if response.status_code != 200:
            raise _token_error(response, refreshing=refreshing)
        data = response.json()
        return TokenSet(
            access_token=data["access_token"],
            expires_at=in_seconds(data.get("expires_in") or None),
            # X rotates on every refresh; an answer without one means the caller keeps what it has.
            refresh_token=data.get("refresh_token") or None,
            scopes=tuple(str(data.get("scope", "")).split()),
        )

    @sensitive_variables("token", "body")
    def revoke(self, *, token: str) -> None:
        body = urlencode({"token": token, "client_id": self.client_id})
        response = self._send_token_endpoint("/2/oauth2/revoke", body)
        if response.status_code != 200:
            raise _token_error(response, refreshing=True)

    @sensitive_variables("body")
    def _send_token_endpoint(self, path: str, body: str) -> requests.Response:
        auth = HTTPBasicAuth(self.client_id, self.client_secret)
        try:
            return self.http.post(f"{self.api_url}{path}", data=body, headers=FORM, auth=auth)
        except requests.RequestException as error:
            # Nothing to reconcile: a lost refresh answer is handled by the caller (try the stored token once).
            raise Transient("unreachable", type(error).__name__) from error

    # --- the API -------------------------------------------------------------------------------------------------

    @sensitive_variables("access_token", "kwargs")
    def _call(self, method: str, path: str, access_token: str, *, write: bool = False, **kwargs: Any) -> Any:
        """The JSON answer of one API call, or the outcome as an exception. ``write``: a POST that may change state,
        so a failure after sending is ``unknown`` rather than ``retry``."""
        headers = {"Authorization": f"Bearer {access_token}"}
        try:
            response = self.http.request(method, f"{self.api_url}{path}", headers=headers, **kwargs)
        except requests.RequestException as error:
            raise no_answer(error, write=write, code="unreachable") from error
        if response.status_code >= 400:
            raise api_error(response, write=write)
        return response.json()

    @sensitive_variables("access_token")
    def identity(self, *, access_token: str) -> Identity:
        data = self._call("GET", "/2/users/me", access_token)["data"]
        return Identity(uid=str(data["id"]), name=data.get("name", ""), username=data.get("username", ""))

    @sensitive_variables("access_token")
    def publish(self, *, access_token: str, share: ShareRequest) -> Published:
        body: dict[str, Any] = {"text": x_text_with_link(share.text, share.link)}
        if share.image is not None:
            body["media"] = {"media_ids": [self._upload(access_token, share.image)]}
        data = self._call("POST", "/2/tweets", access_token, write=True, json=body)["data"]
        return self._published(str(data["id"]))

    @sensitive_variables("access_token")
    def _upload(self, access_token: str, image: bytes) -> str:
        # Nothing is published by an upload: a lost answer only leaves an unused media id, so it is a plain retry.
        files = {"media": ("image", image, "application/octet-stream")}
        data = self._call("POST", "/2/media/upload", access_token, files=files, data={"media_category": "tweet_image"})
        return str(data["data"]["id"])

    @sensitive_variables("access_token")
    def delete(self, *, access_token: str, external_id: str) -> None:
        try:
            self._call("DELETE", f"/2/tweets/{external_id}", access_token)
        except Rejected as error:
            # Already gone is what we wanted; deleting is idempotent, hence no ``write`` above either.
            if error.status != 404:
                raise

    @sensitive_variables("access_token")
    def find_recent(self, *, access_token: str, author_uid: str, text: str) -> Published | None:
        answer = self._call("GET", f"/2/users/{author_uid}/tweets", access_token, params={"max_results": RECENT_POSTS})
        wanted = _comparable(text)
        for post in answer.get("data") or []:
            if _comparable(str(post.get("text", ""))) == wanted:
                return self._published(str(post["id"]))
        return None

    @sensitive_variables("access_token")
    def metrics(self, *, access_token: str, external_ids: Sequence[str]) -> list[MetricsReading]:
        ids = list(dict.fromkeys(external_ids))
        readings: dict[str, MetricsReading] = {}
        for start in range(0, len(ids), self.metrics_batch_size):
            batch = ids[start : start + self.metrics_batch_size]
            params = {"ids": ",".join(batch), "tweet.fields": "public_metrics,created_at"}
            answer = self._call("GET", "/2/tweets", access_token, params=params)
            for post in answer.get("data") or []:
                readings[str(post["id"])] = _reading(str(post["id"]), post.get("public_metrics") or {})
            for error in answer.get("errors") or []:
                missing = str(error.get("resource_id") or error.get("value") or "")
                if str(error.get("type", "")).endswith("/resource-not-found"):
                    readings[missing] = MetricsReading(external_id=missing, deleted=True)
        return [readings.get(external_id) or MetricsReading(external_id=external_id) for external_id in external_ids]

    def intent_url(self, *, text: str, link: str) -> str:
        params = {"text": text, "url": link} if link else {"text": text}
        return f"{INTENT_URL}?{urlencode(params, quote_via=quote)}"

    def post_url(self, external_id: str) -> str:
        """The permalink that needs no username (the client does not know it, and handles change), on X's site (the
        consent's host: x.com, or the sandbox)."""
        return f"{self.auth_url}/i/web/status/{external_id}"

    def _published(self, external_id: str) -> Published:
        return Published(external_id=external_id, url=self.post_url(external_id))


# --- Answers to outcomes (provider-contracts.md §2.1 and §2.3) -----------------------------------------------------


def _comparable(text: str) -> str:
    """X shows every URL as a t.co link and ``& < >`` as entities: compare texts without either, and without
    differences of spacing."""
    text = URL_RE.sub(" ", unicodedata.normalize("NFC", html.unescape(text)))
    return " ".join(text.split())


def _reading(external_id: str, counts: Mapping[str, Any]) -> MetricsReading:
    # X's OpenAPI renamed retweets to reposts; the docs still say retweets (provider-contracts.md, Renames).
    reposts = counts.get("retweet_count", counts.get("repost_count"))
    return MetricsReading(
        external_id=external_id,
        likes=counts.get("like_count"),
        comments=counts.get("reply_count"),
        reshares=None if reposts is None else int(reposts) + int(counts.get("quote_count") or 0),
        impressions=counts.get("impression_count"),
    )


def _reasons(body: Mapping[str, Any]) -> str:
    """X's own words: the problem's ``detail``, or the messages of its ``errors[]`` when it is generic."""
    messages = [str(error.get("message")) for error in body.get("errors") or [] if error.get("message")]
    detail = str(body.get("detail") or body.get("title") or "")
    if messages and (not detail or detail.startswith("One or more parameters")):
        return " ".join(messages)
    return detail


def _reset_at(response: requests.Response) -> datetime:
    """When the limit that ran out resets: the reset of each header set (``x-rate-limit-``, ``x-user-limit-24hour-``,
    ``x-app-limit-24hour-``) whose ``remaining`` is 0, the latest if several are; the 15-minute window's when none
    says 0. Waiting for the latest reset of all would wait a day for a 15-minute window."""
    headers = {key.lower(): value.strip() for key, value in response.headers.items()}
    resets = {
        key.removesuffix("reset"): int(value)
        for key, value in headers.items()
        if key.endswith("-reset") and value.isdigit()
    }
    exhausted = [reset for prefix, reset in resets.items() if headers.get(prefix + "remaining") == "0"]
    if exhausted:
        return datetime.fromtimestamp(max(exhausted), UTC)
    if "x-rate-limit-" in resets:
        return datetime.fromtimestamp(resets["x-rate-limit-"], UTC)
    return timezone.now() + DEFAULT_WAIT


def _forbidden(body: Mapping[str, Any], detail: str) -> ProviderError:
    if "duplicate content" in detail:
        return Rejected("duplicate", detail, status=403, duplicate=True)
    if "too long" in detail:
        return Rejected("too_long", detail, status=403)
    if str(body.get("type", "")).endswith("/client-forbidden"):
        # The app is not enrolled for the endpoint: no member can fix that by reconnecting (provider-contracts.md §2.3).
        return ProviderConfigError("client_forbidden", detail, kind="client_forbidden", status=403)
    # A token without the needed scope gets X's bare "Forbidden"; anything X explains is about the content or the
    # member (suspended, reply or mention not allowed).
    if detail in ("", "Forbidden") or "scope" in detail.lower():
        return ReconnectRequired("scope_missing", detail, status=403)
    return Rejected("forbidden", detail, status=403)


def _too_many(response: requests.Response, body: Mapping[str, Any], detail: str) -> ProviderError:
    if str(body.get("type", "")).endswith("/usage-capped") or body.get("title") == "UsageCapExceeded":
        return ProviderConfigError("usage_capped", detail, kind="usage_cap", status=429)
    return RateLimited("rate_limited", detail, reset_at=_reset_at(response))


def api_error(response: requests.Response, *, write: bool) -> ProviderError:
    """The outcome of a failed API call. Classified by X's ``detail`` and ``type`` first: one status carries
    several outcomes (403 is a duplicate, a missing scope or a refusal)."""
    status = response.status_code
    body = problem(response)
    detail = _reasons(body)
    if status == 401:
        return AuthExpired("unauthorized", detail, status=401)
    if status == 402:
        return ProviderConfigError("credits_depleted", detail, kind="credits", status=402)
    if status == 403:
        return _forbidden(body, detail)
    if status == 429:
        return _too_many(response, body, detail)
    if status >= 500:
        return server_error(status, detail, write=write)
    if "too long" in detail:
        return Rejected("too_long", detail, status=status)
    if str(body.get("type", "")).endswith("/invalid-request"):
        return Rejected("invalid_request", detail, status=status)
    return Rejected(f"http_{status}", detail, status=status)


def _token_error(response: requests.Response, *, refreshing: bool) -> ProviderError:
    status = response.status_code
    body = problem(response)
    error = str(body.get("error", ""))
    description = str(body.get("error_description") or error)
    if status == 401 or error in ("unauthorized_client", "invalid_client"):
        return ProviderConfigError("client", description, kind="client", status=status)
    if status == 429:
        return RateLimited("rate_limited", description, reset_at=_reset_at(response))
    if status >= 500:
        return Transient("server_error", description, status=status)
    if "authorization code was invalid" in description or not refreshing:
        return AuthorizationFailed(error or "invalid_code", description, status=status)
    return ReconnectRequired(error or "invalid_token", description, status=status)
