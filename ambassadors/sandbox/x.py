"""The fake X (API v2): OAuth 2.0 with PKCE, posts, metrics, media, rate limits and billing, as
provider-contracts.md §2 and §4 describe them. Every path lives under one base URL.

Shapes marked **unconfirmed** in the contract are modelled on the reported ones; a missing scope answers X's bare
403 ``Forbidden`` problem, as clients report it.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from ambassadors.sandbox.base import DAY, FakeNetwork, Request, Response
from content.text import URL_RE, x_weighted_length

# X's error bodies still name their problem types under the old domain.
PROBLEMS = "https://api.twitter.com/2/problems"
PROBLEM_JSON = "application/problem+json"
# The developer account of the app, as the usage-cap refusal names it.
ACCOUNT_ID = 1_700_000_000_000_000_042
# What a read may ask for (docs.x.com, "Fields" and "Expansions"); it answers only id, text and the edit history
# unless ``tweet.fields`` or ``expansions`` ask for more.
POST_FIELDS = frozenset(
    {
        "article",
        "attachments",
        "author_id",
        "card_uri",
        "community_id",
        "context_annotations",
        "conversation_id",
        "created_at",
        "display_text_range",
        "edit_controls",
        "edit_history_tweet_ids",
        "entities",
        "geo",
        "id",
        "in_reply_to_user_id",
        "lang",
        "media_metadata",
        "non_public_metrics",
        "note_tweet",
        "organic_metrics",
        "possibly_sensitive",
        "promoted_metrics",
        "public_metrics",
        "referenced_tweets",
        "reply_settings",
        "scopes",
        "source",
        "text",
        "withheld",
    }
)
EXPANSIONS = frozenset(
    {
        "article.cover_media",
        "article.media_entities",
        "attachments.media_keys",
        "attachments.media_source_tweet",
        "attachments.poll_ids",
        "author_id",
        "edit_history_tweet_ids",
        "entities.mentions.username",
        "geo.place_id",
        "in_reply_to_user_id",
        "entities.note.mentions.username",
        "referenced_tweets.id",
        "referenced_tweets.id.attachments.media_keys",
        "referenced_tweets.id.author_id",
    }
)
ACCESS_LIFETIME = 7200
CODE_LIFETIME = 30
WINDOW = 900
MAX_LOOKUP_IDS = 100
MAX_MEDIA = 4
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# Twitter's snowflake epoch: ids made from the fake clock look like real ones (19 digits).
SNOWFLAKE_EPOCH_MS = 1288834974657
# Per-user limits per 15-minute window of the endpoints other than publishing (docs.x.com rate-limit table).
WINDOW_LIMITS = {
    "identity": 75,
    "read_post": 900,
    "metrics": 5000,
    "user_posts": 900,
    "delete": 50,
    "media_upload": 500,
}
CASHTAG_RE = re.compile(r"(?<![\w$])\$[A-Za-z]{1,6}(?:[._][A-Za-z]{1,2})?(?![\w])")

CODE_INVALID = "Value passed for the authorization code was invalid."
TOKEN_INVALID = "Value passed for the token was invalid."
DUPLICATE = "You are not allowed to create a Tweet with duplicate content."
TOO_LONG = "Your Tweet text is too long."
NOT_PERMITTED = "You are not permitted to perform this action."
REPLY_NOT_ALLOWED = (
    "Reply to this conversation is not allowed because you have not been mentioned or otherwise engaged by the "
    "author of the post you are replying to."
)


@dataclass
class FakePost:
    id: str
    author_uid: str
    sent_text: str
    text: str
    link: str
    created_at: float
    deleted: bool = False
    media_ids: list[str] = field(default_factory=list)


@dataclass
class _Code:
    uid: str
    scopes: tuple[str, ...]
    redirect_uri: str
    challenge: str
    method: str
    created_at: float


@dataclass
class _Token:
    uid: str
    scopes: tuple[str, ...]
    chain: str
    expires_at: float | None
    refresh: bool = False
    dead: bool = False


def problem_response(body: dict[str, Any], status: int, headers: dict[str, str] | None = None) -> Response:
    """An error as X answers it: problem JSON (RFC 7807), not plain JSON."""
    return Response(status, json.dumps(body).encode(), {"Content-Type": PROBLEM_JSON, **(headers or {})})


def problem(status: int, detail: str, *, title: str, type_: str = "about:blank", **extra: Any) -> Response:
    return problem_response({"title": title, "detail": detail, "type": type_, "status": status, **extra}, status)


def invalid_request(message: str, **parameters: Any) -> Response:
    body = {
        "errors": [{"parameters": parameters, "message": message}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": f"{PROBLEMS}/invalid-request",
    }
    return problem_response(body, 400)


def unauthorized() -> Response:
    return problem(401, "Unauthorized", title="Unauthorized")


def too_many_requests(headers: dict[str, str]) -> Response:
    return problem_response(
        {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429},
        429,
        headers,
    )


def not_found(post_id: str, parameter: str = "id") -> dict[str, Any]:
    return {
        "value": post_id,
        "detail": f"Could not find tweet with {parameter}: [{post_id}].",
        "title": "Not Found Error",
        "resource_type": "tweet",
        "parameter": parameter,
        "resource_id": post_id,
        "type": f"{PROBLEMS}/resource-not-found",
    }


def tco(url: str) -> str:
    digest = base64.b64encode(hashlib.sha256(url.encode()).digest(), altchars=b"Ab").decode()
    return f"https://t.co/{digest[:10]}"


def echoed(text: str) -> str:
    """The text as X's API shows it: every URL wrapped in t.co, and ``& < >`` as HTML entities."""
    return html.escape(URL_RE.sub(lambda match: tco(match.group(0)), text), quote=False)


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _fraction(seed: bytes, index: int) -> float:
    return seed[index] / 255


def public_metrics(post_id: str, age: float, *, new_names: bool) -> dict[str, int]:
    """Counters that only grow with the post's age and are fixed by its id: impressions saturate over about a day,
    every other counter is a fixed share of a larger one, so impressions ≥ likes ≥ replies and so on."""
    seed = hashlib.sha256(post_id.encode()).digest()
    age = max(age, 0.0)
    ceiling = 200 + int(4800 * _fraction(seed, 0))
    impressions = int(ceiling * age / (age + 3 * 3600))
    likes = int(impressions * (0.01 + 0.05 * _fraction(seed, 1)))
    reposts = int(likes * (0.1 + 0.3 * _fraction(seed, 2)))
    return {
        "repost_count" if new_names else "retweet_count": reposts,
        "reply_count": int(likes * (0.05 + 0.2 * _fraction(seed, 3))),
        "like_count": likes,
        "quote_count": int(reposts * 0.5 * _fraction(seed, 4)),
        "bookmark_count": int(likes * 0.3 * _fraction(seed, 5)),
        "impression_count": impressions,
    }


class FakeX(FakeNetwork):
    name = "x"
    KNOBS = (
        "client_id",
        "client_secret",
        "registered_redirect_uris",
        "auto_consent",
        "consent_identity",
        "granted_scopes",
        "revoke_chain_on_reuse",
        "refresh_token_lifetime",
        "too_long_status",
        "user_window_limit",
        "user_daily_limit",
        "app_daily_limit",
        "credits",
        "cost_per_post",
        "cost_per_url_post",
        "monthly_cap",
        "duplicate_window",
        "new_field_names",
        "client_forbidden",
        "suspended_uids",
    )

    def __init__(self, **kwargs: Any) -> None:
        self.consent_identity: dict[str, str] = {"id": "2244994945", "name": "Ada Lovelace", "username": "ada"}
        self.granted_scopes = "tweet.read tweet.write users.read offline.access media.write"
        self.revoke_chain_on_reuse = False
        self.refresh_token_lifetime: float | None = 180 * DAY
        self.too_long_status = 403
        self.user_window_limit = 100
        self.user_daily_limit: int | None = None
        self.app_daily_limit: int | None = None
        self.credits: float | None = None
        self.cost_per_post = 0.015
        self.cost_per_url_post = 0.20
        self.monthly_cap: int | None = None
        self.duplicate_window = DAY
        self.new_field_names = False
        self.client_forbidden = False
        self.suspended_uids: list[str] = []
        super().__init__(**kwargs)

    def forget(self) -> None:
        self.users: dict[str, dict[str, str]] = {}
        self.tokens: dict[str, _Token] = {}
        self.codes: dict[str, _Code] = {}
        self.posts: list[FakePost] = []
        self.media: dict[str, tuple[str, float]] = {}
        self.windows: dict[tuple[str, str], tuple[float, int]] = {}
        self.user_days: dict[str, tuple[float, int]] = {}
        self.app_day: tuple[float, int] = (0.0, 0)
        self.monthly_posts: dict[str, int] = {}
        self._last_id = 0

    def register_routes(self) -> None:
        self.route("GET", "/i/oauth2/authorize", self.authorize, name="authorize")
        self.route("POST", "/i/oauth2/authorize", self.authorize_decision, name="authorize")
        self.route("POST", "/2/oauth2/token", self.token, name="token")
        self.route("POST", "/2/oauth2/revoke", self.revoke, name="revoke")
        read, write = "tweet.read users.read", "tweet.read tweet.write users.read"
        self._api("GET", "/2/users/me", "identity", self.identity, read)
        self._api("POST", "/2/tweets", "publish", self.publish, write)
        self._api("GET", "/2/tweets", "metrics", self.lookup, read)
        self._api("GET", "/2/tweets/{id}", "read_post", self.read, read)
        self.route("GET", "/i/web/status/{id}", self.post_page, name="_post_page")
        self._api("DELETE", "/2/tweets/{id}", "delete", self.delete, write)
        self._api("GET", "/2/users/{id}/tweets", "user_posts", self.user_posts, read)
        self._api("POST", "/2/media/upload", "media_upload", self.upload, "media.write")
        self.route("GET", "/_sandbox/", self.page, name="_page")
        self.route("GET", "/", self.page, name="_page")

    # --- for tests in the same process ---------------------------------------------------------------------------

    def issue_token(
        self,
        *,
        uid: str,
        name: str = "Ada Lovelace",
        username: str = "",
        scopes: str | None = None,
        expires_in: int | None = None,
    ) -> dict[str, Any]:
        """Register the member and answer exactly what the token endpoint would, without the consent pages."""
        with self.lock:
            self.users[uid] = {"id": uid, "name": name, "username": username or _handle(name, uid)}
            granted = tuple((scopes if scopes is not None else self.granted_scopes).split())
            return self._issue(uid, granted, chain=secrets.token_hex(8), expires_in=expires_in)

    def revoke_member(self, uid: str) -> None:
        """The member revoked the app on X: every token they hold is dead."""
        with self.lock:
            for token in self.tokens.values():
                if token.uid == uid:
                    token.dead = True

    def live_posts(self, uid: str | None = None) -> list[FakePost]:
        with self.lock:
            return [post for post in self.posts if not post.deleted and (uid is None or post.author_uid == uid)]

    def delete_remote(self, post_id: str) -> None:
        """The member deleted the post on X itself."""
        with self.lock:
            post = self._post(post_id)
            if post is None:
                raise KeyError(post_id)
            post.deleted = True

    # --- OAuth ---------------------------------------------------------------------------------------------------

    def _issue(self, uid: str, scopes: tuple[str, ...], *, chain: str, expires_in: int | None = None) -> dict[str, Any]:
        now = self.clock.now()
        lifetime = ACCESS_LIFETIME if expires_in is None else expires_in
        access = _token_string()
        self.tokens[access] = _Token(uid, scopes, chain, now + lifetime)
        answer: dict[str, Any] = {
            "token_type": "bearer",
            "expires_in": lifetime,
            "access_token": access,
            "scope": " ".join(scopes),
        }
        if "offline.access" in scopes:
            refresh = _token_string()
            expires = None if self.refresh_token_lifetime is None else now + self.refresh_token_lifetime
            self.tokens[refresh] = _Token(uid, scopes, chain, expires, refresh=True)
            answer["refresh_token"] = refresh
        return answer

    def _authorize_error(self, params: dict[str, str]) -> str | None:
        if params.get("response_type") != "code":
            return "response_type must be code."
        if params.get("client_id") != self.client_id:
            return "This app is not known to X."
        if not self.redirect_uri_allowed(params.get("redirect_uri", "")):
            return "The redirect_uri is not registered for this app."
        if not params.get("code_challenge") or params.get("code_challenge_method", "plain") not in ("S256", "plain"):
            return "A PKCE code_challenge is required."
        if not params.get("state") or len(params["state"]) > 500:
            return "state is required (at most 500 characters)."
        return None

    def _member(self, request: Request) -> dict[str, str]:
        """Who consents: in the embedded demo the signed-in Relais user's own fake member (an id derived from the
        user, so two users never share one); for the test harness, ``consent_identity``."""
        viewer = request.viewer
        if viewer is None or not viewer.key:
            return dict(self.consent_identity)
        uid = str(int.from_bytes(self.derived(viewer)[:8], "big") % (9 * 10**18) + 10**18)
        name = viewer.name or "Sandbox member"
        return dict(self.users.get(uid) or {"id": uid, "name": name, "username": _handle(name, uid)})

    def _consented(self, request: Request, params: dict[str, str], identity: dict[str, str]) -> Response:
        code = _token_string()
        requested = params.get("scope", "").split()
        allowed = self.granted_scopes.split()
        self.users[identity["id"]] = dict(identity)
        if request.viewer is not None and request.viewer.key:
            self.owners[identity["id"]] = request.viewer.key
        self.codes[code] = _Code(
            uid=identity["id"],
            scopes=tuple(scope for scope in requested if scope in allowed),
            redirect_uri=params["redirect_uri"],
            challenge=params["code_challenge"],
            method=params.get("code_challenge_method", "plain"),
            created_at=self.clock.now(),
        )
        return Response.redirect_back(params["redirect_uri"], {"state": params["state"], "code": code})

    def authorize(self, request: Request) -> Response:
        params = request.query
        error = self._authorize_error(params)
        if error:
            return _authorize_error_page(error)
        if self.auto_consent == "approve":
            return self._consented(request, params, self._member(request))
        if self.auto_consent == "deny":
            return _denied(params)
        return Response.html(_consent_page(params, self._member(request)), style=STYLE)

    def authorize_decision(self, request: Request) -> Response:
        params = request.form
        error = self._authorize_error(params)
        if error:
            return _authorize_error_page(error)
        if params.get("decision") != "authorize":
            return _denied(params)
        member = self._member(request)
        identity = dict(member)
        username = params.get("username", "").strip().lstrip("@")
        if request.viewer is None and username and username != identity["username"]:
            # For the test harness, another handle typed on the consent page is another member with an id of their
            # own; a Relais user only renames their one fake member.
            identity = {"id": str(int(hashlib.sha256(username.encode()).hexdigest(), 16) % 10**18 + 10**18)}
        identity["name"] = params.get("name", "").strip() or member["name"]
        identity["username"] = username or member["username"]
        return self._consented(request, params, identity)

    def _client_ok(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("basic "):
            return False
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
        except ValueError:
            return False
        return decoded == f"{self.client_id}:{self.client_secret}"

    def token(self, request: Request) -> Response:
        if not self._client_ok(request):
            return _unauthorized_client()
        form = request.form
        if form.get("grant_type") == "authorization_code":
            return self._exchange(form)
        if form.get("grant_type") == "refresh_token":
            return self._refresh(form)
        return Response.json({"error": "invalid_request", "error_description": "Missing required parameter."}, 400)

    def _exchange(self, form: dict[str, str]) -> Response:
        refused = Response.json({"error": "invalid_request", "error_description": CODE_INVALID}, 400)
        code = self.codes.pop(form.get("code", ""), None)
        if code is None or self.clock.now() - code.created_at > CODE_LIFETIME:
            return refused
        verifier = form.get("code_verifier", "")
        if code.method == "S256":
            digest = hashlib.sha256(verifier.encode()).digest()
            verifier = base64.urlsafe_b64encode(digest).decode().rstrip("=")
        if verifier != code.challenge or form.get("redirect_uri") != code.redirect_uri:
            return refused
        return Response.json(self._issue(code.uid, code.scopes, chain=secrets.token_hex(8)))

    def _refresh(self, form: dict[str, str]) -> Response:
        refused = Response.json({"error": "invalid_request", "error_description": TOKEN_INVALID}, 400)
        token = self.tokens.get(form.get("refresh_token", ""))
        if token is None or not token.refresh:
            return refused
        if token.dead or (token.expires_at is not None and token.expires_at <= self.clock.now()):
            if self.revoke_chain_on_reuse:
                self._kill_chain(token.chain)
            return refused
        token.dead = True
        return Response.json(self._issue(token.uid, token.scopes, chain=token.chain))

    def _kill_chain(self, chain: str) -> None:
        for token in self.tokens.values():
            if token.chain == chain:
                token.dead = True

    def revoke(self, request: Request) -> Response:
        if not self._client_ok(request):
            return _unauthorized_client()
        token = self.tokens.get(request.form.get("token", ""))
        if token is not None:
            # Revoking the refresh token ends the whole grant (RFC 7009 §2.1); an access token dies alone.
            if token.refresh:
                self._kill_chain(token.chain)
            token.dead = True
        return Response.json({"revoked": True})

    # --- the API: authentication, scopes and the 15-minute window --------------------------------------------------

    def _api(
        self, method: str, path: str, route: str, handler: Callable[[Request, str], Response], scopes: str
    ) -> None:
        """Route ``path`` to ``handler(request, uid)`` behind the bearer token, the 15-minute window and ``scopes``;
        every answer past the token check carries the ``x-rate-limit-*`` headers."""
        needed = frozenset(scopes.split())

        def guarded(request: Request) -> Response:
            token = self.tokens.get(request.bearer() or "")
            now = self.clock.now()
            if token is None or token.refresh or token.dead or (token.expires_at or 0) <= now:
                return unauthorized()
            if self.client_forbidden:
                return _client_forbidden(self.client_id)
            limit = self.user_window_limit if route == "publish" else WINDOW_LIMITS[route]
            start, count = _current(self.windows.get((token.uid, route)), now, WINDOW)
            headers = {"x-rate-limit-limit": str(limit), "x-rate-limit-reset": str(int(start + WINDOW))}
            if count >= limit:
                # Both windows' headers, as X sends them: a client must tell which one ran out.
                daily = self._daily_headers(token.uid) if route == "publish" else {}
                return too_many_requests(daily | headers | {"x-rate-limit-remaining": "0"})
            self.windows[(token.uid, route)] = (start, count + 1)
            headers["x-rate-limit-remaining"] = str(limit - count - 1)
            if not needed <= set(token.scopes):
                response = problem(403, "Forbidden", title="Forbidden")
            else:
                response = handler(request, token.uid)
            response.headers.update({key: value for key, value in headers.items() if key not in response.headers})
            return response

        self.route(method, path, guarded, name=route)

    # --- posting -------------------------------------------------------------------------------------------------

    def _next_id(self) -> str:
        candidate = (int(self.clock.now() * 1000) - SNOWFLAKE_EPOCH_MS) << 22
        self._last_id = max(candidate, self._last_id + 1, 10**18)
        return str(self._last_id)

    def _daily_headers(self, uid: str) -> dict[str, str]:
        headers: dict[str, str] = {}
        now = self.clock.now()
        for prefix, limit, window in (
            ("x-user-limit-24hour", self.user_daily_limit, self.user_days.get(uid)),
            ("x-app-limit-24hour", self.app_daily_limit, self.app_day),
        ):
            if limit is None:
                continue
            start, count = _current(window, now, DAY)
            headers |= {
                f"{prefix}-limit": str(limit),
                f"{prefix}-remaining": str(max(limit - count, 0)),
                f"{prefix}-reset": str(int(start + DAY)),
            }
        return headers

    def _count_daily(self, uid: str) -> None:
        now = self.clock.now()
        start, count = _current(self.user_days.get(uid), now, DAY)
        self.user_days[uid] = (start, count + 1)
        start, count = _current(self.app_day, now, DAY)
        self.app_day = (start, count + 1)

    def _billing_refusal(self, text: str) -> Response | None:
        month = _month(self.clock.now())
        if self.monthly_cap is not None and self.monthly_posts.get(month, 0) >= self.monthly_cap:
            body: dict[str, Any] = {
                "account_id": ACCOUNT_ID,
                "product_name": "standard-basic",
                "title": "UsageCapExceeded",
                "period": "Monthly",
                "scope": "Product",
                "detail": "Usage cap exceeded: Monthly product cap",
                "type": f"{PROBLEMS}/usage-capped",
            }
            return problem_response(body, 429)
        if self.credits is not None and self.credits < self._cost(text):
            body = {
                "title": "CreditsDepleted",
                "detail": "Your enrolled account does not have any credits to fulfill this request.",
                "type": f"{PROBLEMS}/credits-depleted",
                "status": 402,
            }
            return problem_response(body, 402)
        return None

    def _cost(self, text: str) -> float:
        return self.cost_per_url_post if URL_RE.search(text) else self.cost_per_post

    def _content_refusal(self, uid: str, text: str, media_ids: list[str]) -> Response | None:
        if x_weighted_length(text) > 280:
            title = "Forbidden" if self.too_long_status == 403 else "Bad Request"
            return problem(self.too_long_status, TOO_LONG, title=title)
        if len(CASHTAG_RE.findall(text)) > 1:
            return invalid_request("Tweet text cannot contain more than one cashtag.", text=[text])
        if len(media_ids) > MAX_MEDIA:
            return invalid_request("$.media.media_ids: size must be between 1 and 4", media_ids=media_ids)
        now = self.clock.now()
        for media_id in media_ids:
            owner, expires_at = self.media.get(media_id, ("", 0.0))
            if owner != uid or expires_at <= now:
                return invalid_request("Your media IDs are invalid.", media_ids=media_ids)
        if uid in self.suspended_uids:
            return problem(403, NOT_PERMITTED, title="Forbidden")
        for post in self.posts:
            if (
                post.author_uid == uid
                and not post.deleted
                and post.sent_text == text
                and now - post.created_at < self.duplicate_window
            ):
                return problem(403, DUPLICATE, title="Forbidden")
        return None

    def publish(self, request: Request, uid: str) -> Response:
        body = request.json()
        if not isinstance(body, dict):
            return invalid_request("Request body is not valid JSON.")
        text = body.get("text") or ""
        media_ids = list((body.get("media") or {}).get("media_ids") or [])
        if not isinstance(text, str) or not (text or media_ids):
            return invalid_request("$.text: text or media is required", text=[text])
        if "reply" in body:
            return problem(403, REPLY_NOT_ALLOWED, title="Forbidden")
        daily = self._daily_headers(uid)
        if any(daily[key] == "0" for key in daily if key.endswith("-remaining")):
            return too_many_requests(daily)
        refusal = self._billing_refusal(text) or self._content_refusal(uid, text, media_ids)
        if refusal is not None:
            refusal.headers.update(daily)
            return refusal
        match = URL_RE.search(text)
        post = FakePost(
            id=self._next_id(),
            author_uid=uid,
            sent_text=text,
            text=text,
            link=match.group(0) if match else "",
            created_at=self.clock.now(),
            media_ids=media_ids,
        )
        self.posts.append(post)
        if self.credits is not None:
            self.credits = round(self.credits - self._cost(text), 6)
        month = _month(post.created_at)
        self.monthly_posts[month] = self.monthly_posts.get(month, 0) + 1
        self._count_daily(uid)
        data = {"id": post.id, "text": echoed(text), self._history_field(): [post.id]}
        return Response.json({"data": data}, 201, self._daily_headers(uid))

    def _history_field(self) -> str:
        return "edit_history_post_ids" if self.new_field_names else "edit_history_tweet_ids"

    def _post(self, post_id: str) -> FakePost | None:
        return next((post for post in self.posts if post.id == post_id), None)

    def delete(self, request: Request, uid: str) -> Response:
        post = self._post(request.params["id"])
        if post is None:
            return Response.json({"errors": [not_found(request.params["id"])]}, 404)
        if post.author_uid != uid:
            return problem(403, "You are not allowed to delete this Tweet.", title="Forbidden")
        post.deleted = True
        return Response.json({"data": {"deleted": True}})

    # --- reading -------------------------------------------------------------------------------------------------

    def _render(self, post: FakePost, fields: set[str]) -> dict[str, Any]:
        """A post as X's reads answer it: its id, text and edit history, and only the other ``fields`` asked for."""
        data: dict[str, Any] = {"id": post.id, "text": echoed(post.text), self._history_field(): [post.id]}
        if "created_at" in fields:
            data["created_at"] = iso(post.created_at)
        if "author_id" in fields:
            data["author_id"] = post.author_uid
        if "public_metrics" in fields:
            age = self.clock.now() - post.created_at
            data["public_metrics"] = public_metrics(post.id, age, new_names=self.new_field_names)
        urls = [
            {"url": tco(match.group(0)), "expanded_url": match.group(0), "display_url": match.group(0)}
            for match in URL_RE.finditer(post.text)
        ]
        if urls and "entities" in fields:
            data["entities"] = {"urls": urls}
        return data

    def _posts_answer(self, posts: list[FakePost], shape: tuple[set[str], set[str]]) -> dict[str, Any]:
        """``data`` for ``posts`` in the asked ``(tweet.fields, expansions)``; the authors under ``includes`` when the
        ``author_id`` expansion asks for them."""
        fields, expansions = shape
        data = [self._render(post, fields | (expansions & {"author_id"})) for post in posts]
        answer: dict[str, Any] = {"data": data}
        if "author_id" in expansions and posts:
            authors = dict.fromkeys(post.author_uid for post in posts)
            answer["includes"] = {"users": [self.users.get(uid, {"id": uid}) for uid in authors]}
        return answer

    def read(self, request: Request, uid: str) -> Response:
        shape = _read_shape(request)
        if isinstance(shape, Response):
            return shape
        post_id = request.params["id"]
        post = self._post(post_id)
        if post is None or post.deleted:
            error = not_found(post_id)
            return Response.json({"errors": [error], "title": error["title"], "detail": error["detail"]}, 404)
        answer = self._posts_answer([post], shape)
        return Response.json(answer | {"data": answer["data"][0]})

    def post_page(self, request: Request) -> Response:
        """The post's page on X's site, where its permalink (``/i/web/status/{id}``) leads; gone once deleted."""
        post = self._post(request.params["id"])
        if post is None or post.deleted:
            return Response.html(_page("Post", "<p>This post is unavailable.</p>"), 404)
        user = self.users.get(post.author_uid, {})
        author = f"{user.get('name', post.author_uid)} (@{user.get('username', '')})"
        article = (
            f"<article><p>{html.escape(post.text)}</p>"
            f'<p class="meta">{html.escape(author)} · <time>{html.escape(iso(post.created_at))}</time></p></article>'
        )
        return Response.html(_page("Post", article))

    def lookup(self, request: Request, uid: str) -> Response:
        ids = [value for value in request.query.get("ids", "").split(",") if value]
        if not ids or len(ids) > MAX_LOOKUP_IDS:
            return invalid_request(
                f"The number of values in the `ids` query parameter list [{len(ids)}] is not between 1 and 100",
                ids=[request.query.get("ids", "")],
            )
        bad = [value for value in ids if not value.isdigit() or len(value) > 19]
        if bad:
            return invalid_request(f"The `ids` query parameter value [{bad[0]}] is not valid", ids=bad)
        shape = _read_shape(request)
        if isinstance(shape, Response):
            return shape
        live = {post.id: post for post in self.posts if not post.deleted}
        body = self._posts_answer([live[post_id] for post_id in ids if post_id in live], shape)
        if not body["data"]:
            del body["data"]
        errors = [not_found(post_id, "ids") for post_id in ids if post_id not in live]
        if errors:
            body["errors"] = errors
        return Response.json(body)

    def user_posts(self, request: Request, uid: str) -> Response:
        try:
            max_results = int(request.query.get("max_results", "10"))
        except ValueError:
            max_results = 0
        if not 5 <= max_results <= 100:
            return invalid_request(
                f"The `max_results` query parameter value [{request.query.get('max_results')}] is not between 5 and 100"
            )
        shape = _read_shape(request)
        if isinstance(shape, Response):
            return shape
        posts = sorted(self.live_posts(request.params["id"]), key=lambda post: int(post.id), reverse=True)
        answer = self._posts_answer(posts[:max_results], shape)
        data = answer["data"]
        meta: dict[str, Any] = {"result_count": len(data)}
        if data:
            meta |= {"newest_id": data[0]["id"], "oldest_id": data[-1]["id"]}
        return Response.json((answer | {"meta": meta}) if data else {"meta": meta})

    def identity(self, request: Request, uid: str) -> Response:
        return Response.json({"data": self.users[uid]})

    def upload(self, request: Request, uid: str) -> Response:
        content_type = request.headers.get("content-type", "")
        if "multipart/form-data" not in content_type:
            return invalid_request("The media upload must be multipart/form-data.")
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode("latin-1") + request.body
        )
        parts = {part.get_param("name", header="content-disposition"): part for part in message.iter_parts()}
        media = parts.get("media")
        payload = media.get_payload(decode=True) if media is not None else None
        if not isinstance(payload, bytes) or not payload:
            return invalid_request("The `media` field is required.", media=[])
        if len(payload) > MAX_UPLOAD_BYTES:
            return invalid_request("The media is larger than 5 MB.", media=[])
        media_id = self._next_id()
        expires_after = DAY
        self.media[media_id] = (uid, self.clock.now() + expires_after)
        data: dict[str, Any] = {
            "id": media_id,
            "media_key": f"3_{media_id}",
            "size": len(payload),
            "expires_after_secs": expires_after,
        }
        return Response.json({"data": data})

    # --- the page a demo user opens --------------------------------------------------------------------------------

    def page(self, request: Request) -> Response:
        posts = self.received_by(request, self.posts)
        if posts is None:
            return Response.html(
                _page("Sign in", "<p>Sign in to see the posts of your own accounts.</p>"), 403, style=STYLE
            )
        rows = []
        for post in sorted(posts, key=lambda post: int(post.id), reverse=True):
            user = self.users.get(post.author_uid, {})
            author = f"{user.get('name', post.author_uid)} (@{user.get('username', '')})"
            status = "deleted" if post.deleted else "live"
            rows.append(
                f'<li class="{status}"><p class="meta">{html.escape(author)} · '
                f"<time>{html.escape(iso(post.created_at))}</time> · {status}</p>"
                f"<p>{html.escape(post.text)}</p></li>"
            )
        listing = f"<ol>{''.join(rows)}</ol>" if rows else "<p>No post received yet.</p>"
        return Response.html(_page("What X received", listing), style=STYLE)


def _read_shape(request: Request) -> tuple[set[str], set[str]] | Response:
    """The ``tweet.fields`` and ``expansions`` a read asks for, or X's refusal of a value it does not know."""
    shape = []
    for parameter, known in (("tweet.fields", POST_FIELDS), ("expansions", EXPANSIONS)):
        values = {value for value in request.query.get(parameter, "").split(",") if value}
        unknown = sorted(values - known)
        if unknown:
            return invalid_request(
                f"The `{parameter}` query parameter value [{unknown[0]}] is not one of [{','.join(sorted(known))}]",
                **{parameter: unknown},
            )
        shape.append(values)
    return shape[0], shape[1]


def _token_string() -> str:
    return secrets.token_urlsafe(32)


def _handle(name: str, uid: str) -> str:
    return re.sub(r"\W+", "", name.lower())[:15] or f"u{uid[:14]}"


def _current(window: tuple[float, int] | None, now: float, length: float) -> tuple[float, int]:
    """The (start, count) of a fixed window at ``now``: a new, empty one once ``length`` has passed."""
    if window is None or now >= window[0] + length:
        return now, 0
    return window


def _month(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m")


def _denied(params: dict[str, str]) -> Response:
    return Response.redirect_back(params["redirect_uri"], {"error": "access_denied", "state": params["state"]})


def _unauthorized_client() -> Response:
    body = {"error": "unauthorized_client", "error_description": "Missing valid authorization header"}
    return Response.json(body, 401)


def _authorize_error_page(error: str) -> Response:
    return Response.html(_page("Something went wrong", f"<p>{html.escape(error)}</p>"), 400, style=STYLE)


def _client_forbidden(client_id: str) -> Response:
    body = {
        "client_id": client_id,
        "detail": "When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens from a "
        "Twitter developer App that is attached to a Project. You can create a project via the developer portal.",
        "registration_url": "https://developer.twitter.com/en/docs/projects/overview",
        "title": "Client Forbidden",
        "required_enrollment": "Appropriate Level of API Access",
        "reason": "client-not-enrolled",
        "type": f"{PROBLEMS}/client-forbidden",
    }
    return problem_response(body, 403)


STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#0f1419}"
    "li{list-style:none;border-bottom:1px solid #cfd9de;padding:.5rem 0}.meta{color:#536471;font-size:.875rem}"
    ".deleted p{text-decoration:line-through}label{display:block;margin:.5rem 0}"
    "button{margin-right:.5rem;padding:.5rem 1rem;border-radius:9999px;border:1px solid #0f1419}"
)


def _page(title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)} · fake X</title>'
        f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )


def _consent_page(params: dict[str, str], identity: dict[str, str]) -> str:
    keys = ("response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method")
    hidden = "".join(
        f'<input type="hidden" name="{key}" value="{html.escape(params[key])}">' for key in keys if key in params
    )
    scopes = "".join(f"<li>{html.escape(scope)}</li>" for scope in params.get("scope", "").split())
    form = (
        f"<p>{html.escape(params['client_id'])} wants to access your X account.</p><ul>{scopes}</ul>"
        f'<form method="post">{hidden}'
        f'<label>Name <input name="name" value="{html.escape(identity["name"])}"></label>'
        f'<label>Username <input name="username" value="{html.escape(identity["username"])}"></label>'
        '<button name="decision" value="authorize">Authorize app</button>'
        '<button name="decision" value="cancel">Cancel</button></form>'
    )
    return _page("Authorize app", form)
