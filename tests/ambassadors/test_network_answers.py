"""The fakes answer as the networks do (bodies recorded from the real APIs and quoted in public issue threads), and
the clients read those answers right: X's problem JSON under api.twitter.com, its usage-cap body, post lookups that
give only what ``tweet.fields``/``expansions`` ask for; LinkedIn's 429 (serviceErrorCode 101) and its 422 duplicate
with ``errorDetailType`` and the exception-prefixed message."""

import pytest
import requests

from ambassadors.providers import get_provider
from ambassadors.providers.base import ProviderConfigError, RateLimited, Rejected, ShareRequest
from ambassadors.sandbox.x import DAY

X_UID = "1001"
LINKEDIN_UID = "782bbtaQ"
PROBLEMS = "https://api.twitter.com/2/problems/"


@pytest.fixture
def x_token(fake_x):
    return fake_x.issue_token(uid=X_UID, username="ada", expires_in=30 * DAY)["access_token"]


@pytest.fixture
def linkedin_token(fake_linkedin):
    return fake_linkedin.issue_token(uid=LINKEDIN_UID)["access_token"]


def x_api(fake_x, method, path, token, **kwargs):
    return requests.request(
        method, f"{fake_x.base_url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=5, **kwargs
    )


def x_post(fake_x, token, text):
    return x_api(fake_x, "POST", "/2/tweets", token, json={"text": text})


# --- X: errors are problem JSON --------------------------------------------------------------------------------------


def _duplicate(fake_x, token):
    x_post(fake_x, token, "Twice")
    return x_post(fake_x, token, "Twice")


def _cashtags(fake_x, token):
    return x_post(fake_x, token, "$ACME beats $TSLA")


def _window(fake_x, token):
    fake_x.user_window_limit = 0
    return x_post(fake_x, token, "One too many")


def _usage_cap(fake_x, token):
    fake_x.monthly_cap = 0
    return x_post(fake_x, token, "Over the cap")


def _credits(fake_x, token):
    fake_x.credits = 0.0
    return x_post(fake_x, token, "No credits")


def _missing_scope(fake_x, token):
    narrow = fake_x.issue_token(uid=X_UID, scopes="tweet.read users.read")["access_token"]
    return x_post(fake_x, narrow, "Not allowed")


def _unauthorized(fake_x, token):
    return x_post(fake_x, "garbage", "Who am I")


def _bad_lookup(fake_x, token):
    return x_api(fake_x, "GET", "/2/tweets", token, params={"ids": "1" * 20})


X_ERRORS = {
    "duplicate": (_duplicate, 403, "about:blank"),
    "two cashtags": (_cashtags, 400, f"{PROBLEMS}invalid-request"),
    "15-minute window": (_window, 429, "about:blank"),
    "usage cap": (_usage_cap, 429, f"{PROBLEMS}usage-capped"),
    "credits": (_credits, 402, f"{PROBLEMS}credits-depleted"),
    "missing scope": (_missing_scope, 403, "about:blank"),
    "unauthorized": (_unauthorized, 401, "about:blank"),
    "bad lookup": (_bad_lookup, 400, f"{PROBLEMS}invalid-request"),
}


@pytest.mark.parametrize("case", X_ERRORS, ids=list(X_ERRORS))
def test_x_errors_are_problem_json_with_types_under_api_twitter_com(fake_x, x_token, case):
    action, status, problem_type = X_ERRORS[case]

    response = action(fake_x, x_token)

    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == problem_type


def test_x_usage_cap_names_the_account_and_the_product_and_pauses_the_app(fake_x, x_token):
    body = _usage_cap(fake_x, x_token).json()

    assert set(body) == {"account_id", "product_name", "title", "period", "scope", "detail", "type"}
    assert (body["title"], body["period"], body["scope"]) == ("UsageCapExceeded", "Monthly", "Product")
    with pytest.raises(ProviderConfigError) as raised:
        get_provider("x").publish(access_token=x_token, share=ShareRequest(author_uid=X_UID, text="Still capped"))
    assert (raised.value.kind, raised.value.detail) == ("usage_cap", "Usage cap exceeded: Monthly product cap")


def test_x_client_reads_a_problem_json_duplicate_as_a_duplicate(fake_x, x_token):
    provider = get_provider("x")
    provider.publish(access_token=x_token, share=ShareRequest(author_uid=X_UID, text="Same words"))

    with pytest.raises(Rejected) as raised:
        provider.publish(access_token=x_token, share=ShareRequest(author_uid=X_UID, text="Same words"))

    assert raised.value.duplicate is True
    assert raised.value.detail == "You are not allowed to create a Tweet with duplicate content."


# --- X: lookups answer only what is asked --------------------------------------------------------------------------


def test_x_lookup_gives_id_text_and_edit_history_unless_fields_ask_for_more(fake_x, x_token):
    post_id = x_post(fake_x, x_token, "Our report https://example.com/q3").json()["data"]["id"]

    bare = x_api(fake_x, "GET", "/2/tweets", x_token, params={"ids": post_id}).json()
    read = x_api(fake_x, "GET", f"/2/tweets/{post_id}", x_token).json()
    asked = x_api(
        fake_x,
        "GET",
        "/2/tweets",
        x_token,
        params={"ids": post_id, "tweet.fields": "public_metrics,created_at,entities", "expansions": "author_id"},
    ).json()

    assert set(bare) == {"data"} and set(bare["data"][0]) == {"id", "text", "edit_history_tweet_ids"}
    assert set(read["data"]) == {"id", "text", "edit_history_tweet_ids"}
    [data] = asked["data"]
    assert set(data) == {
        "id",
        "text",
        "edit_history_tweet_ids",
        "public_metrics",
        "created_at",
        "entities",
        "author_id",
    }
    assert data["author_id"] == X_UID
    assert asked["includes"]["users"] == [{"id": X_UID, "name": "Ada Lovelace", "username": "ada"}]


def test_x_lookup_refuses_a_field_it_does_not_know(fake_x, x_token):
    response = x_api(
        fake_x, "GET", "/2/tweets", x_token, params={"ids": "1445880548472328192", "tweet.fields": "likes"}
    )

    assert response.status_code == 400
    assert response.json()["type"] == f"{PROBLEMS}invalid-request"
    assert "`tweet.fields` query parameter value [likes]" in response.json()["errors"][0]["message"]


def test_x_client_asks_for_the_metrics_it_reads_and_its_reconciliation_reads_the_text(fake_x, x_token):
    provider = get_provider("x")
    published = provider.publish(access_token=x_token, share=ShareRequest(author_uid=X_UID, text="Measured & read"))
    fake_x.clock.advance(DAY)

    [reading] = provider.metrics(access_token=x_token, external_ids=[published.external_id])
    found = provider.find_recent(access_token=x_token, author_uid=X_UID, text="Measured & read")

    assert reading.impressions and reading.impressions > 0
    assert reading.likes is not None and reading.reshares is not None
    assert found is not None and found.external_id == published.external_id


# --- LinkedIn ------------------------------------------------------------------------------------------------------


def linkedin_publish(fake_linkedin, token, text):
    body = {
        "author": f"urn:li:person:{LINKEDIN_UID}",
        "commentary": text,
        "visibility": "PUBLIC",
        "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [], "thirdPartyDistributionChannels": []},
        "lifecycleState": "PUBLISHED",
        "isReshareDisabledByAuthor": False,
    }
    headers = {"Authorization": f"Bearer {token}", "LinkedIn-Version": "202608", "X-Restli-Protocol-Version": "2.0.0"}
    return requests.post(f"{fake_linkedin.base_url}/rest/posts", json=body, headers=headers, timeout=5)


def test_linkedin_throttle_is_service_error_101(fake_linkedin, linkedin_token):
    fake_linkedin.daily_member_post_limit = 0

    throttled = linkedin_publish(fake_linkedin, linkedin_token, "Too many today")

    assert throttled.status_code == 429
    assert throttled.json() == {
        "status": 429,
        "serviceErrorCode": 101,
        "message": "Resource level throttle MEMBER DAY limit for calls to this resource is reached.",
    }
    with pytest.raises(RateLimited) as raised:
        get_provider("linkedin").publish(
            access_token=linkedin_token, share=ShareRequest(author_uid=LINKEDIN_UID, text="Still too many")
        )
    assert raised.value.detail == "Resource level throttle MEMBER DAY limit for calls to this resource is reached."


def test_linkedin_duplicate_is_a_bad_request_exception_naming_the_first_post(fake_linkedin, linkedin_token):
    first = linkedin_publish(fake_linkedin, linkedin_token, "Same words").headers["x-restli-id"]

    duplicate = linkedin_publish(fake_linkedin, linkedin_token, "Same words")

    assert duplicate.status_code == 422
    body = duplicate.json()
    assert body["errorDetailType"] == "com.linkedin.common.error.BadRequest"
    assert body["message"] == (
        f"com.linkedin.content.common.exception.BadRequestResponseException: Content is a duplicate of {first}"
    )
    assert body["errorDetails"]["inputErrors"] == [
        {"description": "Duplicate post is detected", "input": {}, "code": "DUPLICATE_POST"}
    ]


def test_linkedin_client_shows_the_duplicates_reason_without_the_java_class(fake_linkedin, linkedin_token):
    provider = get_provider("linkedin")
    first = provider.publish(access_token=linkedin_token, share=ShareRequest(author_uid=LINKEDIN_UID, text="Twice"))

    with pytest.raises(Rejected) as raised:
        provider.publish(access_token=linkedin_token, share=ShareRequest(author_uid=LINKEDIN_UID, text="Twice"))

    assert (raised.value.duplicate, raised.value.duplicate_of) == (True, first.external_id)
    assert raised.value.detail == f"Content is a duplicate of {first.external_id}"
