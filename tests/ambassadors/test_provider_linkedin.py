"""The LinkedIn client against the fake LinkedIn over real HTTP: each contract row maps to its outcome exception."""

import logging
import socket
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from ambassadors.providers import get_provider
from ambassadors.providers.base import (
    AuthExpired,
    AuthorizationFailed,
    MetricsReading,
    OutcomeUnknown,
    ProviderConfigError,
    RateLimited,
    ReconnectRequired,
    Rejected,
    ShareRequest,
    Transient,
)
from ambassadors.providers.linkedin import RESERVED, LinkedInProvider, escape_commentary
from ambassadors.sandbox.linkedin import render_little

REDIRECT = "https://relais.example/connect/linkedin/callback"
UID = "782bbtaQ"


@pytest.fixture
def provider(fake_linkedin):
    client = get_provider("linkedin")
    assert isinstance(client, LinkedInProvider)
    client.image_poll_interval = 0.05
    return client


@pytest.fixture
def token(fake_linkedin):
    return fake_linkedin.issue_token(uid=UID)["access_token"]


def consent(fake, provider, *, answer="approve"):
    """The member's browser: follow the consent URL, answer, and return the callback's query."""
    fake.auto_consent = answer
    url = provider.authorization_url(redirect_uri=REDIRECT, state="state-1", code_verifier=None)
    response = requests.get(url, timeout=5, allow_redirects=False)
    return {key: values[0] for key, values in parse_qs(urlsplit(response.headers["Location"]).query).items()}


def connect(fake, provider):
    return provider.exchange_code(code=consent(fake, provider)["code"], redirect_uri=REDIRECT, code_verifier=None)


def share(text="Our Q3 report is out", **extra):
    return ShareRequest(author_uid=UID, text=text, **extra)


# --- OAuth ---------------------------------------------------------------------------------------------------------


def test_authorization_url_asks_for_its_scopes_with_state_and_no_pkce(fake_linkedin, provider):
    url = provider.authorization_url(redirect_uri=REDIRECT, state="s-42", code_verifier=None)

    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{fake_linkedin.base_url}/oauth/v2/authorization"
    assert query["client_id"] == "relais-sandbox"
    assert query["redirect_uri"] == REDIRECT
    assert query["state"] == "s-42"
    # The test settings say the app is approved for Member Post Analytics.
    assert query["scope"].split() == ["openid", "profile", "email", "w_member_social", "r_member_postAnalytics"]
    assert "code_challenge" not in query


def test_connect_gives_a_sixty_day_token_and_the_member(fake_linkedin, provider):
    tokens = connect(fake_linkedin, provider)

    assert tokens.refresh_token is None and tokens.refresh_expires_at is None
    assert "w_member_social" in tokens.scopes
    assert abs(tokens.expires_at - (timezone.now() + timedelta(days=60))) < timedelta(minutes=1)
    identity = provider.identity(access_token=tokens.access_token)
    assert (identity.uid, identity.name) == (UID, "Ada Lovelace")
    [exchange] = fake_linkedin.requests_to("POST", "/oauth/v2/accessToken")
    assert "client_id=relais-sandbox" in exchange.body and "client_secret=[redacted]" in exchange.body


@pytest.mark.parametrize(
    ("answer", "error"), [("deny", "user_cancelled_authorize"), ("cancel_login", "user_cancelled_login")]
)
def test_callback_errors_become_authorization_failed(fake_linkedin, provider, answer, error):
    failure = provider.parse_callback_error(consent(fake_linkedin, provider, answer=answer))

    assert isinstance(failure, AuthorizationFailed)
    assert failure.code == error
    assert provider.parse_callback_error({"code": "abc", "state": "s"}) is None


def test_a_reused_code_restarts_the_connect_flow(fake_linkedin, provider):
    code = consent(fake_linkedin, provider)["code"]
    provider.exchange_code(code=code, redirect_uri=REDIRECT, code_verifier=None)
    with pytest.raises(AuthorizationFailed) as failure:
        provider.exchange_code(code=code, redirect_uri=REDIRECT, code_verifier=None)
    assert failure.value.code == "invalid_request"


def test_a_wrong_client_secret_is_a_config_error(fake_linkedin, provider):
    code = consent(fake_linkedin, provider)["code"]
    provider.client_secret = "wrong"
    with pytest.raises(ProviderConfigError) as failure:
        provider.exchange_code(code=code, redirect_uri=REDIRECT, code_verifier=None)
    assert failure.value.kind == "client"


def test_a_grant_without_w_member_social_asks_to_reconnect(fake_linkedin, provider):
    fake_linkedin.granted_scopes = "openid,profile,email"
    with pytest.raises(ReconnectRequired) as failure:
        connect(fake_linkedin, provider)
    assert failure.value.code == "scope_missing"


def test_refresh_with_programmatic_refresh(fake_linkedin, provider, settings):
    settings.RELAIS_LINKEDIN_REFRESH = True
    assert get_provider("linkedin").can_refresh is True
    fake_linkedin.refresh_enabled = True
    first = connect(fake_linkedin, provider)
    assert abs(first.refresh_expires_at - (timezone.now() + timedelta(days=365))) < timedelta(minutes=1)
    fake_linkedin.clock.advance(10 * 86400)

    second = provider.refresh(refresh_token=first.refresh_token)

    assert second.access_token != first.access_token
    assert second.refresh_token == first.refresh_token
    # The countdown goes on: ten days of the fake clock are gone from the refresh token's life.
    assert abs(first.refresh_expires_at - second.refresh_expires_at - timedelta(days=10)) < timedelta(minutes=1)
    assert provider.identity(access_token=second.access_token).uid == UID


def test_refresh_without_programmatic_refresh_asks_to_reconnect(fake_linkedin, provider):
    assert provider.can_refresh is False
    with pytest.raises(ReconnectRequired) as failure:
        provider.refresh(refresh_token="AQXnever-issued")
    assert failure.value.code == "invalid_grant"


def test_refresh_after_a_year_asks_to_reconnect(fake_linkedin, provider):
    fake_linkedin.refresh_enabled = True
    issued = fake_linkedin.issue_token(uid=UID)
    fake_linkedin.clock.advance(365 * 86400)
    with pytest.raises(ReconnectRequired):
        provider.refresh(refresh_token=issued["refresh_token"])


def test_revoke_is_a_documented_no_op(fake_linkedin, provider, token):
    provider.revoke(token=token)
    assert provider.identity(access_token=token).uid == UID


# --- publishing ----------------------------------------------------------------------------------------------------


def test_publish_returns_the_urn_and_permalink_and_sends_the_version(fake_linkedin, provider, token):
    published = provider.publish(access_token=token, share=share(link="https://example.com/q3"))

    [post] = fake_linkedin.live_posts(UID)
    assert published.external_id == post.id
    assert published.url == f"{fake_linkedin.base_url}/feed/update/{post.id}/"
    assert (post.text, post.link, post.link_title) == (
        "Our Q3 report is out",
        "https://example.com/q3",
        "https://example.com/q3",
    )
    [call] = fake_linkedin.requests_to("POST", "/rest/posts")
    assert call.headers["linkedin-version"] == "202608"
    assert call.headers["x-restli-protocol-version"] == "2.0.0"


def test_escaping_round_trip_keeps_every_reserved_character_and_the_url(fake_linkedin, provider, token):
    text = (
        r"Specials \ | { } @ [ ] ( ) < > # * _ ~ and @Ada #news (see https://example.com/a_b/~c?x=(1)&y=*#frag), "
        r"then _under_ *star* https://example.com/x_y."
    )
    provider.publish(access_token=token, share=share(text))

    [post] = fake_linkedin.posts
    assert post.text == text
    assert set(post.sent_text) >= RESERVED


PIECES = [*sorted(RESERVED), "a", " ", ".", ")", "\n", "https://", "http://x.org/", "é", "x_y"]


@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
def test_escaping_round_trips_through_the_little_format(text):
    assert render_little(escape_commentary(text), literal_urls=True) == (text, len(escape_commentary(text)))


def test_publish_with_an_image_waits_for_processing(fake_linkedin, provider, token):
    fake_linkedin.image_processing_seconds = 0.2
    provider.publish(access_token=token, share=share("With a chart", image=b"\x89PNG-bytes", image_alt="A chart"))

    [post] = fake_linkedin.posts
    assert post.image.startswith("urn:li:image:")
    assert len(fake_linkedin.requests_to("GET", "/rest/images/")) >= 2


def test_an_image_never_processed_is_transient_and_posts_nothing(fake_linkedin, provider, token):
    fake_linkedin.image_processing_seconds = 3600
    provider.image_poll_attempts = 3
    with pytest.raises(Transient):
        provider.publish(access_token=token, share=share(image=b"bytes"))
    assert fake_linkedin.posts == []


def test_duplicate_names_the_first_post(fake_linkedin, provider, token):
    first = provider.publish(access_token=token, share=share("Same words"))
    with pytest.raises(Rejected) as failure:
        provider.publish(access_token=token, share=share("Same words"))
    assert failure.value.duplicate is True
    assert failure.value.duplicate_of == first.external_id


def test_delete_removes_the_post_and_a_second_delete_is_fine(fake_linkedin, provider, token):
    published = provider.publish(access_token=token, share=share())
    provider.delete(access_token=token, external_id=published.external_id)
    provider.delete(access_token=token, external_id=published.external_id)
    assert fake_linkedin.live_posts() == []


def test_find_recent_is_not_possible_on_linkedin(fake_linkedin, provider, token):
    provider.publish(access_token=token, share=share())
    assert provider.find_recent(access_token=token, author_uid=UID, text="Our Q3 report is out") is None


def test_intent_url_opens_the_real_share_page(provider):
    url = provider.intent_url(text="Look", link="https://example.com/a?b=c&d=e")
    assert url == "https://www.linkedin.com/sharing/share-offsite/?url=https%3A%2F%2Fexample.com%2Fa%3Fb%3Dc%26d%3De"


# --- every fault maps to one outcome -------------------------------------------------------------------------------


def closed_port_url():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def faulted(route, entry):
    def arrange(fake, provider, token):
        fake.set_faults(route, script=[entry], slow_seconds=3.0)
        return token

    return arrange


def expired(fake, provider, token):
    fake.clock.freeze()
    short = fake.issue_token(uid=UID, expires_in=60)["access_token"]
    fake.clock.advance(61)
    return short


def revoked(fake, provider, token):
    fake.revoke_member(UID)
    return token


def without_w_member_social(fake, provider, token):
    return fake.issue_token(uid=UID, scopes="openid,profile,email")["access_token"]


def retired_version(fake, provider, token):
    provider.version = "202401"
    return token


def daily_limit(fake, provider, token):
    fake.daily_member_post_limit = 0
    return token


def unreachable(fake, provider, token):
    provider.api_url = provider.auth_url = closed_port_url()
    return token


PUBLISH_CASES = [
    ("publish-500", faulted("publish", 500), OutcomeUnknown, "server_error"),
    ("publish-502", faulted("publish", 502), OutcomeUnknown, "server_error"),
    ("publish-503", faulted("publish", 503), OutcomeUnknown, "server_error"),
    ("publish-504", faulted("publish", 504), OutcomeUnknown, "server_error"),
    ("publish-commit-then-503", faulted("publish", "commit-then-503"), OutcomeUnknown, "server_error"),
    ("publish-commit-then-drop", faulted("publish", "commit-then-drop"), OutcomeUnknown, "no_answer"),
    ("publish-slow-after", faulted("publish", "slow-after"), OutcomeUnknown, "no_answer"),
    ("publish-slow-before", faulted("publish", "slow-before"), OutcomeUnknown, "no_answer"),
    ("expired-token", expired, AuthExpired, "expired"),
    ("garbage-token", lambda fake, provider, token: "garbage", AuthExpired, "invalid_token"),
    ("revoked-token", revoked, ReconnectRequired, "revoked"),
    ("scope-missing", without_w_member_social, ReconnectRequired, "scope_missing"),
    ("retired-version", retired_version, ProviderConfigError, "version"),
    ("daily-limit", daily_limit, RateLimited, "throttled"),
    ("too-long", lambda fake, provider, token: token, Rejected, "invalid"),
    ("unreachable", unreachable, Transient, "network"),
]


@pytest.mark.parametrize(
    ("arrange", "exception", "code"), [case[1:] for case in PUBLISH_CASES], ids=[case[0] for case in PUBLISH_CASES]
)
def test_publish_faults_map_to_outcomes(fake_linkedin, provider, token, fast_timeouts, arrange, exception, code):
    used = arrange(fake_linkedin, provider, token)
    text = "x" * 3001 if code == "invalid" else "A share"
    with pytest.raises(exception) as failure:
        provider.publish(access_token=used, share=share(text))
    assert failure.value.code == code


def test_rate_limit_waits_until_the_next_utc_midnight(fake_linkedin, provider, token):
    fake_linkedin.daily_member_post_limit = 0
    with pytest.raises(RateLimited) as failure:
        provider.publish(access_token=token, share=share())
    tomorrow = (timezone.now().astimezone(UTC) + timedelta(days=1)).date()
    assert failure.value.reset_at == datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=UTC)


def test_a_403_that_is_no_missing_scope_rejects(fake_linkedin, provider, token):
    with pytest.raises(Rejected) as failure:
        provider.publish(access_token=token, share=ShareRequest(author_uid="someone-else", text="Hi"))
    assert failure.value.status == 403


TRANSIENT_CASES = {
    "identity-503": ("identity", faulted("identity", 503)),
    "identity-timeout": ("identity", faulted("identity", "slow-after")),
    "identity-unreachable": ("identity", unreachable),
    "metrics-502": ("metrics", faulted("metrics", 502)),
    "exchange-503": ("exchange", faulted("token", 503)),
    "exchange-timeout": ("exchange", faulted("token", "slow-before")),
    "refresh-500": ("refresh", faulted("token", 500)),
}


@pytest.mark.parametrize(("call", "arrange"), TRANSIENT_CASES.values(), ids=TRANSIENT_CASES.keys())
def test_reads_and_token_calls_that_fail_are_transient(fake_linkedin, provider, token, fast_timeouts, call, arrange):
    code = consent(fake_linkedin, provider)["code"] if call == "exchange" else ""
    used = arrange(fake_linkedin, provider, token)
    calls = {
        "identity": lambda: provider.identity(access_token=used),
        "metrics": lambda: provider.metrics(access_token=used, external_ids=["urn:li:share:1234567890123456789"]),
        "exchange": lambda: provider.exchange_code(code=code, redirect_uri=REDIRECT, code_verifier=None),
        "refresh": lambda: provider.refresh(refresh_token="AQXsomething"),
    }
    with pytest.raises(Transient):
        calls[call]()


def test_an_expired_token_on_a_read_asks_for_a_refresh(fake_linkedin, provider, token):
    with pytest.raises(AuthExpired):
        provider.identity(access_token=expired(fake_linkedin, provider, token))


# --- metrics -------------------------------------------------------------------------------------------------------


def published_week_ago(fake, provider, token, text="Measured"):
    fake.clock.freeze()
    urn = provider.publish(access_token=token, share=share(text)).external_id
    fake.clock.advance(7 * 86400)
    return urn


@pytest.mark.parametrize("old_metric_type", [False, True])
def test_metrics_from_analytics_in_either_metric_type_shape(fake_linkedin, provider, token, old_metric_type):
    fake_linkedin.old_metric_type = old_metric_type
    urn = published_week_ago(fake_linkedin, provider, token)
    post = fake_linkedin.posts[0]
    counts = fake_linkedin.counts(post)

    [reading] = provider.metrics(access_token=token, external_ids=[urn])

    assert reading == MetricsReading(
        external_id=urn,
        impressions=counts["IMPRESSION"],
        reach=counts["MEMBERS_REACHED"],
        likes=counts["REACTION"],
        comments=counts["COMMENT"],
        reshares=counts["RESHARE"],
    )
    assert reading.impressions > 0


def test_empty_analytics_elements_are_zero(fake_linkedin, provider, token):
    fake_linkedin.clock.freeze()
    urn = provider.publish(access_token=token, share=share()).external_id
    [reading] = provider.metrics(access_token=token, external_ids=[urn])
    assert (reading.impressions, reading.reach, reading.likes, reading.comments, reading.reshares) == (0, 0, 0, 0, 0)


BASIC_SCOPES = "openid,profile,email,w_member_social"


def test_metrics_fall_back_to_social_actions(fake_linkedin, provider):
    token = fake_linkedin.issue_token(uid=UID, scopes=f"{BASIC_SCOPES},r_member_social")["access_token"]
    urn = published_week_ago(fake_linkedin, provider, token)
    counts = fake_linkedin.counts(fake_linkedin.posts[0])

    [reading] = provider.metrics(access_token=token, external_ids=[urn])

    assert (reading.likes, reading.comments) == (counts["REACTION"], counts["COMMENT"])
    assert (reading.impressions, reading.reach, reading.reshares) == (None, None, None)
    # One analytics call told the permission is missing; the batch did not ask again.
    assert len(fake_linkedin.requests_to("GET", "/rest/memberCreatorPostAnalytics")) == 1


def test_metrics_without_any_permission_are_not_available_never_zero(fake_linkedin, provider):
    token = fake_linkedin.issue_token(uid=UID, scopes=BASIC_SCOPES)["access_token"]
    first = published_week_ago(fake_linkedin, provider, token, "One")
    second = provider.publish(access_token=token, share=share("Two")).external_id

    readings = provider.metrics(access_token=token, external_ids=[first, second])

    assert readings == [MetricsReading(external_id=first), MetricsReading(external_id=second)]
    assert len(fake_linkedin.requests_to("GET", "/rest/")) == 2


def test_metrics_of_a_deleted_post(fake_linkedin, provider, token):
    gone = published_week_ago(fake_linkedin, provider, token, "Gone")
    kept = provider.publish(access_token=token, share=share("Kept")).external_id
    fake_linkedin.delete_remote(gone)

    readings = provider.metrics(access_token=token, external_ids=[gone, kept])

    assert readings[0] == MetricsReading(external_id=gone, deleted=True)
    assert readings[1].deleted is False and readings[1].impressions is not None


# --- logs ----------------------------------------------------------------------------------------------------------


def test_logs_of_connect_refresh_and_publish_never_carry_a_token(fake_linkedin, provider, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="urllib3")
    fake_linkedin.refresh_enabled = True
    fake_linkedin.image_processing_seconds = 0.1
    query = consent(fake_linkedin, provider)
    tokens = provider.exchange_code(code=query["code"], redirect_uri=REDIRECT, code_verifier=None)
    provider.identity(access_token=tokens.access_token)
    refreshed = provider.refresh(refresh_token=tokens.refresh_token)
    provider.publish(access_token=refreshed.access_token, share=share(image=b"img"))

    secrets = [tokens.access_token, tokens.refresh_token, refreshed.access_token, query["code"], provider.client_secret]
    logged = "\n".join(f"{record.getMessage()} {record.args!r}" for record in caplog.records)
    assert any(record.name.startswith("urllib3") for record in caplog.records)
    assert any(record.name == "relais.providers" for record in caplog.records)
    for secret in secrets:
        assert secret not in logged
