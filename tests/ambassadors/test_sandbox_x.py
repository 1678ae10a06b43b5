"""The fake X keeps the wire contract of provider-contracts.md §2 and §4, over real HTTP."""

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from ambassadors.sandbox.x import CODE_INVALID, DAY, DUPLICATE, TOKEN_INVALID, TOO_LONG
from tests.ambassadors.conftest import control

REDIRECT = "https://relais.example/connect/x/callback"
SCOPES = "tweet.read tweet.write users.read offline.access media.write"


def challenge(verifier):
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


def authorize(fake_x, verifier, *, redirect_uri=REDIRECT, state="state-1", scope=SCOPES):
    params = {
        "response_type": "code",
        "client_id": fake_x.client_id,
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": state,
        "code_challenge": challenge(verifier),
        "code_challenge_method": "S256",
    }
    return requests.get(f"{fake_x.base_url}/i/oauth2/authorize", params=params, allow_redirects=False)


def callback(response):
    assert response.status_code == 302
    return {key: values[0] for key, values in parse_qs(urlsplit(response.headers["Location"]).query).items()}


def code_for(fake_x, verifier, **kwargs):
    fake_x.auto_consent = "approve"
    return callback(authorize(fake_x, verifier, **kwargs))["code"]


def token_call(fake_x, auth=None, **form):
    auth = auth if auth is not None else (fake_x.client_id, fake_x.client_secret)
    return requests.post(f"{fake_x.base_url}/2/oauth2/token", data=form, auth=auth or None)


def exchange(fake_x, code, verifier, redirect_uri=REDIRECT, **kwargs):
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "code_verifier": verifier}
    return token_call(fake_x, **form, **kwargs)


def api(fake_x, method, path, token, **kwargs):
    return requests.request(method, f"{fake_x.base_url}{path}", headers={"Authorization": f"Bearer {token}"}, **kwargs)


def post(fake_x, token, text, **body):
    return api(fake_x, "POST", "/2/tweets", token, json={"text": text, **body})


@pytest.fixture
def token(fake_x):
    return fake_x.issue_token(uid="1001", name="Ada Lovelace", username="ada", expires_in=30 * DAY)["access_token"]


# --- consent -------------------------------------------------------------------------------------------------------


def test_approve_redirects_at_once_with_state_and_code(fake_x):
    fake_x.auto_consent = "approve"
    query = callback(authorize(fake_x, "v" * 43, state="xyz"))
    assert query["state"] == "xyz"
    assert query["code"]


def test_deny_redirects_with_access_denied_and_state(fake_x):
    fake_x.auto_consent = "deny"
    assert callback(authorize(fake_x, "v" * 43, state="xyz")) == {"error": "access_denied", "state": "xyz"}


def test_consent_page_is_an_escaped_form_whose_buttons_post_back(fake_x):
    verifier = "v" * 43
    page = authorize(fake_x, verifier, state="<script>alert(1)</script>")
    assert page.status_code == 200
    assert '<html lang="en">' in page.text
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;" in page.text
    form = {key: values[0] for key, values in parse_qs(urlsplit(page.url).query).items()}
    url = f"{fake_x.base_url}/i/oauth2/authorize"

    cancelled = requests.post(url, data={**form, "decision": "cancel"}, allow_redirects=False)
    assert callback(cancelled)["error"] == "access_denied"

    typed = {**form, "decision": "authorize", "name": "Grace Hopper", "username": "grace"}
    code = callback(requests.post(url, data=typed, allow_redirects=False))["code"]
    access_token = exchange(fake_x, code, verifier).json()["access_token"]
    me = api(fake_x, "GET", "/2/users/me", access_token).json()["data"]
    assert (me["name"], me["username"]) == ("Grace Hopper", "grace")
    assert len(me["id"]) == 19


def test_unregistered_redirect_uri_gets_an_error_page_not_a_redirect(fake_x):
    fake_x.registered_redirect_uris = [REDIRECT]
    fake_x.auto_consent = "approve"
    assert authorize(fake_x, "v" * 43, redirect_uri=REDIRECT + "/other").status_code == 400


# --- token endpoint ------------------------------------------------------------------------------------------------


def test_code_exchange_gives_the_documented_shape(fake_x):
    verifier = secrets.token_urlsafe(48)
    answer = exchange(fake_x, code_for(fake_x, verifier), verifier).json()
    assert set(answer) == {"token_type", "expires_in", "access_token", "scope", "refresh_token"}
    assert (answer["token_type"], answer["expires_in"], answer["scope"]) == ("bearer", 7200, SCOPES)


def test_bad_pkce_verifier_is_refused_with_the_exact_message(fake_x):
    code = code_for(fake_x, "a" * 43)
    response = exchange(fake_x, code, "b" * 43)
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_request", "error_description": CODE_INVALID}


def test_code_is_valid_30_fake_seconds(fake_x):
    verifier = "a" * 43
    fresh = code_for(fake_x, verifier)
    stale = code_for(fake_x, verifier)
    fake_x.clock.advance(29)
    assert exchange(fake_x, fresh, verifier).status_code == 200
    fake_x.clock.advance(2)
    assert exchange(fake_x, stale, verifier).json()["error_description"] == CODE_INVALID


def test_code_is_single_use(fake_x):
    verifier = "a" * 43
    code = code_for(fake_x, verifier)
    assert exchange(fake_x, code, verifier).status_code == 200
    assert exchange(fake_x, code, verifier).json()["error_description"] == CODE_INVALID


def test_exchange_redirect_uri_must_match_the_authorize_one_exactly(fake_x):
    verifier = "a" * 43
    code = code_for(fake_x, verifier)
    assert exchange(fake_x, code, verifier, redirect_uri=REDIRECT + "/").json()["error_description"] == CODE_INVALID


@pytest.mark.parametrize("auth", [False, ("relais-sandbox", "wrong"), ("someone-else", "relais-sandbox-secret")])
def test_token_endpoint_requires_basic_client_auth(fake_x, auth):
    verifier = "a" * 43
    response = exchange(fake_x, code_for(fake_x, verifier), verifier, auth=auth)
    assert response.status_code == 401
    assert response.json() == {
        "error": "unauthorized_client",
        "error_description": "Missing valid authorization header",
    }


def test_access_token_lives_7200_fake_seconds(fake_x):
    token = fake_x.issue_token(uid="1001")["access_token"]
    fake_x.clock.advance(7199)
    assert api(fake_x, "GET", "/2/users/me", token).status_code == 200
    fake_x.clock.advance(2)
    response = api(fake_x, "GET", "/2/users/me", token)
    assert response.status_code == 401
    assert response.json() == {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}


def test_refresh_rotates_the_pair_and_the_old_refresh_token_dies_at_once(fake_x):
    first = fake_x.issue_token(uid="1001")
    second = token_call(fake_x, grant_type="refresh_token", refresh_token=first["refresh_token"]).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    reused = token_call(fake_x, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert reused.status_code == 400
    assert reused.json() == {"error": "invalid_request", "error_description": TOKEN_INVALID}
    # Without the chain flag the rotated pair survives the reuse.
    assert api(fake_x, "GET", "/2/users/me", second["access_token"]).status_code == 200
    assert token_call(fake_x, grant_type="refresh_token", refresh_token=second["refresh_token"]).status_code == 200


def test_reusing_a_spent_refresh_token_kills_the_chain_when_the_flag_is_on(fake_x):
    fake_x.revoke_chain_on_reuse = True
    first = fake_x.issue_token(uid="1001")
    second = token_call(fake_x, grant_type="refresh_token", refresh_token=first["refresh_token"]).json()
    assert token_call(fake_x, grant_type="refresh_token", refresh_token=first["refresh_token"]).status_code == 400
    assert api(fake_x, "GET", "/2/users/me", second["access_token"]).status_code == 401
    assert token_call(fake_x, grant_type="refresh_token", refresh_token=second["refresh_token"]).status_code == 400


def test_revoke_member_kills_every_token_of_that_member(fake_x):
    answer = fake_x.issue_token(uid="1001")
    other = fake_x.issue_token(uid="2002")["access_token"]
    fake_x.revoke_member("1001")
    assert api(fake_x, "GET", "/2/users/me", answer["access_token"]).status_code == 401
    refused = token_call(fake_x, grant_type="refresh_token", refresh_token=answer["refresh_token"])
    assert refused.json()["error_description"] == TOKEN_INVALID
    assert api(fake_x, "GET", "/2/users/me", other).status_code == 200


def test_revoke_endpoint_kills_the_token(fake_x, token):
    response = requests.post(
        f"{fake_x.base_url}/2/oauth2/revoke", data={"token": token}, auth=(fake_x.client_id, fake_x.client_secret)
    )
    assert response.json() == {"revoked": True}
    assert api(fake_x, "GET", "/2/users/me", token).status_code == 401


def test_identity_answers_the_seeded_member(fake_x, token):
    assert api(fake_x, "GET", "/2/users/me", token).json() == {
        "data": {"id": "1001", "name": "Ada Lovelace", "username": "ada"}
    }


# --- publishing ----------------------------------------------------------------------------------------------------


def test_publish_echoes_tco_links_and_stores_the_text_sent(fake_x, token):
    text = "Our Q3 report is out https://example.com/q3"
    response = post(fake_x, token, text)
    assert response.status_code == 201
    data = response.json()["data"]
    assert len(data["id"]) == 19 and data["id"].isdigit()
    assert data["text"].startswith("Our Q3 report is out https://t.co/")
    assert data["edit_history_tweet_ids"] == [data["id"]]
    [stored] = fake_x.live_posts("1001")
    assert (stored.id, stored.sent_text, stored.text, stored.link) == (data["id"], text, text, "https://example.com/q3")
    read = api(fake_x, "GET", f"/2/tweets/{data['id']}", token, params={"tweet.fields": "entities"}).json()["data"]
    assert read["entities"]["urls"][0]["expanded_url"] == "https://example.com/q3"


@pytest.mark.parametrize("scopes", ["tweet.read users.read offline.access", "tweet.read tweet.write users.read"])
def test_missing_scope_is_a_bare_403(fake_x, scopes):
    access_token = fake_x.issue_token(uid="1001", scopes=scopes)["access_token"]
    if "tweet.write" in scopes:
        response = api(fake_x, "POST", "/2/media/upload", access_token, files={"media": b"png"})
    else:
        response = post(fake_x, access_token, "Hello")
    assert response.status_code == 403
    assert response.json()["detail"] == "Forbidden"


@pytest.mark.parametrize("status", [400, 403])
def test_too_long_text_is_refused_with_the_configured_status(fake_x, token, status):
    fake_x.too_long_status = status
    # Every URL weighs 23, however long: 257 + 1 + 23 = 281.
    response = post(fake_x, token, "a" * 257 + " https://example.com/" + "p" * 10)
    assert response.status_code == status
    assert response.json()["detail"] == TOO_LONG
    assert post(fake_x, token, "a" * 256 + " https://example.com/" + "p" * 100).status_code == 201


def test_two_cashtags_are_an_invalid_request(fake_x, token):
    response = post(fake_x, token, "Buying $ACME and $TSLA")
    assert response.status_code == 400
    assert response.json()["type"] == "https://api.twitter.com/2/problems/invalid-request"
    assert response.json()["errors"][0]["message"]
    assert post(fake_x, token, "Buying $ACME").status_code == 201


def test_five_media_are_an_invalid_request(fake_x, token):
    ids = [api(fake_x, "POST", "/2/media/upload", token, files={"media": b"png"}).json()["data"]["id"] for _ in "12345"]
    assert post(fake_x, token, "Five", media={"media_ids": ids}).status_code == 400
    assert post(fake_x, token, "Four", media={"media_ids": ids[:4]}).status_code == 201


def test_media_id_is_usable_only_by_the_member_who_uploaded_it(fake_x, token):
    media_id = api(fake_x, "POST", "/2/media/upload", token, files={"media": b"png"}).json()["data"]["id"]
    other = fake_x.issue_token(uid="2002")["access_token"]
    assert post(fake_x, other, "Borrowed", media={"media_ids": [media_id]}).status_code == 400
    assert post(fake_x, token, "Mine", media={"media_ids": [media_id]}).status_code == 201


def test_duplicate_text_is_refused_inside_the_window_only(fake_x, token):
    assert post(fake_x, token, "Same words").status_code == 201
    other = fake_x.issue_token(uid="2002")["access_token"]
    assert post(fake_x, other, "Same words").status_code == 201
    refused = post(fake_x, token, "Same words")
    assert refused.status_code == 403
    assert refused.json()["detail"] == DUPLICATE
    fake_x.clock.advance(DAY + 1)
    assert post(fake_x, token, "Same words").status_code == 201


def test_every_answer_carries_the_15_minute_window_and_429_names_its_reset(fake_x, token):
    fake_x.clock.freeze()
    fake_x.user_window_limit = 2
    first = post(fake_x, token, "one")
    assert first.headers["x-rate-limit-limit"] == "2"
    assert first.headers["x-rate-limit-remaining"] == "1"
    reset = int(first.headers["x-rate-limit-reset"])
    assert reset == int(fake_x.clock.now() + 900)
    refused_content = post(fake_x, token, "a" * 300)
    assert refused_content.headers["x-rate-limit-remaining"] == "0"
    limited = post(fake_x, token, "three")
    assert limited.status_code == 429
    assert limited.json() == {
        "title": "Too Many Requests",
        "detail": "Too Many Requests",
        "type": "about:blank",
        "status": 429,
    }
    assert int(limited.headers["x-rate-limit-reset"]) == reset
    assert "x-rate-limit-remaining" in api(fake_x, "GET", "/2/users/me", token).headers
    fake_x.clock.advance(901)
    assert post(fake_x, token, "four").status_code == 201


def test_daily_caps_count_posts_for_24_hours(fake_x, token):
    fake_x.clock.freeze()
    fake_x.user_daily_limit = 2
    fake_x.app_daily_limit = 17
    assert post(fake_x, token, "one").headers["x-user-limit-24hour-remaining"] == "1"
    second = post(fake_x, token, "two")
    assert second.headers["x-user-limit-24hour-remaining"] == "0"
    assert second.headers["x-app-limit-24hour-remaining"] == "15"
    limited = post(fake_x, token, "three")
    assert limited.status_code == 429
    assert int(limited.headers["x-user-limit-24hour-reset"]) == int(fake_x.clock.now() + DAY)
    fake_x.clock.advance(DAY)
    assert post(fake_x, token, "three").status_code == 201


def test_a_429_of_the_15_minute_window_carries_the_24_hour_headers_too(fake_x, token):
    fake_x.clock.freeze()
    fake_x.user_window_limit = 1
    fake_x.user_daily_limit = 17
    assert post(fake_x, token, "one").status_code == 201
    limited = post(fake_x, token, "two")
    assert limited.status_code == 429
    assert limited.headers["x-rate-limit-remaining"] == "0"
    assert int(limited.headers["x-rate-limit-reset"]) == int(fake_x.clock.now() + 900)
    assert limited.headers["x-user-limit-24hour-remaining"] == "16"
    assert int(limited.headers["x-user-limit-24hour-reset"]) == int(fake_x.clock.now() + DAY)


def test_credits_pay_for_posts_and_run_out_with_a_402(fake_x, token):
    fake_x.credits = 0.215
    assert post(fake_x, token, "With a link https://example.com").status_code == 201
    assert fake_x.credits == pytest.approx(0.015)
    assert post(fake_x, token, "Plain").status_code == 201
    depleted = post(fake_x, token, "Plain again")
    assert depleted.status_code == 402
    assert depleted.json()["title"] == "CreditsDepleted"


def test_monthly_usage_cap_is_a_usage_capped_429(fake_x, token):
    fake_x.monthly_cap = 1
    assert post(fake_x, token, "one").status_code == 201
    capped = post(fake_x, token, "two")
    assert capped.status_code == 429
    body = capped.json()
    assert {key: body[key] for key in ("title", "type", "period", "scope")} == {
        "title": "UsageCapExceeded",
        "type": "https://api.twitter.com/2/problems/usage-capped",
        "period": "Monthly",
        "scope": "Product",
    }


def test_reply_is_refused_by_the_self_serve_rules(fake_x, token):
    response = post(fake_x, token, "Hi", reply={"in_reply_to_tweet_id": "1445880548472328192"})
    assert response.status_code == 403
    assert "Reply to this conversation is not allowed" in response.json()["detail"]


def test_commit_then_503_stores_the_post_first(fake_x, token):
    fake_x.set_faults("publish", script=["commit-then-503"])
    assert post(fake_x, token, "Landed anyway").status_code == 503
    assert [p.sent_text for p in fake_x.live_posts("1001")] == ["Landed anyway"]


def test_commit_then_drop_stores_the_post_and_closes_the_connection(fake_x, token):
    fake_x.set_faults("publish", script=["commit-then-drop"])
    with pytest.raises(requests.ConnectionError):
        post(fake_x, token, "Landed anyway")
    assert [p.sent_text for p in fake_x.live_posts("1001")] == ["Landed anyway"]


def test_delete_marks_the_post_deleted_and_read_back_404s(fake_x, token):
    post_id = post(fake_x, token, "Short-lived").json()["data"]["id"]
    assert api(fake_x, "DELETE", f"/2/tweets/{post_id}", token).json() == {"data": {"deleted": True}}
    assert fake_x.live_posts() == []
    assert api(fake_x, "GET", f"/2/tweets/{post_id}", token).status_code == 404


# --- reading -------------------------------------------------------------------------------------------------------


def lookup(fake_x, token, ids):
    params = {"ids": ",".join(ids), "tweet.fields": "public_metrics,created_at"}
    return api(fake_x, "GET", "/2/tweets", token, params=params)


def test_public_metrics_grow_monotonically_and_stay_consistent(fake_x, token):
    fake_x.clock.freeze()
    ids = [post(fake_x, token, f"Post {n}").json()["data"]["id"] for n in range(5)]
    previous = {}
    for _ in range(12):
        fake_x.clock.advance(2 * 3600)
        for item in lookup(fake_x, token, ids).json()["data"]:
            metrics = item["public_metrics"]
            assert metrics["impression_count"] >= metrics["like_count"] >= metrics["reply_count"]
            assert metrics["like_count"] >= metrics["retweet_count"] >= metrics["quote_count"]
            for key, value in metrics.items():
                assert value >= previous.get((item["id"], key), 0)
                previous[(item["id"], key)] = value
    assert any(value > 0 for (_, key), value in previous.items() if key == "like_count")
    again = {item["id"]: item["public_metrics"] for item in lookup(fake_x, token, ids).json()["data"]}
    assert again == {item_id: {key: previous[(item_id, key)] for key in again[item_id]} for item_id in ids}


def test_lookup_refuses_more_than_100_ids(fake_x, token):
    assert lookup(fake_x, token, [str(10**18 + n) for n in range(100)]).status_code == 200
    response = lookup(fake_x, token, [str(10**18 + n) for n in range(101)])
    assert response.status_code == 400
    assert response.json()["type"] == "https://api.twitter.com/2/problems/invalid-request"


def test_lookup_answers_deleted_and_unknown_ids_in_errors(fake_x, token):
    kept, gone = (post(fake_x, token, text).json()["data"]["id"] for text in ("kept", "gone"))
    fake_x.delete_remote(gone)
    unknown = "1445880548472328193"
    body = lookup(fake_x, token, [kept, gone, unknown]).json()
    assert [item["id"] for item in body["data"]] == [kept]
    assert body["data"][0]["created_at"].endswith("Z")
    assert {error["resource_id"] for error in body["errors"]} == {gone, unknown}
    assert {error["type"] for error in body["errors"]} == {"https://api.twitter.com/2/problems/resource-not-found"}


def test_new_field_names_flag_renames_retweets_to_reposts(fake_x, token):
    fake_x.new_field_names = True
    post_id = post(fake_x, token, "Renamed").json()["data"]["id"]
    item = lookup(fake_x, token, [post_id]).json()["data"][0]
    assert "repost_count" in item["public_metrics"] and "retweet_count" not in item["public_metrics"]
    assert item["edit_history_post_ids"] == [post_id]


def test_user_posts_lists_the_latest_live_posts_newest_first(fake_x, token):
    ids = [post(fake_x, token, f"Post {n}").json()["data"]["id"] for n in range(7)]
    fake_x.delete_remote(ids[-1])
    body = api(fake_x, "GET", "/2/users/1001/tweets", token, params={"max_results": 5}).json()
    assert [item["id"] for item in body["data"]] == list(reversed(ids[1:6]))
    assert body["meta"]["result_count"] == 5


# --- the sandbox's own endpoints -----------------------------------------------------------------------------------


def test_journal_redacts_authorization_and_token_form_fields(fake_x):
    verifier = "secret-verifier-" + "a" * 30
    code = code_for(fake_x, verifier)
    answer = exchange(fake_x, code, verifier).json()
    api(fake_x, "GET", "/2/users/me", answer["access_token"])
    journal = requests.get(f"{fake_x.base_url}/_sandbox/journal", headers=control(fake_x)).text
    assert '"path": "/2/oauth2/token"' in journal
    basic = base64.b64encode(f"{fake_x.client_id}:{fake_x.client_secret}".encode()).decode()
    for secret in (verifier, code, answer["access_token"], basic, "Basic", "Bearer"):
        assert secret not in journal
    [entry] = fake_x.requests_to("POST", "/2/oauth2/token")
    assert entry.headers["authorization"] == "[redacted]"


def test_knobs_clock_and_reset_over_http(fake_x, token):
    base, headers = fake_x.base_url, control(fake_x)
    knobs = requests.post(f"{base}/_sandbox/knobs", json={"too_long_status": 400}, headers=headers).json()
    assert knobs["too_long_status"] == 400
    assert requests.post(f"{base}/_sandbox/knobs", json={"nope": 1}, headers=headers).status_code == 400
    post(fake_x, token, "Before reset")
    requests.post(f"{base}/_sandbox/clock", json={"advance": 10}, headers=headers)
    requests.post(f"{base}/_sandbox/reset", headers=headers)
    assert fake_x.posts == [] and fake_x.too_long_status == 400
    assert api(fake_x, "GET", "/2/users/me", token).status_code == 401


def test_sandbox_page_shows_what_x_received_newest_first_escaped(fake_x, token):
    fake_x.clock.freeze()
    post(fake_x, token, "First <b>post</b>")
    fake_x.clock.advance(60)
    gone = post(fake_x, token, "Second post").json()["data"]["id"]
    fake_x.delete_remote(gone)
    page = requests.get(f"{fake_x.base_url}/_sandbox/", headers=control(fake_x))
    assert page.status_code == 200
    assert '<html lang="en">' in page.text
    assert "<b>post</b>" not in page.text and "First &lt;b&gt;post&lt;/b&gt;" in page.text
    assert page.text.index("Second post") < page.text.index("First")
    assert "deleted" in page.text and "@ada" in page.text


def test_admin_endpoints_and_the_full_page_need_the_control_secret(fake_x, token):
    post(fake_x, token, "Nobody else may read this")
    base = fake_x.base_url
    for headers in ({}, {"X-Sandbox-Control": "guessed"}):
        for path in ("/", "/_sandbox/", "/_sandbox/journal"):
            refused = requests.get(f"{base}{path}", headers=headers)
            assert refused.status_code == 403 and "Nobody else" not in refused.text
        for path, body in (
            ("knobs", {"client_secret": "mine"}),
            ("faults", {"publish": {"error_rate": 1}}),
            ("reset", {}),
        ):
            refused = requests.post(f"{base}/_sandbox/{path}", json=body, headers=headers)
            assert refused.status_code == 403 and fake_x.client_secret not in refused.text
    assert (fake_x.client_secret, fake_x.faults) == ("relais-sandbox-secret", {})
    assert len(fake_x.live_posts()) == 1
    knobs = requests.post(f"{base}/_sandbox/knobs", json={}, headers=control(fake_x))
    assert knobs.status_code == 200 and fake_x.client_secret not in knobs.text


@pytest.mark.parametrize("decision", ["authorize", "cancel"])
def test_an_unregistered_redirect_uri_is_refused_on_the_fakes_page_even_on_cancel(fake_x, decision):
    for redirect_uri in ("https://evil.example/cb", REDIRECT + "/", REDIRECT.upper()):
        assert authorize(fake_x, "v" * 43, redirect_uri=redirect_uri).status_code == 400
        form = {
            "response_type": "code",
            "client_id": fake_x.client_id,
            "redirect_uri": redirect_uri,
            "scope": SCOPES,
            "state": "s",
            "code_challenge": challenge("v" * 43),
            "code_challenge_method": "S256",
            "decision": decision,
        }
        answer = requests.post(f"{fake_x.base_url}/i/oauth2/authorize", data=form, allow_redirects=False)
        assert answer.status_code == 400
        assert "Location" not in answer.headers
        assert answer.headers["Content-Type"].startswith("text/html")


def test_a_fake_accepts_no_redirect_uri_until_one_is_registered():
    from ambassadors.sandbox.base import Request
    from ambassadors.sandbox.x import FakeX

    fake = FakeX()
    query = {
        "response_type": "code",
        "client_id": fake.client_id,
        "redirect_uri": REDIRECT,
        "state": "s",
        "code_challenge": "c",
        "code_challenge_method": "S256",
    }
    fake.auto_consent = "deny"
    refused = fake.dispatch(Request("GET", "/i/oauth2/authorize", query, {}, b""))
    assert refused.status == 400 and "Location" not in refused.headers
    fake.registered_redirect_uris = [REDIRECT]
    assert fake.dispatch(Request("GET", "/i/oauth2/authorize", query, {}, b"")).status == 302
