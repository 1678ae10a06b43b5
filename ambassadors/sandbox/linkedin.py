"""The fake LinkedIn: OAuth, userinfo, the Posts, Images and analytics APIs as provider-contracts.md §1 and §4 describe
them, every path under one base URL.

Tests drive it from Python (``issue_token``, ``revoke_member``, ``delete_remote``, the knobs, ``clock``) or over
HTTP through ``/_sandbox/``; ``GET /_sandbox/`` shows what it received, for the local demo.
"""

from __future__ import annotations

import base64
import html
import json
import re
import string
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ambassadors.sandbox.base import DAY, FakeNetwork, Request, Response

ACCESS_TOKEN_SECONDS = 5_184_000
REFRESH_TOKEN_SECONDS = 31_536_000
CODE_SECONDS = 30 * 60
MAX_COMMENTARY = 3000
TOKEN_ALPHABET = string.ascii_letters + string.digits + "-_"

EXPIRED_BODY = {
    "status": 401,
    "serviceErrorCode": 65602,
    "code": "EXPIRED_ACCESS_TOKEN",
    "message": "The token used in the request has expired",
}
INVALID_BODY = {
    "status": 401,
    "serviceErrorCode": 65600,
    "code": "INVALID_ACCESS_TOKEN",
    "message": "Invalid access token",
}
REVOKED_BODY = {
    "status": 401,
    "serviceErrorCode": 65601,
    "code": "REVOKED_ACCESS_TOKEN",
    "message": "The token used in the request has been revoked by the user",
}
BAD_CODE_DESCRIPTION = (
    "Unable to retrieve access token: appid/redirect uri/code verifier does not match authorization code. "
    "Or authorization code expired. Or external member binding exists"
)
# LinkedIn's throttle answer (serviceErrorCode 101) and the shape of its duplicate refusal, as recorded in public
# issue threads (provider-contracts.md §1.3).
THROTTLED = 101
BAD_REQUEST = "com.linkedin.common.error.BadRequest"
BAD_REQUEST_EXCEPTION = "com.linkedin.content.common.exception.BadRequestResponseException"
OLD_METRIC_TYPE_KEY = "com.linkedin.adsexternalapi.memberanalytics.v1.CreatorPostAnalyticsMetricTypeV1"
# The counters of a post at age t are ``ceiling * factor * t / (t + 6 h)``, floored: deterministic, non-decreasing,
# and impressions >= reach >= reactions since the factors are.
GROWTH_FACTORS = {"IMPRESSION": 1.0, "MEMBERS_REACHED": 0.7, "REACTION": 0.04, "COMMENT": 0.008, "RESHARE": 0.004}
METRIC_TYPES = tuple(GROWTH_FACTORS)

# The fake keeps its own reading of LinkedIn's "little" format rather than the client's: it is the oracle the
# client's escaping is tested against.
RESERVED = frozenset("\\|{}@[]()<>#*_~")
# What the fake treats as a URL, kept verbatim when ``literal_urls`` is on: no backslash (never valid in a URL, and
# it starts an escape right after one) and no trailing sentence punctuation.
URL = re.compile(r"https?://[^\s\\]+?(?=[.,;:!?)\]}>'\"]*(?:[\s\\]|$))")
MENTION = re.compile(r"@\[(?P<name>[^\]]+)\]\((?P<urn>urn:li:(?:person|organization):[\w-]+)\)")
HASHTAG = re.compile(r"#\w+")
HASHTAG_TEMPLATE = re.compile(r"\{hashtag\|\\#\|(?P<tag>\w+)\}")
ENTITY = re.compile(r"^\((?P<kind>share|ugc):(?P<urn>urn:li:(?:share|ugcPost):\d+)\)$")

# The fake's pages bring their own Content-Security-Policy (Response.html): one style element, no style attribute.
STYLE = (
    "body{font-family:sans-serif}body.consent{max-width:32rem;margin:3rem auto}"
    "body.received{max-width:48rem;margin:2rem auto;padding:0 1rem}"
    "article{border:1px solid #ccc;border-radius:.5rem;padding:1rem;margin:1rem 0}article .text{white-space:pre-wrap}"
)


@dataclass
class FakePost:
    id: str
    author_uid: str
    # The commentary exactly as received, and the text LinkedIn kept: unescaped, cut at the first unescaped
    # reserved character (the call still answered 201).
    sent_text: str
    text: str
    link: str
    created_at: float
    deleted: bool = False
    # The received commentary up to the cut, still in "little" format: what a read of the post answers.
    commentary: str = ""
    link_title: str = ""
    image: str = ""


@dataclass
class _Token:
    uid: str
    scopes: frozenset[str]
    expires_at: float
    revoked: bool = False
    # Answer one 65601 first (``spurious_revoked_after_consent``).
    spurious: bool = False


@dataclass
class _Refresh:
    uid: str
    scopes: frozenset[str]
    expires_at: float
    revoked: bool = False


@dataclass
class _Code:
    identity: dict[str, str]
    client_id: str
    redirect_uri: str
    scopes: frozenset[str]
    expires_at: float


@dataclass
class _Image:
    urn: str
    owner_uid: str
    upload_key: str
    uploaded_at: float | None = None
    size: int = 0


def render_little(commentary: str, *, literal_urls: bool) -> tuple[str, int]:
    """The text LinkedIn shows for ``commentary`` in its "little" format, and how many characters of it were kept
    (an unescaped reserved character ends the post there)."""
    out: list[str] = []
    i = 0
    while i < len(commentary):
        char = commentary[i]
        if literal_urls and (url := URL.match(commentary, i)):
            out.append(url.group())
            i = url.end()
        elif char == "\\" and i + 1 < len(commentary) and commentary[i + 1] in RESERVED:
            out.append(commentary[i + 1])
            i += 2
        elif markup := _markup(commentary, i):
            shown, i = markup
            out.append(shown)
        elif char in RESERVED:
            break
        else:
            out.append(char)
            i += 1
    return "".join(out), i


def _markup(commentary: str, i: int) -> tuple[str, int] | None:
    if mention := MENTION.match(commentary, i):
        return mention.group("name"), mention.end()
    if hashtag := HASHTAG.match(commentary, i):
        return hashtag.group(), hashtag.end()
    if template := HASHTAG_TEMPLATE.match(commentary, i):
        return "#" + template.group("tag"), template.end()
    return None


def _error(status: int, message: str, **extra: Any) -> Response:
    return Response.json({"status": status, **extra, "message": message}, status)


def _refusal_page(message: str, status: int = 400) -> Response:
    """LinkedIn's own error page: a refused authorization is shown there, never sent to the redirect URI."""
    return Response.html(f'<!doctype html><html lang="en"><title>Error</title><p>{html.escape(message)}', status)


def _access_denied(resource: str) -> Response:
    return _error(403, f"Not enough permissions to access: {resource}", serviceErrorCode=100, code="ACCESS_DENIED")


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


class FakeLinkedIn(FakeNetwork):
    """LinkedIn as the contract describes it. Knobs are plain attributes (see ``knobs``)."""

    name = "linkedin"
    KNOBS = (
        "client_id",
        "client_secret",
        "registered_redirect_uris",
        "auto_consent",
        "consent_identity",
        "refresh_enabled",
        "active_versions",
        "granted_scopes",
        "old_metric_type",
        "duplicate_window",
        "daily_member_post_limit",
        "daily_app_post_limit",
        "spurious_revoked_after_consent",
        "image_processing_seconds",
        "literal_urls",
        "ugc_post_ids",
    )

    def __init__(self, **kwargs: Any) -> None:
        self.consent_identity = {"sub": "782bbtaQ", "name": "Ada Lovelace", "email": "ada@example.com"}
        # The app is approved for programmatic refresh (Marketing / Community Management partners).
        self.refresh_enabled = False
        self.active_versions = [
            "202509",
            "202510",
            "202511",
            "202601",
            "202602",
            "202603",
            "202604",
            "202605",
            "202606",
            "202607",
            "202608",
        ]
        # What the app may be granted; a consent grants the requested ones among these. The sandbox app is approved
        # for Member Post Analytics (r_member_postAnalytics); add r_member_social for the restricted social actions.
        self.granted_scopes = "email,openid,profile,r_member_postAnalytics,w_member_social"
        # The analytics metricType as an object, as before 202605.
        self.old_metric_type = False
        self.duplicate_window = DAY
        self.daily_member_post_limit: int | None = 150
        self.daily_app_post_limit: int | None = None
        # Tokens issued by a consent answer their first /rest/ call with 65601, as reported right after consent.
        self.spurious_revoked_after_consent = False
        self.image_processing_seconds = 2.0
        # Whether URLs in a commentary are taken verbatim (escaping inside them is unconfirmed): off, a reserved
        # character inside a URL cuts the post like anywhere else.
        self.literal_urls = True
        # New posts get urn:li:ugcPost ids instead of urn:li:share ones (LinkedIn does both).
        self.ugc_post_ids = False
        super().__init__(**kwargs)

    def forget(self) -> None:
        self.members: dict[str, dict[str, str]] = {}
        self.tokens: dict[str, _Token] = {}
        self.refresh_tokens: dict[str, _Refresh] = {}
        self.codes: dict[str, _Code] = {}
        self.images: dict[str, _Image] = {}
        self.posts: list[FakePost] = []
        self.post_counts: dict[tuple[int, str], int] = {}

    def register_routes(self) -> None:
        self.route("GET", "/oauth/v2/authorization", self.authorize, name="authorize")
        self.route("POST", "/oauth/v2/authorization", self.consent, name="authorize")
        self.route("POST", "/oauth/v2/accessToken", self.token, name="token")
        self.route("GET", "/v2/userinfo", self.userinfo, name="identity")
        self.route("POST", "/rest/posts", self.create_post, name="publish")
        self.route("GET", "/rest/posts/{urn}", self.read_post, name="read_post")
        self.route("GET", "/feed/update/{urn}/", self.post_page, name="_post_page")
        self.route("DELETE", "/rest/posts/{urn}", self.delete_post, name="delete")
        self.route("POST", "/rest/images", self.image_init, name="image_init")
        self.route("PUT", "/dms-uploads/{key}", self.image_upload, name="image_upload")
        self.route("GET", "/rest/images/{urn}", self.image_status, name="image_status")
        self.route("GET", "/rest/memberCreatorPostAnalytics", self.analytics, name="metrics")
        self.route("GET", "/rest/socialActions/{urn}", self.social_actions, name="metrics")
        self.route("GET", "/rest/socialMetadata/{urn}", self.social_metadata, name="metrics")
        self.route("GET", "/_sandbox/", self.admin_page, name="_page")

    # --- Python API for tests ------------------------------------------------------------------------------------

    def issue_token(
        self,
        *,
        uid: str,
        name: str = "Ada Lovelace",
        username: str = "",
        scopes: str | list[str] | None = None,
        expires_in: int | None = None,
    ) -> dict[str, Any]:
        """What the token endpoint would answer after a consent by member ``uid`` (registered for /v2/userinfo).
        ``username`` is accepted for symmetry with the fake X and only shapes the e-mail: LinkedIn has no handle."""
        if isinstance(scopes, str):
            scopes = re.split(r"[,\s]+", scopes.strip())
        granted = frozenset(scopes) if scopes is not None else self._app_scopes()
        email = f"{username or uid}@example.com"
        with self.lock:
            return self._issue({"sub": uid, "name": name, "email": email}, granted, expires_in=expires_in)

    def revoke_member(self, uid: str) -> None:
        """The member revoked the app: every token they hold now answers 65601 (a new consent issues working ones)."""
        with self.lock:
            for token in self.tokens.values():
                token.revoked = token.revoked or token.uid == uid
            for refresh in self.refresh_tokens.values():
                refresh.revoked = refresh.revoked or refresh.uid == uid

    def live_posts(self, uid: str | None = None) -> list[FakePost]:
        with self.lock:
            return [post for post in self.posts if not post.deleted and uid in (None, post.author_uid)]

    def delete_remote(self, post_id: str) -> None:
        """The member deleted the post on LinkedIn itself."""
        with self.lock:
            post = self._post(post_id, deleted_too=True)
            if post is None:
                raise KeyError(post_id)
            post.deleted = True

    # --- OAuth ---------------------------------------------------------------------------------------------------

    def authorize(self, request: Request) -> Response:
        refusal = self._authorize_refusal(request.query)
        if refusal:
            return _refusal_page(refusal)
        if self.auto_consent == "approve":
            return self._consented(request, self._member(request))
        if self.auto_consent in ("deny", "cancel_login"):
            return self._cancelled(request.query, login=self.auto_consent == "cancel_login")
        return Response.html(self._consent_page(request.query, self._member(request)), style=STYLE)

    def consent(self, request: Request) -> Response:
        refusal = self._authorize_refusal(request.query)
        if refusal:
            return _refusal_page(refusal)
        form = request.form
        if form.get("action") != "allow":
            return self._cancelled(request.query, login=False)
        identity = self._member(request)
        identity["name"] = form.get("name", "").strip() or identity["name"]
        return self._consented(request, identity)

    def _member(self, request: Request) -> dict[str, str]:
        """Who consents: in the embedded demo the signed-in Relais user's own fake member (a ``sub`` derived from
        the user, so two users never share one); for the test harness, ``consent_identity``."""
        viewer = request.viewer
        if viewer is None or not viewer.key:
            return dict(self.consent_identity)
        sub = base64.urlsafe_b64encode(self.derived(viewer)[:8]).decode().rstrip("=")
        name = viewer.name or "Sandbox member"
        return dict(self.members.get(sub) or {"sub": sub, "name": name, "email": f"{sub}@sandbox.example"})

    def _authorize_refusal(self, query: dict[str, str]) -> str:
        if query.get("response_type") != "code":
            return "response_type must be code"
        if query.get("client_id") != self.client_id:
            return "The passed in client_id is invalid"
        if not self.redirect_uri_allowed(query.get("redirect_uri", "")):
            return "The redirect_uri does not match the registered value"
        return ""

    def _consented(self, request: Request, identity: dict[str, str]) -> Response:
        query = request.query
        if request.viewer is not None and request.viewer.key:
            self.owners[identity["sub"]] = request.viewer.key
        requested = frozenset(query.get("scope", "").replace(",", " ").split())
        code = self._random_token(64)
        self.codes[code] = _Code(
            identity=identity,
            client_id=query["client_id"],
            redirect_uri=query["redirect_uri"],
            scopes=self._app_scopes() & requested,
            expires_at=self.clock.now() + CODE_SECONDS,
        )
        return Response.redirect_back(query["redirect_uri"], {"code": code, "state": query.get("state", "")})

    def _cancelled(self, query: dict[str, str], *, login: bool) -> Response:
        error = "user_cancelled_login" if login else "user_cancelled_authorize"
        description = "The user cancelled LinkedIn login" if login else "The user cancelled the authorization"
        params = {"error": error, "error_description": description, "state": query.get("state", "")}
        return Response.redirect_back(query["redirect_uri"], params)

    def _consent_page(self, query: dict[str, str], member: dict[str, str]) -> str:
        scopes = ", ".join(sorted(self._app_scopes() & frozenset(query.get("scope", "").split())))
        name = html.escape(member["name"])
        # An empty action posts back to this very URL, query string included, wherever the fake is mounted.
        return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in with LinkedIn (sandbox)</title>
<style>{STYLE}</style></head>
<body class="consent">
<h1>Sandbox LinkedIn</h1>
<p>The application <strong>{html.escape(query.get("client_id", ""))}</strong> asks for: {html.escape(scopes)}.</p>
<form method="post" action="">
<label for="name">Your name on LinkedIn</label>
<input id="name" name="name" value="{name}" required>
<p><button type="submit" name="action" value="allow">Allow</button>
<button type="submit" name="action" value="cancel">Cancel</button></p>
</form></body></html>"""

    def token(self, request: Request) -> Response:
        form = request.form
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return Response.json({"error": "invalid_client", "error_description": "Client authentication failed"}, 401)
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            return self._exchange(form)
        if grant_type == "refresh_token":
            return self._refresh(form)
        return Response.json({"error": "unsupported_grant_type", "error_description": "Unsupported grant type"}, 400)

    def _exchange(self, form: dict[str, str]) -> Response:
        code = self.codes.pop(form.get("code", ""), None)
        if (
            code is None
            or code.expires_at <= self.clock.now()
            or code.redirect_uri != form.get("redirect_uri")
            or code.client_id != form.get("client_id")
        ):
            return Response.json({"error": "invalid_request", "error_description": BAD_CODE_DESCRIPTION}, 400)
        issued = self._issue(code.identity, code.scopes)
        if self.spurious_revoked_after_consent:
            self.tokens[issued["access_token"]].spurious = True
        return Response.json(issued)

    def _refresh(self, form: dict[str, str]) -> Response:
        refresh = self.refresh_tokens.get(form.get("refresh_token", ""))
        now = self.clock.now()
        if not self.refresh_enabled or refresh is None or refresh.revoked or refresh.expires_at <= now:
            description = "The provided authorization grant or refresh token is invalid, expired or revoked."
            return Response.json({"error": "invalid_grant", "error_description": description}, 400)
        access_token = self._random_token(96, prefix="AQV")
        self.tokens[access_token] = _Token(refresh.uid, refresh.scopes, now + ACCESS_TOKEN_SECONDS)
        return Response.json(
            {
                "access_token": access_token,
                "expires_in": ACCESS_TOKEN_SECONDS,
                "refresh_token": form["refresh_token"],
                "refresh_token_expires_in": int(refresh.expires_at - now),
                "scope": self._scope_string(refresh.scopes),
                "token_type": "Bearer",
            }
        )

    def _issue(
        self, identity: dict[str, str], scopes: frozenset[str], *, expires_in: int | None = None
    ) -> dict[str, Any]:
        now = self.clock.now()
        expires_in = ACCESS_TOKEN_SECONDS if expires_in is None else expires_in
        self.members[identity["sub"]] = identity
        access_token = self._random_token(96, prefix="AQV")
        self.tokens[access_token] = _Token(identity["sub"], scopes, now + expires_in)
        id_claims = {
            "iss": "https://www.linkedin.com/oauth",
            "aud": self.client_id,
            "iat": int(now),
            "exp": int(now) + 3600,
            **identity,
        }
        issued: dict[str, Any] = {
            "access_token": access_token,
            "expires_in": expires_in,
            "scope": self._scope_string(scopes),
            "token_type": "Bearer",
            "id_token": f"{_b64({'alg': 'RS256', 'kid': 'sandbox'})}.{_b64(id_claims)}.c2FuZGJveA",
        }
        if self.refresh_enabled:
            refresh_token = self._random_token(96, prefix="AQX")
            self.refresh_tokens[refresh_token] = _Refresh(identity["sub"], scopes, now + REFRESH_TOKEN_SECONDS)
            issued.update(refresh_token=refresh_token, refresh_token_expires_in=REFRESH_TOKEN_SECONDS)
        return issued

    def _app_scopes(self) -> frozenset[str]:
        return frozenset(self.granted_scopes.replace(",", " ").split())

    @staticmethod
    def _scope_string(scopes: frozenset[str]) -> str:
        return ",".join(sorted(scopes))

    def _random_token(self, length: int, prefix: str = "") -> str:
        return prefix + "".join(self.random.choice(TOKEN_ALPHABET) for _ in range(length))

    # --- request checks ------------------------------------------------------------------------------------------

    def _bearer(self, request: Request, *, rest: bool) -> _Token | Response:
        token = self.tokens.get(request.bearer() or "")
        if token is None:
            return Response.json(INVALID_BODY, 401)
        if token.revoked or (rest and token.spurious):
            token.spurious = False
            return Response.json(REVOKED_BODY, 401)
        if token.expires_at <= self.clock.now():
            return Response.json(EXPIRED_BODY, 401)
        return token

    def _rest(self, request: Request, *, scope: str = "", resource: str = "") -> _Token | Response:
        """The token of a /rest/ call, or the answer refusing it (auth, then the strict headers, then the scope)."""
        token = self._bearer(request, rest=True)
        if isinstance(token, Response):
            return token
        version = request.headers.get("linkedin-version", "")
        if version not in self.active_versions:
            message = f"Requested version {version} is not active" if version else "A version must be present"
            return _error(426, message, code="NONEXISTENT_VERSION")
        if request.headers.get("x-restli-protocol-version") != "2.0.0":
            return _error(400, "X-Restli-Protocol-Version 2.0.0 is required", code="INVALID_HEADER")
        if scope and scope not in token.scopes:
            return _access_denied(f"{resource}.{request.method}.{version}")
        return token

    def _post(self, urn: str, *, deleted_too: bool = False) -> FakePost | None:
        for post in self.posts:
            if post.id == urn and (deleted_too or not post.deleted):
                return post
        return None

    # --- identity ------------------------------------------------------------------------------------------------

    def userinfo(self, request: Request) -> Response:
        token = self._bearer(request, rest=False)
        if isinstance(token, Response):
            return token
        if not {"openid", "profile"} <= token.scopes:
            return _access_denied("userinfo.GET.NO_VERSION")
        member = self.members[token.uid]
        given, _, family = member["name"].partition(" ")
        info: dict[str, Any] = {
            "sub": member["sub"],
            "name": member["name"],
            "given_name": given,
            "family_name": family,
            "picture": "https://media.licdn.com/dms/image/sandbox",
            "locale": {"country": "US", "language": "en"},
        }
        if "email" in token.scopes:
            info.update(email=member["email"], email_verified=True)
        return Response.json(info)

    # --- posts ---------------------------------------------------------------------------------------------------

    def create_post(self, request: Request) -> Response:
        token = self._rest(request, scope="w_member_social", resource="partnerApiPostsExternal")
        if isinstance(token, Response):
            return token
        body = request.json()
        if not isinstance(body, dict):
            return _error(400, "Malformed JSON body")
        if body.get("author") != f"urn:li:person:{token.uid}":
            return _error(403, f"Member is not allowed to post as {body.get('author')}", code="ACCESS_DENIED")
        refusal = self._validate(body, token.uid) or self._throttle(token.uid) or self._duplicate(body, token.uid)
        if refusal:
            return refusal
        post = self._store(body, token.uid)
        return Response(201, b"", {"x-restli-id": post.id})

    def _validate(self, body: dict[str, Any], uid: str) -> Response | None:
        commentary = body.get("commentary")
        if not isinstance(commentary, str):
            return self._input_error("/commentary", "FIELD_VALUE_REQUIRED", "Field commentary is required")
        if len(commentary) > MAX_COMMENTARY:
            message = f"Length {len(commentary)} exceeds the maximum allowed {MAX_COMMENTARY}"
            return self._input_error("/commentary", "MAX_LENGTH_EXCEEDED", message)
        for key, allowed in (("visibility", {"PUBLIC", "CONNECTIONS", "LOGGED_IN"}), ("lifecycleState", {"PUBLISHED"})):
            if body.get(key) not in allowed:
                return self._input_error(f"/{key}", "INVALID_VALUE", f"Invalid value for {key}")
        content = body.get("content") or {}
        article = content.get("article")
        if article is not None and not (article.get("source") and article.get("title")):
            return self._input_error("/content/article", "FIELD_VALUE_REQUIRED", "Article source and title required")
        for image_urn in (content.get("media", {}).get("id"), (article or {}).get("thumbnail")):
            image = self.images.get(image_urn or "")
            if image_urn and (image is None or image.owner_uid != uid or self._image_status(image) != "AVAILABLE"):
                return self._input_error("/content", "INVALID_VALUE", f"Image {image_urn} is not available")
        return None

    @staticmethod
    def _input_error(path: str, code: str, message: str) -> Response:
        details = {"inputErrors": [{"code": code, "description": message, "input": {"inputPath": {"fieldPath": path}}}]}
        return _error(422, f"ERROR :: {path} :: {message}", errorDetailType=BAD_REQUEST, errorDetails=details)

    def _throttle(self, uid: str) -> Response | None:
        day = int(self.clock.now() // DAY)
        for key, limit, scope in (
            ((day, uid), self.daily_member_post_limit, "MEMBER"),
            ((day, ""), self.daily_app_post_limit, "APPLICATION"),
        ):
            if limit is not None and self.post_counts.get(key, 0) >= limit:
                message = f"Resource level throttle {scope} DAY limit for calls to this resource is reached."
                return _error(429, message, serviceErrorCode=THROTTLED)
        return None

    def _duplicate(self, body: dict[str, Any], uid: str) -> Response | None:
        # Deleted posts count too: one report shows duplicate refusals naming posts that answer 404.
        since = self.clock.now() - self.duplicate_window
        for post in reversed(self.posts):
            if post.author_uid == uid and post.sent_text == body["commentary"] and post.created_at > since:
                message = f"{BAD_REQUEST_EXCEPTION}: Content is a duplicate of {post.id}"
                details = {
                    "inputErrors": [
                        {"description": "Duplicate post is detected", "input": {}, "code": "DUPLICATE_POST"}
                    ]
                }
                return _error(422, message, errorDetailType=BAD_REQUEST, errorDetails=details)
        return None

    def _store(self, body: dict[str, Any], uid: str) -> FakePost:
        text, kept = render_little(body["commentary"], literal_urls=self.literal_urls)
        content = body.get("content") or {}
        article = content.get("article") or {}
        kind = "ugcPost" if self.ugc_post_ids else "share"
        post = FakePost(
            id=f"urn:li:{kind}:{self.random.randrange(10**18, 10**19)}",
            author_uid=uid,
            sent_text=body["commentary"],
            text=text,
            link=article.get("source", ""),
            created_at=self.clock.now(),
            commentary=body["commentary"][:kept],
            link_title=article.get("title", ""),
            image=content.get("media", {}).get("id") or article.get("thumbnail", ""),
        )
        self.posts.append(post)
        day = int(post.created_at // DAY)
        for key in ((day, uid), (day, "")):
            self.post_counts[key] = self.post_counts.get(key, 0) + 1
        return post

    def read_post(self, request: Request) -> Response:
        token = self._rest(request)
        if isinstance(token, Response):
            return token
        post = self._post(request.params["urn"])
        if post is None:
            return _error(404, f"Post {request.params['urn']} not found")
        data: dict[str, Any] = {
            "id": post.id,
            "author": f"urn:li:person:{post.author_uid}",
            "commentary": post.commentary,
            "visibility": "PUBLIC",
            "lifecycleState": "PUBLISHED",
            "createdAt": int(post.created_at * 1000),
            "publishedAt": int(post.created_at * 1000),
        }
        if post.link:
            data["content"] = {"article": {"source": post.link, "title": post.link_title}}
        elif post.image:
            data["content"] = {"media": {"id": post.image}}
        return Response.json(data)

    def post_page(self, request: Request) -> Response:
        """One post's page, where a post's permalink (``/feed/update/{urn}/``) leads; gone once deleted."""
        post = self._post(request.params["urn"])
        body = self._page_row(post) if post else "<p>This post cannot be displayed.</p>"
        return Response.html(
            f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Post on LinkedIn (sandbox)</title></head>
<body style="font-family:sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem">
<h1>Post on LinkedIn (sandbox)</h1>
{body}
</body></html>""",
            200 if post else 404,
        )

    def delete_post(self, request: Request) -> Response:
        token = self._rest(request, scope="w_member_social", resource="partnerApiPostsExternal")
        if isinstance(token, Response):
            return token
        post = self._post(request.params["urn"])
        if post is None:
            return _error(404, f"Post {request.params['urn']} not found")
        if post.author_uid != token.uid:
            return _access_denied(f"partnerApiPostsExternal.DELETE.{post.id}")
        post.deleted = True
        return Response(204)

    # --- images --------------------------------------------------------------------------------------------------

    def image_init(self, request: Request) -> Response:
        token = self._rest(request, scope="w_member_social", resource="images")
        if isinstance(token, Response):
            return token
        if request.query.get("action") != "initializeUpload":
            return _error(400, "Unsupported action")
        owner = ((request.json() or {}).get("initializeUploadRequest") or {}).get("owner")
        if owner != f"urn:li:person:{token.uid}":
            return _error(403, f"Member is not allowed to upload as {owner}", code="ACCESS_DENIED")
        image = _Image(
            urn=f"urn:li:image:C4E{self._random_token(22).replace('-', 'x').replace('_', 'y')}",
            owner_uid=token.uid,
            upload_key=self._random_token(32),
        )
        self.images[image.urn] = image
        value = {
            "uploadUrlExpiresAt": int((self.clock.now() + DAY) * 1000),
            "uploadUrl": f"{self.base_url}/dms-uploads/{image.upload_key}",
            "image": image.urn,
        }
        return Response.json({"value": value})

    def image_upload(self, request: Request) -> Response:
        token = self._bearer(request, rest=False)
        if isinstance(token, Response):
            return token
        image = next((i for i in self.images.values() if i.upload_key == request.params["key"]), None)
        if image is None:
            return _error(404, "Unknown upload")
        if image.owner_uid != token.uid:
            return _access_denied("images.UPLOAD")
        image.uploaded_at = self.clock.now()
        image.size = len(request.body)
        return Response(201)

    def image_status(self, request: Request) -> Response:
        token = self._rest(request, scope="w_member_social", resource="images")
        if isinstance(token, Response):
            return token
        image = self.images.get(request.params["urn"])
        if image is None or image.owner_uid != token.uid:
            return _error(404, f"Image {request.params['urn']} not found")
        return Response.json(
            {"id": image.urn, "owner": f"urn:li:person:{image.owner_uid}", "status": self._image_status(image)}
        )

    def _image_status(self, image: _Image) -> str:
        if image.uploaded_at is None:
            return "WAITING_UPLOAD"
        if image.size == 0:
            return "PROCESSING_FAILED"
        if self.clock.now() < image.uploaded_at + self.image_processing_seconds:
            return "PROCESSING"
        return "AVAILABLE"

    # --- metrics -------------------------------------------------------------------------------------------------

    def counts(self, post: FakePost) -> dict[str, int]:
        """The post's counters now, by analytics metricType."""
        ceiling = 200 + int(post.id.rsplit(":", 1)[1]) % 800
        age = max(0.0, self.clock.now() - post.created_at)
        grown = age / (age + 6 * 3600)
        return {metric: int(ceiling * factor * grown) for metric, factor in GROWTH_FACTORS.items()}

    def analytics(self, request: Request) -> Response:
        token = self._rest(request)
        if isinstance(token, Response):
            return token
        if "r_member_postAnalytics" not in token.scopes:
            return _access_denied("memberCreatorPostAnalytics.FINDER-entity")
        entity = ENTITY.match(request.query.get("entity", ""))
        metric = request.query.get("queryType", "")
        if request.query.get("q") != "entity" or entity is None or metric not in METRIC_TYPES:
            return _error(400, "Invalid query parameters")
        post = self._post(entity.group("urn"))
        if post is None:
            return _error(404, f"Entity {entity.group('urn')} not found")
        count = self.counts(post)[metric]
        metric_type: Any = {OLD_METRIC_TYPE_KEY: metric} if self.old_metric_type else metric
        target = {entity.group("kind"): post.id}
        elements = [{"count": count, "metricType": metric_type, "targetEntity": target}] if count else []
        return Response.json({"paging": {"start": 0, "count": 10, "links": []}, "elements": elements})

    def _social_post(self, request: Request, resource: str) -> FakePost | Response:
        token = self._rest(request)
        if isinstance(token, Response):
            return token
        if "r_member_social" not in token.scopes:
            return _access_denied(f"{resource}.GET")
        post = self._post(request.params["urn"])
        return post or _error(404, f"Entity {request.params['urn']} not found")

    def social_actions(self, request: Request) -> Response:
        post = self._social_post(request, "socialActions")
        if isinstance(post, Response):
            return post
        counts = self.counts(post)
        likes, comments = counts["REACTION"], counts["COMMENT"]
        return Response.json(
            {
                "target": post.id,
                "likesSummary": {"totalLikes": likes, "aggregatedTotalLikes": likes, "likedByCurrentUser": False},
                "commentsSummary": {"totalFirstLevelComments": comments, "aggregatedTotalComments": comments},
            }
        )

    def social_metadata(self, request: Request) -> Response:
        post = self._social_post(request, "socialMetadata")
        if isinstance(post, Response):
            return post
        counts = self.counts(post)
        return Response.json(
            {
                "entity": post.id,
                "reactionSummaries": {"LIKE": {"reactionType": "LIKE", "count": counts["REACTION"]}},
                "commentSummary": {"count": counts["COMMENT"], "topLevelCount": counts["COMMENT"]},
            }
        )

    # --- the demo page -------------------------------------------------------------------------------------------

    def admin_page(self, request: Request) -> Response:
        posts = self.received_by(request, self.posts)
        if posts is None:
            return _refusal_page("Sign in to see the posts of your own account.", status=403)
        rows = "".join(self._page_row(post) for post in reversed(posts))
        return Response.html(
            f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>What LinkedIn received (sandbox)</title>
<style>{STYLE}</style></head>
<body class="received">
<h1>What LinkedIn received</h1>
<p>Posts the sandbox LinkedIn received, newest first.</p>
{rows or "<p>No post yet.</p>"}
</body></html>""",
            style=STYLE,
        )

    def _page_row(self, post: FakePost) -> str:
        author = self.members.get(post.author_uid, {}).get("name", post.author_uid)
        when = datetime.fromtimestamp(post.created_at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        shown = html.escape(post.link)
        # Only web links become anchors: a "javascript:" source must not run on the demo page.
        link = f'<p><a href="{shown}">{shown}</a></p>' if post.link.startswith(("http://", "https://")) else shown
        state = " · <strong>deleted</strong>" if post.deleted else ""
        return (
            "<article>"
            f"<p><strong>{html.escape(author)}</strong> · <time>{when}</time>{state}</p>"
            f'<p class="text">{html.escape(post.text)}</p>{link}'
            f"<p><small>{html.escape(post.id)}</small></p></article>"
        )
