"""The X client against the fake X over real HTTP: each answer of provider-contracts.md §2 becomes one outcome."""

import logging
import os
import re
import secrets
import socket
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from ambassadors.providers import get_provider
from ambassadors.providers.base import (
    AuthExpired,
    AuthorizationFailed,
    OutcomeUnknown,
    ProviderConfigError,
    RateLimited,
    ReconnectRequired,
    Rejected,
    ShareRequest,
    Transient,
    allow_sandbox_http,
)
from ambassadors.providers.x import XProvider
from ambassadors.sandbox.base import Response
from ambassadors.sandbox.x import DAY

REDIRECT = "https://relais.example/connect/x/callback"
UID = "1001"


@pytest.fixture
def provider(fake_x):
    return get_provider("x")


@pytest.fixture
def token(fake_x):
    return fake_x.issue_token(uid=UID, username="ada", expires_in=30 * DAY)["access_token"]


def share(text, **kwargs):
    return ShareRequest(author_uid=UID, text=text, **kwargs)


def connect(fake_x, provider):
    """The whole connect flow as the callback view runs it; returns the TokenSet."""
    fake_x.auto_consent = "approve"
    verifier = secrets.token_urlsafe(48)
    url = provider.authorization_url(redirect_uri=REDIRECT, state="st", code_verifier=verifier)
    location = requests.get(url, allow_redirects=False).headers["Location"]
    query = {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}
    assert provider.parse_callback_error(query) is None
    return provider.exchange_code(code=query["code"], redirect_uri=REDIRECT, code_verifier=verifier)


def test_connect_flow_gives_tokens_and_identity(fake_x, provider):
    fake_x.consent_identity = {"id": "2244994945", "name": "X Developers", "username": "XDevelopers"}
    tokens = connect(fake_x, provider)
    assert tokens.refresh_token
    assert 7190 < (tokens.expires_at - datetime.now(UTC)).total_seconds() <= 7200
    assert set(tokens.scopes) == {"tweet.read", "tweet.write", "users.read", "offline.access", "media.write"}
    identity = provider.identity(access_token=tokens.access_token)
    assert (identity.uid, identity.name, identity.username) == ("2244994945", "X Developers", "XDevelopers")


@pytest.mark.parametrize(("sandbox", "url"), [(False, "http://127.0.0.1:9/x"), (True, "https://x.com/i/oauth2")])
def test_oauthlib_accepts_plain_http_only_for_the_sandbox(settings, monkeypatch, sandbox, url):
    monkeypatch.delenv("OAUTHLIB_INSECURE_TRANSPORT", raising=False)
    settings.RELAIS_SANDBOX_NETWORKS = sandbox

    allow_sandbox_http(url)

    assert "OAUTHLIB_INSECURE_TRANSPORT" not in os.environ


def test_authorization_url_carries_state_scopes_and_an_s256_challenge(provider):
    url = provider.authorization_url(redirect_uri=REDIRECT, state="st", code_verifier="v" * 43)
    query = {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
    assert query["state"] == "st"
    assert query["code_challenge_method"] == "S256"
    assert query["code_challenge"] != "v" * 43
    assert query["scope"] == "tweet.read tweet.write users.read offline.access media.write"
    assert query["redirect_uri"] == REDIRECT


def test_callback_refusal_is_an_authorization_failure(provider):
    error = provider.parse_callback_error({"error": "access_denied", "state": "st"})
    assert isinstance(error, AuthorizationFailed)
    assert error.code == "access_denied"


def test_refresh_returns_the_rotated_pair_and_the_spent_token_means_reconnect(fake_x, provider):
    first = fake_x.issue_token(uid=UID)
    rotated = provider.refresh(refresh_token=first["refresh_token"])
    assert rotated.refresh_token and rotated.refresh_token != first["refresh_token"]
    assert provider.identity(access_token=rotated.access_token).uid == UID
    with pytest.raises(ReconnectRequired):
        provider.refresh(refresh_token=first["refresh_token"])
    assert provider.refresh(refresh_token=rotated.refresh_token).refresh_token


def test_refresh_answer_without_refresh_token_leaves_it_to_the_caller(fake_x, provider):
    def no_rotation(request):
        return Response.json({"token_type": "bearer", "expires_in": 7200, "access_token": "new", "scope": "tweet.read"})

    fake_x.routes.insert(0, ("POST", re.compile("^/2/oauth2/token$"), "token", no_rotation))
    tokens = provider.refresh(refresh_token="kept")
    assert tokens.refresh_token is None
    assert tokens.access_token == "new"


def test_revoke_ends_the_grant(fake_x, provider):
    answer = fake_x.issue_token(uid=UID)
    provider.revoke(token=answer["refresh_token"])
    with pytest.raises(AuthExpired):
        provider.identity(access_token=answer["access_token"])


# --- publishing ----------------------------------------------------------------------------------------------------


def test_publish_returns_the_id_and_a_permalink(fake_x, provider, token):
    published = provider.publish(access_token=token, share=share("Our Q3 report is out"))
    [post] = fake_x.live_posts(UID)
    assert published.external_id == post.id
    assert published.url == f"{fake_x.base_url}/i/web/status/{post.id}"
    assert len(fake_x.requests_to("POST", "/2/tweets")) == 1


def test_publish_appends_the_link_only_when_the_text_lacks_it(fake_x, provider, token):
    provider.publish(access_token=token, share=share("Read this", link="https://example.com/a"))
    provider.publish(access_token=token, share=share("See https://example.com/b now", link="https://example.com/b"))
    assert [post.sent_text for post in fake_x.live_posts(UID)] == [
        "Read this https://example.com/a",
        "See https://example.com/b now",
    ]


def test_publish_with_an_image_uploads_then_attaches_it(fake_x, provider, token):
    provider.publish(access_token=token, share=share("Look", image=b"\x89PNG\r\n", image_alt="A chart"))
    [post] = fake_x.live_posts(UID)
    assert len(post.media_ids) == 1
    assert fake_x.media[post.media_ids[0]][0] == UID


def test_delete_removes_the_post_and_deleting_again_is_fine(fake_x, provider, token):
    published = provider.publish(access_token=token, share=share("Short-lived"))
    provider.delete(access_token=token, external_id=published.external_id)
    provider.delete(access_token=token, external_id=published.external_id)
    assert fake_x.live_posts() == []


def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def unreachable(fake_x, settings):
    settings.RELAIS_X_API_URL = f"http://127.0.0.1:{closed_port()}"


def expired(fake_x, settings):
    fake_x.clock.advance(31 * DAY)


def knob(**values):
    def apply(fake_x, settings):
        for name, value in values.items():
            setattr(fake_x, name, value)

    return apply


def fault(route, *script, slow_seconds=3.0):
    def apply(fake_x, settings):
        fake_x.set_faults(route, script=list(script), slow_seconds=slow_seconds)

    return apply


def publish(provider, token, fake_x, text="Hello from Relais"):
    provider.publish(access_token=token, share=share(text))


def duplicate(provider, token, fake_x):
    publish(provider, token, fake_x, "Twice")
    publish(provider, token, fake_x, "Twice")


def too_long(provider, token, fake_x):
    publish(provider, token, fake_x, "a" * 281)


def cashtags(provider, token, fake_x):
    publish(provider, token, fake_x, "$ACME beats $TSLA")


def reply(provider, token, fake_x):
    provider._call("POST", "/2/tweets", token, write=True, json={"text": "Hi", "reply": {"in_reply_to_tweet_id": "1"}})


def without_write_scope(provider, token, fake_x):
    narrow = fake_x.issue_token(uid=UID, scopes="tweet.read users.read offline.access")["access_token"]
    publish(provider, narrow, fake_x)


def read_metrics(provider, token, fake_x):
    provider.metrics(access_token=token, external_ids=["1445880548472328192"])


def identity(provider, token, fake_x):
    provider.identity(access_token=token)


def refresh_dead(provider, token, fake_x):
    answer = fake_x.issue_token(uid=UID)
    fake_x.revoke_member(UID)
    provider.refresh(refresh_token=answer["refresh_token"])


def refresh(provider, token, fake_x):
    provider.refresh(refresh_token=fake_x.issue_token(uid=UID)["refresh_token"])


def bad_code(provider, token, fake_x):
    provider.exchange_code(code="nope", redirect_uri=REDIRECT, code_verifier="v" * 43)


def two_posts(provider, token, fake_x):
    publish(provider, token, fake_x, "one")
    publish(provider, token, fake_x, "two")


CASES = {
    "publish 500": (fault("publish", 500), publish, OutcomeUnknown),
    "publish 503": (fault("publish", 503), publish, OutcomeUnknown),
    "publish 504": (fault("publish", 504), publish, OutcomeUnknown),
    "publish stored then 503": (fault("publish", "commit-then-503"), publish, OutcomeUnknown),
    "publish stored then dropped": (fault("publish", "commit-then-drop"), publish, OutcomeUnknown),
    "publish stored then slow": (fault("publish", "slow-after"), publish, OutcomeUnknown),
    "publish slow before storing": (fault("publish", "slow-before"), publish, OutcomeUnknown),
    "publish refused connection": (unreachable, publish, Transient),
    "read 503": (fault("metrics", 503), read_metrics, Transient),
    "read 502": (fault("identity", 502), identity, Transient),
    "read slow": (fault("identity", "slow-before"), identity, Transient),
    "expired token": (expired, publish, AuthExpired),
    "duplicate": (None, duplicate, Rejected),
    "too long 403": (knob(too_long_status=403), too_long, Rejected),
    "too long 400": (knob(too_long_status=400), too_long, Rejected),
    "two cashtags": (None, cashtags, Rejected),
    "reply not allowed": (None, reply, Rejected),
    "suspended": (knob(suspended_uids=[UID]), publish, Rejected),
    "missing scope": (None, without_write_scope, ReconnectRequired),
    "client forbidden": (knob(client_forbidden=True), publish, ProviderConfigError),
    "15-minute window": (knob(user_window_limit=1), two_posts, RateLimited),
    "24-hour cap": (knob(user_daily_limit=1), two_posts, RateLimited),
    "usage cap": (knob(monthly_cap=0), publish, ProviderConfigError),
    "credits": (knob(credits=0.0), publish, ProviderConfigError),
    "refresh token revoked": (None, refresh_dead, ReconnectRequired),
    "token endpoint 503": (fault("token", 503), refresh, Transient),
    "token endpoint slow": (fault("token", "slow-before"), refresh, Transient),
    "wrong client secret": (knob(client_secret="rotated"), refresh, ProviderConfigError),
    "bad code": (None, bad_code, AuthorizationFailed),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_each_answer_maps_to_its_outcome(fake_x, token, settings, fast_timeouts, case):
    setup, action, expected = CASES[case]
    if setup is not None:
        setup(fake_x, settings)
    with pytest.raises(expected) as raised:
        action(get_provider("x"), token, fake_x)
    assert type(raised.value) is expected


def test_outcome_details(fake_x, provider, token):
    with pytest.raises(Rejected) as raised:
        duplicate(provider, token, fake_x)
    assert raised.value.duplicate and "duplicate content" in raised.value.detail
    with pytest.raises(Rejected) as raised:
        too_long(provider, token, fake_x)
    assert (raised.value.code, raised.value.duplicate) == ("too_long", False)
    fake_x.monthly_cap = 0
    with pytest.raises(ProviderConfigError) as raised:
        publish(provider, token, fake_x)
    assert raised.value.kind == "usage_cap"
    fake_x.monthly_cap, fake_x.credits = None, 0.0
    with pytest.raises(ProviderConfigError) as raised:
        publish(provider, token, fake_x)
    assert raised.value.kind == "credits"
    fake_x.credits, fake_x.client_forbidden = None, True
    with pytest.raises(ProviderConfigError) as raised:
        publish(provider, token, fake_x)
    assert (raised.value.code, raised.value.kind, raised.value.status) == ("client_forbidden", "client_forbidden", 403)


def at(seconds):
    return datetime.fromtimestamp(int(seconds), UTC)


def rate_limited_after_two_posts(provider, token, fake_x):
    publish(provider, token, fake_x, "one")
    with pytest.raises(RateLimited) as raised:
        publish(provider, token, fake_x, "two")
    return raised.value.reset_at


WINDOW_RESET, DAY_RESET = 900, DAY


@pytest.mark.parametrize(
    ("window_limit", "daily_limit", "expected"),
    [
        pytest.param(1, 17, WINDOW_RESET, id="15-minute window out, 24-hour cap left"),
        pytest.param(100, 1, DAY_RESET, id="24-hour cap out, 15-minute window left"),
        pytest.param(1, 1, DAY_RESET, id="both out: the later reset"),
    ],
)
def test_rate_limited_waits_for_the_reset_of_the_limit_that_ran_out(
    fake_x, provider, token, window_limit, daily_limit, expected
):
    fake_x.clock.freeze()
    fake_x.user_window_limit, fake_x.user_daily_limit = window_limit, daily_limit
    assert rate_limited_after_two_posts(provider, token, fake_x) == at(fake_x.clock.now() + expected)


def test_rate_limited_without_an_exhausted_limit_waits_for_the_15_minute_reset(fake_x, provider, token):
    now = fake_x.clock.now()

    def vague_429(request):
        headers = {
            "x-rate-limit-remaining": "40",
            "x-rate-limit-reset": str(int(now + 600)),
            "x-app-limit-24hour-remaining": "9000",
            "x-app-limit-24hour-reset": str(int(now + DAY)),
        }
        return Response.json({"title": "Too Many Requests", "status": 429}, 429, headers)

    fake_x.routes.insert(0, ("POST", re.compile("^/2/tweets$"), "publish", vague_429))
    with pytest.raises(RateLimited) as raised:
        publish(provider, token, fake_x)
    assert raised.value.reset_at == at(now + 600)


def test_rate_limited_without_any_reset_header_waits_15_minutes(fake_x, provider, token):
    fake_x.routes.insert(
        0, ("POST", re.compile("^/2/tweets$"), "publish", lambda request: Response.json({"status": 429}, 429))
    )
    before = datetime.now(UTC)
    with pytest.raises(RateLimited) as raised:
        publish(provider, token, fake_x)
    assert before + timedelta(minutes=15) <= raised.value.reset_at <= datetime.now(UTC) + timedelta(minutes=15)


def test_reconcile_finds_the_post_despite_tco_links(fake_x, provider, token):
    text = "Our Q3 report & more: https://example.com/q3?utm=relais"
    published = provider.publish(access_token=token, share=share(text))
    provider.publish(access_token=token, share=share("Something else"))
    assert provider.find_recent(access_token=token, author_uid=UID, text=text) == published
    assert provider.find_recent(access_token=token, author_uid=UID, text="Never sent") is None


def test_metrics_of_250_ids_take_exactly_3_calls(fake_x, provider, token):
    fake_x.clock.freeze()
    real = [provider.publish(access_token=token, share=share(f"Post {n}")).external_id for n in range(3)]
    fake_x.delete_remote(real[2])
    fake_x.clock.advance(6 * 3600)
    ids = real + [str(10**18 + n) for n in range(247)]
    readings = provider.metrics(access_token=token, external_ids=ids)
    assert len([entry for entry in fake_x.journal if entry.method == "GET" and entry.path == "/2/tweets"]) == 3
    assert [reading.external_id for reading in readings] == ids
    live = readings[0]
    assert live.impressions and live.impressions >= (live.likes or 0)
    assert live.reach is None and not live.deleted
    assert all(reading.deleted for reading in readings[2:])


@pytest.mark.parametrize("new_names", [False, True])
def test_metrics_reshares_are_reposts_plus_quotes_under_either_name(fake_x, provider, token, new_names):
    fake_x.new_field_names = new_names
    fake_x.clock.freeze()
    post_id = provider.publish(access_token=token, share=share("Counted")).external_id
    fake_x.clock.advance(2 * DAY)
    [reading] = provider.metrics(access_token=token, external_ids=[post_id])
    answer = requests.get(
        f"{fake_x.base_url}/2/tweets",
        params={"ids": post_id, "tweet.fields": "public_metrics"},
        headers={"Authorization": f"Bearer {token}"},
    ).json()["data"][0]["public_metrics"]
    reposts = answer["repost_count" if new_names else "retweet_count"]
    assert reading.reshares == reposts + answer["quote_count"]
    assert (reading.likes, reading.comments) == (answer["like_count"], answer["reply_count"])


def test_intent_url_is_the_real_network_percent_encoded(provider):
    url = provider.intent_url(text="Café & co #relais", link="https://example.com/a?b=1")
    assert url == (
        "https://x.com/intent/tweet?text=Caf%C3%A9%20%26%20co%20%23relais&url=https%3A%2F%2Fexample.com%2Fa%3Fb%3D1"
    )


def test_provider_reads_settings_at_call_time(fake_x, settings):
    settings.RELAIS_X_CLIENT_ID = "another"
    assert XProvider.from_settings().client_id == "another"


def test_no_token_reaches_a_log_record_at_debug(fake_x, caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("urllib3", "requests_oauthlib", "oauthlib", "relais.providers"):
        caplog.set_level(logging.DEBUG, logger=name)
    provider = get_provider("x")
    tokens = connect(fake_x, provider)
    rotated = provider.refresh(refresh_token=tokens.refresh_token)
    provider.publish(access_token=rotated.access_token, share=share("Logged", image=b"png"))
    provider.revoke(token=rotated.refresh_token)
    secrets_seen = [tokens.access_token, tokens.refresh_token, rotated.access_token, rotated.refresh_token]
    secrets_seen.append(fake_x.client_secret)
    assert any("oauth2/token" in record.getMessage() for record in caplog.records)
    assert any(record.name.startswith("urllib3") for record in caplog.records)
    for record in caplog.records:
        message = record.getMessage()
        assert not any(secret in message for secret in secrets_seen), message
