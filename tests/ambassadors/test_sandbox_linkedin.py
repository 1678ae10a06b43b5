"""The fake LinkedIn keeps provider-contracts.md §1 and §4: checked over real HTTP with plain ``requests``."""

import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from ambassadors.sandbox.linkedin import EXPIRED_BODY, INVALID_BODY, OLD_METRIC_TYPE_KEY, REVOKED_BODY
from tests.ambassadors.conftest import control

REDIRECT = "https://relais.example/connect/linkedin/callback"
SCOPE = "openid profile email w_member_social"
REST_HEADERS = {"LinkedIn-Version": "202608", "X-Restli-Protocol-Version": "2.0.0"}


def authorize(fake, *, redirect_uri=REDIRECT, state="state-1", scope=SCOPE):
    params = {
        "response_type": "code",
        "client_id": fake.client_id,
        "redirect_uri": redirect_uri,
        "state": state,
        "scope": scope,
    }
    return requests.get(f"{fake.base_url}/oauth/v2/authorization", params=params, allow_redirects=False, timeout=5)


def callback(response):
    assert response.status_code == 302
    return {key: values[0] for key, values in parse_qs(urlsplit(response.headers["Location"]).query).items()}


def exchange(fake, code, *, redirect_uri=REDIRECT, secret=None):
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": fake.client_id,
        "client_secret": fake.client_secret if secret is None else secret,
    }
    return requests.post(f"{fake.base_url}/oauth/v2/accessToken", data=data, timeout=5)


def api(fake, method, path, token, *, headers=None, **kwargs):
    sent = {"Authorization": f"Bearer {token}", **REST_HEADERS, **(headers or {})}
    return requests.request(method, f"{fake.base_url}{path}", headers=sent, timeout=5, **kwargs)


def post_body(uid, commentary, **extra):
    return {
        "author": f"urn:li:person:{uid}",
        "commentary": commentary,
        "visibility": "PUBLIC",
        "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [], "thirdPartyDistributionChannels": []},
        "lifecycleState": "PUBLISHED",
        "isReshareDisabledByAuthor": False,
        **extra,
    }


def publish(fake, token, uid, commentary, **extra):
    return api(fake, "POST", "/rest/posts", token, json=post_body(uid, commentary, **extra))


@pytest.fixture
def member(fake_linkedin):
    return fake_linkedin.issue_token(uid="782bbtaQ")["access_token"]


def at_utc(*args):
    return datetime(*args, tzinfo=UTC).timestamp()


# --- consent -------------------------------------------------------------------------------------------------------


def test_approved_consent_redirects_with_code_and_state_and_the_code_buys_a_token(fake_linkedin):
    fake_linkedin.auto_consent = "approve"
    params = callback(authorize(fake_linkedin, state="xyz"))
    assert params["state"] == "xyz"

    response = exchange(fake_linkedin, params["code"])

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "expires_in", "scope", "token_type", "id_token"}
    assert body["expires_in"] == 5184000
    assert body["scope"] == "email,openid,profile,w_member_social"
    info = requests.get(
        f"{fake_linkedin.base_url}/v2/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"}, timeout=5
    ).json()
    assert (info["sub"], info["name"], info["email"]) == ("782bbtaQ", "Ada Lovelace", "ada@example.com")


@pytest.mark.parametrize(
    ("knob", "error"), [("deny", "user_cancelled_authorize"), ("cancel_login", "user_cancelled_login")]
)
def test_refused_consent_redirects_with_linkedins_error(fake_linkedin, knob, error):
    fake_linkedin.auto_consent = knob
    params = callback(authorize(fake_linkedin, state="xyz"))
    assert params["error"] == error
    assert params["error_description"]
    assert params["state"] == "xyz"
    assert "code" not in params


def test_consent_page_is_a_form_posting_back_allow_or_cancel(fake_linkedin):
    page = authorize(fake_linkedin)
    assert page.status_code == 200
    assert '<html lang="en">' in page.text
    assert 'name="name"' in page.text
    assert 'value="allow"' in page.text and 'value="cancel"' in page.text

    allowed = requests.post(
        page.url, data={"name": "Grace Hopper", "action": "allow"}, allow_redirects=False, timeout=5
    )
    token = exchange(fake_linkedin, callback(allowed)["code"]).json()["access_token"]
    info = requests.get(
        f"{fake_linkedin.base_url}/v2/userinfo", headers={"Authorization": f"Bearer {token}"}, timeout=5
    ).json()
    assert info["name"] == "Grace Hopper"

    cancelled = requests.post(page.url, data={"action": "cancel"}, allow_redirects=False, timeout=5)
    assert callback(cancelled)["error"] == "user_cancelled_authorize"


def test_consent_grants_only_what_the_app_may_have(fake_linkedin):
    fake_linkedin.auto_consent = "approve"
    fake_linkedin.granted_scopes = "email,openid,profile"
    body = exchange(fake_linkedin, callback(authorize(fake_linkedin))["code"]).json()
    assert body["scope"] == "email,openid,profile"

    response = publish(fake_linkedin, body["access_token"], "782bbtaQ", "Hello")
    assert response.status_code == 403
    assert response.json()["code"] == "ACCESS_DENIED"
    assert response.json()["serviceErrorCode"] == 100


def test_code_is_single_use(fake_linkedin):
    fake_linkedin.auto_consent = "approve"
    code = callback(authorize(fake_linkedin))["code"]
    assert exchange(fake_linkedin, code).status_code == 200

    again = exchange(fake_linkedin, code)

    assert again.status_code == 400
    assert again.json()["error"] == "invalid_request"
    assert "authorization code expired" in again.json()["error_description"]


def test_code_expires_after_30_minutes_of_the_fake_clock(fake_linkedin):
    fake_linkedin.auto_consent = "approve"
    fake_linkedin.clock.freeze()
    fresh = callback(authorize(fake_linkedin))["code"]
    stale = callback(authorize(fake_linkedin))["code"]
    fake_linkedin.clock.advance(29 * 60)
    assert exchange(fake_linkedin, fresh).status_code == 200
    fake_linkedin.clock.advance(61)
    assert exchange(fake_linkedin, stale).status_code == 400


def test_code_exchange_needs_the_exact_redirect_uri(fake_linkedin):
    fake_linkedin.auto_consent = "approve"
    code = callback(authorize(fake_linkedin))["code"]
    response = exchange(fake_linkedin, code, redirect_uri=REDIRECT + "/")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_authorize_refuses_an_unregistered_redirect_uri(fake_linkedin):
    fake_linkedin.auto_consent = "approve"
    fake_linkedin.registered_redirect_uris = [REDIRECT]
    assert authorize(fake_linkedin, redirect_uri="https://evil.example/cb").status_code == 400
    assert authorize(fake_linkedin).status_code == 302


def test_token_endpoint_enforces_the_client_secret(fake_linkedin):
    fake_linkedin.auto_consent = "approve"
    code = callback(authorize(fake_linkedin))["code"]
    response = exchange(fake_linkedin, code, secret="wrong")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


# --- tokens --------------------------------------------------------------------------------------------------------


def test_expired_garbage_and_revoked_tokens_answer_linkedins_exact_bodies(fake_linkedin):
    fake_linkedin.clock.freeze()
    short = fake_linkedin.issue_token(uid="a1", expires_in=60)["access_token"]
    revoked = fake_linkedin.issue_token(uid="b2")["access_token"]
    fake_linkedin.revoke_member("b2")
    fake_linkedin.clock.advance(60)

    expired = publish(fake_linkedin, short, "a1", "Hello")
    garbage = publish(fake_linkedin, "not-a-token", "a1", "Hello")
    gone = publish(fake_linkedin, revoked, "b2", "Hello")

    assert (expired.status_code, expired.json()) == (401, EXPIRED_BODY)
    assert (garbage.status_code, garbage.json()) == (401, INVALID_BODY)
    assert (gone.status_code, gone.json()) == (401, REVOKED_BODY)


def test_tokens_last_sixty_days(fake_linkedin):
    fake_linkedin.clock.freeze()
    token = fake_linkedin.issue_token(uid="a1")["access_token"]
    fake_linkedin.clock.advance(5184000 - 1)
    assert publish(fake_linkedin, token, "a1", "Still valid").status_code == 201
    fake_linkedin.clock.advance(1)
    assert publish(fake_linkedin, token, "a1", "Expired now").json() == EXPIRED_BODY


def test_refresh_only_for_approved_apps_and_its_countdown_is_not_reset(fake_linkedin):
    def refresh(token):
        data = {
            "grant_type": "refresh_token",
            "refresh_token": token,
            "client_id": fake_linkedin.client_id,
            "client_secret": fake_linkedin.client_secret,
        }
        return requests.post(f"{fake_linkedin.base_url}/oauth/v2/accessToken", data=data, timeout=5)

    assert "refresh_token" not in fake_linkedin.issue_token(uid="a1")
    fake_linkedin.refresh_enabled = True
    fake_linkedin.clock.freeze()
    issued = fake_linkedin.issue_token(uid="a1")
    assert issued["refresh_token_expires_in"] == 31536000
    fake_linkedin.clock.advance(86400)

    refreshed = refresh(issued["refresh_token"]).json()

    assert refreshed["refresh_token"] == issued["refresh_token"]
    assert refreshed["refresh_token_expires_in"] == 31536000 - 86400
    assert refreshed["expires_in"] == 5184000
    assert publish(fake_linkedin, refreshed["access_token"], "a1", "Fresh").status_code == 201
    fake_linkedin.clock.advance(31536000)
    assert refresh(issued["refresh_token"]).json()["error"] == "invalid_grant"


def test_spurious_revocation_right_after_consent_answers_once(fake_linkedin):
    fake_linkedin.auto_consent = "approve"
    fake_linkedin.spurious_revoked_after_consent = True
    token = exchange(fake_linkedin, callback(authorize(fake_linkedin))["code"]).json()["access_token"]
    assert publish(fake_linkedin, token, "782bbtaQ", "First").json() == REVOKED_BODY
    assert publish(fake_linkedin, token, "782bbtaQ", "First").status_code == 201


# --- headers -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["202401", ""])
def test_missing_or_retired_version_answers_426(fake_linkedin, member, version):
    response = api(
        fake_linkedin, "POST", "/rest/posts", member, headers={"LinkedIn-Version": version}, json=post_body("x", "Hi")
    )
    assert response.status_code == 426
    assert response.json()["code"] == "NONEXISTENT_VERSION"
    assert fake_linkedin.posts == []


def test_missing_restli_header_answers_400(fake_linkedin, member):
    response = requests.post(
        f"{fake_linkedin.base_url}/rest/posts",
        headers={"Authorization": f"Bearer {member}", "LinkedIn-Version": "202608"},
        json=post_body("782bbtaQ", "Hi"),
        timeout=5,
    )
    assert response.status_code == 400
    assert fake_linkedin.posts == []


# --- publishing ----------------------------------------------------------------------------------------------------


def test_publish_answers_201_with_an_empty_body_and_the_urn_in_a_header(fake_linkedin, member):
    link = {"article": {"source": "https://example.com/q3", "title": "Q3 report"}}
    response = publish(fake_linkedin, member, "782bbtaQ", "Our Q3 report is out", content=link)

    assert response.status_code == 201
    assert response.content == b""
    urn = response.headers["x-restli-id"]
    assert re.fullmatch(r"urn:li:share:\d{19}", urn)
    read = api(fake_linkedin, "GET", f"/rest/posts/{urn}", member).json()
    assert read["commentary"] == "Our Q3 report is out"
    assert read["content"]["article"]["source"] == "https://example.com/q3"
    [post] = fake_linkedin.live_posts("782bbtaQ")
    assert (post.id, post.text, post.link) == (urn, "Our Q3 report is out", "https://example.com/q3")


def test_publish_may_answer_a_ugc_post_urn(fake_linkedin, member):
    fake_linkedin.ugc_post_ids = True
    urn = publish(fake_linkedin, member, "782bbtaQ", "Hello").headers["x-restli-id"]
    assert re.fullmatch(r"urn:li:ugcPost:\d{19}", urn)


def test_an_unescaped_reserved_character_truncates_the_post_but_still_answers_201(fake_linkedin, member):
    response = publish(fake_linkedin, member, "782bbtaQ", "Launch day (finally) is here")

    assert response.status_code == 201
    [post] = fake_linkedin.posts
    assert post.sent_text == "Launch day (finally) is here"
    assert post.text == "Launch day "


def test_escaped_reserved_characters_and_markup_are_kept(fake_linkedin, member):
    commentary = r"Launch day \(finally\) with @[Ada Lovelace](urn:li:person:782bbtaQ) #launch {hashtag|\#|news}"
    publish(fake_linkedin, member, "782bbtaQ", commentary)
    assert fake_linkedin.posts[0].text == "Launch day (finally) with Ada Lovelace #launch #news"


def test_urls_are_literal_unless_the_knob_says_otherwise(fake_linkedin, member):
    publish(fake_linkedin, member, "782bbtaQ", "Read https://example.com/a_b#c now")
    fake_linkedin.literal_urls = False
    publish(fake_linkedin, member, "782bbtaQ", "Also https://example.com/a_b#c now")
    assert [post.text for post in fake_linkedin.posts] == [
        "Read https://example.com/a_b#c now",
        "Also https://example.com/a",
    ]


def test_commentary_over_3000_characters_is_refused(fake_linkedin, member):
    response = publish(fake_linkedin, member, "782bbtaQ", "a" * 3001)
    assert response.status_code == 422
    assert publish(fake_linkedin, member, "782bbtaQ", "a" * 3000).status_code == 201


def test_posting_as_someone_else_is_forbidden(fake_linkedin, member):
    response = publish(fake_linkedin, member, "someone-else", "Hello")
    assert response.status_code == 403
    assert fake_linkedin.posts == []


def test_duplicate_inside_the_window_names_the_first_post_and_is_accepted_after(fake_linkedin, member):
    fake_linkedin.clock.freeze()
    first = publish(fake_linkedin, member, "782bbtaQ", "Same words").headers["x-restli-id"]
    fake_linkedin.delete_remote(first)
    fake_linkedin.clock.advance(86399)

    duplicate = publish(fake_linkedin, member, "782bbtaQ", "Same words")

    assert duplicate.status_code == 422
    assert duplicate.json()["errorDetails"]["inputErrors"][0]["code"] == "DUPLICATE_POST"
    assert f"Content is a duplicate of {first}" in duplicate.json()["message"]
    fake_linkedin.clock.advance(1)
    assert publish(fake_linkedin, member, "782bbtaQ", "Same words").status_code == 201


def test_daily_member_limit_resets_at_midnight_utc_and_429_has_no_rate_headers(fake_linkedin, member):
    fake_linkedin.daily_member_post_limit = 2
    fake_linkedin.clock.freeze(at_utc(2026, 8, 20, 23, 58))
    assert publish(fake_linkedin, member, "782bbtaQ", "One").status_code == 201
    assert publish(fake_linkedin, member, "782bbtaQ", "Two").status_code == 201

    throttled = publish(fake_linkedin, member, "782bbtaQ", "Three")

    assert throttled.status_code == 429
    assert "limit for calls to this resource is reached" in throttled.json()["message"]
    assert not [name for name in throttled.headers if "rate" in name.lower() or name.lower() == "retry-after"]
    fake_linkedin.clock.advance(119)
    assert publish(fake_linkedin, member, "782bbtaQ", "Three").status_code == 429
    fake_linkedin.clock.advance(1)
    assert publish(fake_linkedin, member, "782bbtaQ", "Three").status_code == 201


def test_daily_app_limit_counts_every_member(fake_linkedin, member):
    fake_linkedin.daily_app_post_limit = 1
    other = fake_linkedin.issue_token(uid="grace")["access_token"]
    assert publish(fake_linkedin, member, "782bbtaQ", "One").status_code == 201
    assert publish(fake_linkedin, other, "grace", "Two").status_code == 429


def test_commit_then_503_stores_the_post_first(fake_linkedin, member):
    fake_linkedin.set_faults("publish", script=["commit-then-503"])
    response = publish(fake_linkedin, member, "782bbtaQ", "Landed anyway")
    assert response.status_code == 503
    assert [post.text for post in fake_linkedin.posts] == ["Landed anyway"]


def test_delete_then_read_answers_404(fake_linkedin, member):
    urn = publish(fake_linkedin, member, "782bbtaQ", "Short-lived").headers["x-restli-id"]
    assert api(fake_linkedin, "DELETE", f"/rest/posts/{urn}", member).status_code == 204
    assert api(fake_linkedin, "GET", f"/rest/posts/{urn}", member).status_code == 404
    assert fake_linkedin.live_posts() == []


# --- images --------------------------------------------------------------------------------------------------------


def test_image_is_processing_then_available_and_can_be_attached(fake_linkedin, member):
    fake_linkedin.clock.freeze()
    init = api(
        fake_linkedin,
        "POST",
        "/rest/images?action=initializeUpload",
        member,
        json={"initializeUploadRequest": {"owner": "urn:li:person:782bbtaQ"}},
    ).json()["value"]
    urn = init["image"]
    assert urn.startswith("urn:li:image:")
    assert init["uploadUrl"].startswith(fake_linkedin.base_url)
    put = requests.put(init["uploadUrl"], data=b"\x89PNG...", headers={"Authorization": f"Bearer {member}"}, timeout=5)
    assert put.status_code == 201

    def status():
        return api(fake_linkedin, "GET", f"/rest/images/{urn}", member).json()["status"]

    assert status() == "PROCESSING"
    fake_linkedin.clock.advance(fake_linkedin.image_processing_seconds)
    assert status() == "AVAILABLE"
    media = {"media": {"id": urn, "altText": "A chart"}}
    assert publish(fake_linkedin, member, "782bbtaQ", "With a chart", content=media).status_code == 201


# --- metrics -------------------------------------------------------------------------------------------------------


def analytics(fake, token, urn, metric):
    entity = f"(share:{urn.replace(':', '%3A')})"
    path = f"/rest/memberCreatorPostAnalytics?q=entity&entity={entity}&queryType={metric}&aggregation=TOTAL"
    return api(fake, "GET", path, token)


def count(fake, token, urn, metric):
    return sum(element["count"] for element in analytics(fake, token, urn, metric).json()["elements"])


def test_metrics_need_the_tokens_own_permission(fake_linkedin, member):
    basic = fake_linkedin.issue_token(uid="782bbtaQ", scopes="openid,profile,email,w_member_social")["access_token"]
    urn = publish(fake_linkedin, basic, "782bbtaQ", "Measured").headers["x-restli-id"]
    denied = analytics(fake_linkedin, basic, urn, "IMPRESSION")
    assert denied.status_code == 403
    assert denied.json()["code"] == "ACCESS_DENIED"
    # The app is approved for analytics; a token consented with the scope reads them, not one without.
    assert analytics(fake_linkedin, member, urn, "IMPRESSION").status_code == 200
    social = fake_linkedin.issue_token(uid="782bbtaQ", scopes="openid,profile,w_member_social,r_member_social")
    for path in (f"/rest/socialActions/{urn}", f"/rest/socialMetadata/{urn}"):
        assert api(fake_linkedin, "GET", path, member).status_code == 403
        assert api(fake_linkedin, "GET", path, social["access_token"]).status_code == 200


def test_a_consent_grants_the_metrics_scope_only_when_asked(fake_linkedin):
    fake_linkedin.auto_consent = "approve"
    for scope, granted in ((SCOPE, False), (f"{SCOPE} r_member_postAnalytics", True)):
        answer = exchange(fake_linkedin, callback(authorize(fake_linkedin, scope=scope))["code"]).json()
        assert ("r_member_postAnalytics" in answer["scope"].split(",")) is granted


def test_metrics_grow_deterministically_and_never_decrease(fake_linkedin, member):
    fake_linkedin.clock.freeze()
    urn = publish(fake_linkedin, member, "782bbtaQ", "Measured").headers["x-restli-id"]
    assert analytics(fake_linkedin, member, urn, "IMPRESSION").json()["elements"] == []

    metrics = ("IMPRESSION", "MEMBERS_REACHED", "REACTION")
    series = []
    for hours in (1, 5, 24, 24 * 7):
        fake_linkedin.clock.advance(hours * 3600)
        series.append([count(fake_linkedin, member, urn, metric) for metric in metrics])
        assert series[-1] == [count(fake_linkedin, member, urn, metric) for metric in metrics]

    for earlier, later in zip(series, series[1:], strict=False):
        assert all(a <= b for a, b in zip(earlier, later, strict=True))
    for impressions, reach, reactions in series:
        assert impressions >= reach >= reactions
    assert series[-1][0] > 0


def test_metrics_of_a_deleted_post_answer_404(fake_linkedin, member):
    member = fake_linkedin.issue_token(uid="782bbtaQ", scopes=f"{SCOPE} r_member_postAnalytics r_member_social")
    member = member["access_token"]
    urn = publish(fake_linkedin, member, "782bbtaQ", "Gone soon").headers["x-restli-id"]
    fake_linkedin.delete_remote(urn)
    assert analytics(fake_linkedin, member, urn, "IMPRESSION").status_code == 404
    assert api(fake_linkedin, "GET", f"/rest/socialActions/{urn}", member).status_code == 404


@pytest.mark.parametrize(("old", "shape"), [(False, "IMPRESSION"), (True, {OLD_METRIC_TYPE_KEY: "IMPRESSION"})])
def test_metric_type_in_its_new_and_old_shapes(fake_linkedin, member, old, shape):
    fake_linkedin.old_metric_type = old
    fake_linkedin.clock.freeze()
    urn = publish(fake_linkedin, member, "782bbtaQ", "Measured").headers["x-restli-id"]
    fake_linkedin.clock.advance(86400)
    [element] = analytics(fake_linkedin, member, urn, "IMPRESSION").json()["elements"]
    assert element["metricType"] == shape
    assert element["targetEntity"] == {"share": urn}


def test_social_actions_with_r_member_social(fake_linkedin):
    member = fake_linkedin.issue_token(uid="782bbtaQ", scopes=f"{SCOPE} r_member_social")["access_token"]
    fake_linkedin.clock.freeze()
    urn = publish(fake_linkedin, member, "782bbtaQ", "Measured").headers["x-restli-id"]
    fake_linkedin.clock.advance(7 * 86400)
    actions = api(fake_linkedin, "GET", f"/rest/socialActions/{urn}", member).json()
    metadata = api(fake_linkedin, "GET", f"/rest/socialMetadata/{urn}", member).json()
    assert actions["likesSummary"]["totalLikes"] == metadata["reactionSummaries"]["LIKE"]["count"] > 0
    assert actions["commentsSummary"]["aggregatedTotalComments"] == metadata["commentSummary"]["count"]


# --- sandbox plumbing ----------------------------------------------------------------------------------------------


def test_journal_redacts_the_authorization_header_and_secret_form_fields(fake_linkedin, member):
    fake_linkedin.auto_consent = "approve"
    exchange(fake_linkedin, callback(authorize(fake_linkedin))["code"])
    publish(fake_linkedin, member, "782bbtaQ", "Journaled")

    [post] = fake_linkedin.requests_to("POST", "/rest/posts")
    [token_call] = fake_linkedin.requests_to("POST", "/oauth/v2/accessToken")
    assert post.headers["authorization"] == "[redacted]"
    assert post.headers["linkedin-version"] == "202608"
    assert member not in repr(fake_linkedin.journal)
    assert "code=[redacted]" in token_call.body and "client_secret=[redacted]" in token_call.body


def test_sandbox_page_lists_received_posts_newest_first_escaped(fake_linkedin, member):
    publish(fake_linkedin, member, "782bbtaQ", "First post")
    publish(fake_linkedin, member, "782bbtaQ", r"Second \<b\>bold\</b\>")

    page = requests.get(f"{fake_linkedin.base_url}/_sandbox/", headers=control(fake_linkedin), timeout=5)

    assert page.status_code == 200
    assert '<html lang="en">' in page.text
    assert "Ada Lovelace" in page.text
    assert "&lt;b&gt;bold&lt;/b&gt;" in page.text and "<b>" not in page.text
    assert page.text.index("Second") < page.text.index("First post")


def test_knobs_and_reset_over_http(fake_linkedin, member):
    publish(fake_linkedin, member, "782bbtaQ", "Before reset")
    base, headers = fake_linkedin.base_url, control(fake_linkedin)
    knobs = requests.post(f"{base}/_sandbox/knobs", json={"old_metric_type": True}, headers=headers, timeout=5).json()
    assert knobs["old_metric_type"] is True
    assert "active_versions" in knobs and "202608" in knobs["active_versions"]

    requests.post(f"{base}/_sandbox/reset", headers=headers, timeout=5)

    assert fake_linkedin.posts == []
    assert publish(fake_linkedin, member, "782bbtaQ", "After reset").json() == INVALID_BODY


def test_admin_endpoints_and_the_full_page_need_the_control_secret(fake_linkedin, member):
    publish(fake_linkedin, member, "782bbtaQ", "Nobody else may read this")
    base = fake_linkedin.base_url
    for headers in ({}, {"X-Sandbox-Control": "guessed"}):
        assert requests.get(f"{base}/_sandbox/", headers=headers, timeout=5).status_code == 403
        assert requests.get(f"{base}/_sandbox/journal", headers=headers, timeout=5).status_code == 403
        for path, body in (("knobs", {"client_secret": "mine"}), ("clock", {"advance": 10}), ("reset", {})):
            refused = requests.post(f"{base}/_sandbox/{path}", json=body, headers=headers, timeout=5)
            assert refused.status_code == 403
            assert fake_linkedin.client_secret not in refused.text
    assert fake_linkedin.client_secret == "relais-sandbox-secret"
    assert len(fake_linkedin.live_posts()) == 1
    knobs = requests.post(f"{base}/_sandbox/knobs", json={}, headers=control(fake_linkedin), timeout=5)
    assert knobs.status_code == 200 and fake_linkedin.client_secret not in knobs.text


@pytest.mark.parametrize("action", ["allow", "cancel"])
def test_an_unregistered_redirect_uri_is_refused_on_the_fakes_page_even_on_cancel(fake_linkedin, action):
    """Exact match against the registered URIs, as LinkedIn does; nothing is ever sent to another address."""
    for redirect_uri in ("https://evil.example/cb", REDIRECT + "/", REDIRECT + "?next=https://evil.example"):
        assert authorize(fake_linkedin, redirect_uri=redirect_uri).status_code == 400
        params = {"response_type": "code", "client_id": fake_linkedin.client_id, "redirect_uri": redirect_uri}
        answer = requests.post(
            f"{fake_linkedin.base_url}/oauth/v2/authorization",
            params={**params, "state": "s", "scope": SCOPE},
            data={"action": action, "name": "Eve"},
            allow_redirects=False,
            timeout=5,
        )
        assert answer.status_code == 400
        assert "Location" not in answer.headers
        assert answer.headers["Content-Type"].startswith("text/html")


def test_a_fake_accepts_no_redirect_uri_until_one_is_registered():
    from ambassadors.sandbox.base import Request
    from ambassadors.sandbox.linkedin import FakeLinkedIn

    fake = FakeLinkedIn()
    query = {"response_type": "code", "client_id": fake.client_id, "redirect_uri": REDIRECT, "state": "s"}
    fake.auto_consent = "deny"
    refused = fake.dispatch(Request("GET", "/oauth/v2/authorization", query, {}, b""))
    assert refused.status == 400 and "Location" not in refused.headers
    fake.registered_redirect_uris = [REDIRECT]
    assert fake.dispatch(Request("GET", "/oauth/v2/authorization", query, {}, b"")).status == 302
