"""The publishing engine in-process: every outcome of provider-contracts.md against the fake networks over real HTTP,
on the real database (DESIGN.md "Publishing: exactly once", R3–R8, R12). The task is called directly, in its own
organisation scope as a worker would run it."""

from datetime import UTC, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.files.base import ContentFile
from django.db.models import Max
from django.utils import timezone, translation

from advocacy.errors import ServiceError
from advocacy.models import Membership
from advocacy.tenancy import organization_scope
from ambassadors.models import Notification, ProviderPause, PublishingSettings, Share, ShareAttempt, SocialConnection
from ambassadors.selectors import x_month_spend, x_post_cost
from ambassadors.services.publishing import share_reconcile_resend
from ambassadors.tasks.publishing import publish_share
from charter.compliance import member_zone
from charter.models import CharterVersion, ComplianceRules
from content.models import Post
from tests.ambassadors.factories import ShareFactory, connect_on
from tests.charter.factories import CharterAcceptanceFactory, CharterVersionFactory
from tests.content.factories import PostFactory

LINK = "https://news.example.test/q3"


@pytest.fixture(autouse=True)
def _publishing_settings(settings):
    """No pacing between two posts of one account unless a test is about pacing; operators to alert."""
    settings.RELAIS_PUBLISH_INTERVAL_SECONDS = {"linkedin": 0.0, "x": 0.0}
    settings.ADMINS = [("Operators", "ops@relais.test")]


@pytest.fixture
def member(personas) -> Membership:
    """The ambassador persona, who accepted the organisation's charter."""
    organization = personas.organization
    with organization_scope(organization):
        membership = Membership.objects.select_related("user", "organization").get(user=personas.ambassador)
        CharterAcceptanceFactory(organization=organization, membership=membership)
    return membership


def schedule(membership, connection, **fields) -> Share:
    """A share of a live post, due now, on ``connection``'s network."""
    organization = membership.organization
    with organization_scope(organization):
        post = fields.pop("post", None) or PostFactory(
            organization=organization, status=Post.Status.APPROVED, link=LINK, title="Q3 report"
        )
        return ShareFactory(
            organization=organization,
            membership=membership,
            post=post,
            network=connection.provider if connection else fields.pop("network"),
            connection=connection,
            **fields,
        )


def run(share: Share) -> str:
    return publish_share(organization_id=share.organization_id, share_id=share.pk)


def fresh(share: Share) -> Share:
    with organization_scope(share.organization):
        return Share.objects.get(pk=share.pk)


def attempts(share: Share) -> list[tuple[str, str]]:
    with organization_scope(share.organization):
        return list(ShareAttempt.objects.filter(share=share).order_by("number").values_list("kind", "outcome"))


def connection_of(share: Share) -> SocialConnection:
    with organization_scope(share.organization):
        return SocialConnection.objects.get(pk=share.connection_id)


def notifications(membership: Membership) -> list[str]:
    with organization_scope(membership.organization):
        return list(Notification.objects.filter(membership=membership).values_list("kind", flat=True))


# --- ok ------------------------------------------------------------------------------------------------------------


def test_a_due_share_is_published_once_with_its_id_stored(fake_linkedin, member):
    with organization_scope(member.organization):
        connection = connect_on(fake_linkedin, member)
    share = schedule(member, connection)

    assert run(share) == "published"

    share = fresh(share)
    [post] = fake_linkedin.live_posts()
    assert share.status == "published"
    assert share.external_id == post.id
    assert share.external_url == f"{fake_linkedin.base_url}/feed/update/{post.id}/"
    assert post.link == LINK and post.link_title == "Q3 report"
    assert share.metrics_state == "polling"
    assert share.metrics_next_poll_at == share.published_at + timedelta(hours=1)
    assert attempts(share) == [("publish", "ok")]
    assert run(share) == "skipped"
    assert len(fake_linkedin.requests_to("POST", "/rest/posts")) == 1


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
    b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.mark.parametrize("network", ["linkedin", "x"])
def test_the_post_image_goes_out_with_the_share(request, network, member):
    fake = request.getfixturevalue(f"fake_{network}")
    if network == "linkedin":
        fake.set_knob("image_processing_seconds", 0)
    with organization_scope(member.organization):
        connection = connect_on(fake, member)
        post = PostFactory(organization=member.organization, status=Post.Status.APPROVED, link=LINK, title="Q3")
        post.image.save("q3.png", ContentFile(PNG))
    share = schedule(member, connection, post=post)

    assert run(share) == "published"

    [received] = fake.live_posts()
    uploads = (
        fake.requests_to("PUT", "/dms-uploads/")
        if network == "linkedin"
        else fake.requests_to("POST", "/2/media/upload")
    )
    assert len(uploads) == 1
    assert received.image if network == "linkedin" else received.media_ids


def test_an_x_post_with_a_link_costs_the_url_price(fake_x, member):
    with organization_scope(member.organization):
        connection = connect_on(fake_x, member)
    share = schedule(member, connection)

    assert run(share) == "published"

    share = fresh(share)
    [post] = fake_x.live_posts()
    assert share.external_id == post.id
    assert share.cost == Decimal("0.200")
    assert post.sent_text == f"{share.text} {LINK}"
    with organization_scope(member.organization):
        assert x_month_spend(organization=member.organization) == Decimal("0.200")
    assert x_post_cost("Plain words", "") == Decimal("0.015")
    assert x_post_cost("See https://example.com", "") == Decimal("0.20")


# --- unknown, reconcile, R12 ---------------------------------------------------------------------------------------


def due_now(share: Share) -> None:
    with organization_scope(share.organization):
        Share.objects.filter(pk=share.pk).update(not_before=None)


def test_a_500_then_200_publishes_once_through_the_single_resend(fake_linkedin, member):
    """A 5xx on a POST may have landed (provider-contracts.md §1.3): the share waits the first backoff, then gets
    the single duplicate-safe resend of §3, which publishes it once."""
    with organization_scope(member.organization):
        connection = connect_on(fake_linkedin, member)
    share = schedule(member, connection)
    fake_linkedin.set_faults("publish", script=[500])

    before = timezone.now()
    assert run(share) == "scheduled"
    share = fresh(share)
    assert share.reconcile_resent is True
    assert before + timedelta(seconds=30) <= share.not_before <= timezone.now() + timedelta(seconds=30)
    assert run(share) == "skipped"

    due_now(share)
    assert run(share) == "published"

    assert len(fake_linkedin.live_posts()) == 1
    assert attempts(share) == [("publish", "unknown"), ("resend", "ok")]


def test_a_second_5xx_after_the_resend_asks_the_member(fake_linkedin, member):
    """The single resend is spent: a second unknown outcome waits for the member, who may not resend again."""
    with organization_scope(member.organization):
        connection = connect_on(fake_linkedin, member)
    share = schedule(member, connection)
    fake_linkedin.set_faults("publish", script=[500, 502])

    assert run(share) == "scheduled"
    due_now(share)
    assert run(share) == "needs_action"

    share = fresh(share)
    assert (share.action_required, share.last_error_code) == ("check", "unknown")
    assert "could not confirm" in share.last_error_message
    assert "share_check" in notifications(member)
    assert fake_linkedin.live_posts() == []
    with organization_scope(member.organization), pytest.raises(ServiceError):
        share_reconcile_resend(share=share, by=member.user)


def test_a_timeout_after_linkedin_accepted_asks_the_member_and_their_resend_is_refused_as_duplicate(
    fake_linkedin, member
):
    """No answer at all: the member checks. Their one "publish again" meets LinkedIn's duplicate refusal, which
    proves the first landed (R12): published, with the first post's id, and still one post on LinkedIn."""
    with organization_scope(member.organization):
        connection = connect_on(fake_linkedin, member)
    share = schedule(member, connection)
    fake_linkedin.set_faults("publish", script=["commit-then-drop"])

    assert run(share) == "needs_action"
    with organization_scope(member.organization):
        share_reconcile_resend(share=fresh(share), by=member.user)
    assert run(share) == "published"

    [post] = fake_linkedin.live_posts()
    share = fresh(share)
    assert share.external_id == post.id
    assert attempts(share) == [("publish", "unknown"), ("resend", "reject")]


def test_a_duplicate_refusal_after_an_unknown_attempt_means_it_had_landed(fake_linkedin, member):
    """R12: LinkedIn stored the post then answered 503; the automatic resend's DUPLICATE_POST names the first."""
    with organization_scope(member.organization):
        connection = connect_on(fake_linkedin, member)
    share = schedule(member, connection)
    fake_linkedin.set_faults("publish", script=["commit-then-503"])

    assert run(share) == "scheduled"
    due_now(share)
    assert run(share) == "published"

    [post] = fake_linkedin.live_posts()
    share = fresh(share)
    assert share.external_id == post.id
    assert attempts(share) == [("publish", "unknown"), ("resend", "reject")]


def test_a_duplicate_refusal_without_an_unknown_attempt_is_a_failure(fake_x, member):
    with organization_scope(member.organization):
        connection = connect_on(fake_x, member)
    first = schedule(member, connection, text="Exactly the same words.")
    second = schedule(member, connection, text="Exactly the same words.")

    assert run(first) == "published"
    assert run(second) == "failed"

    assert (
        fresh(second).last_error_message
        == "X refused this post: You are not allowed to create a Tweet with duplicate content."
    )
    assert len(fake_x.live_posts()) == 1


def test_x_reconciles_an_unknown_outcome_by_finding_the_post(fake_x, member):
    with organization_scope(member.organization):
        connection = connect_on(fake_x, member)
    share = schedule(member, connection)
    fake_x.set_faults("publish", script=["commit-then-503"])

    assert run(share) == "published"

    [post] = fake_x.live_posts()
    assert fresh(share).external_id == post.id
    assert attempts(share) == [("publish", "unknown"), ("reconcile", "ok")]


def test_x_duplicate_after_an_unknown_outcome_finds_the_first_post(fake_x, member):
    """R12 on X: X answered 503 and the listing failed too, so the single resend went out; X's duplicate refusal
    proves the first landed."""
    with organization_scope(member.organization):
        connection = connect_on(fake_x, member)
    share = schedule(member, connection)
    fake_x.set_faults("publish", script=["commit-then-503"])
    fake_x.set_faults("user_posts", script=[503])

    assert run(share) == "scheduled"
    assert fresh(share).reconcile_resent is True
    due_now(share)
    assert run(share) == "published"

    [post] = fake_x.live_posts()
    assert fresh(share).external_id == post.id
    assert attempts(share) == [("publish", "unknown"), ("reconcile", "unknown"), ("resend", "reject")]


@pytest.mark.parametrize("fault", ["slow-after", "commit-then-drop"])
def test_a_timeout_after_linkedin_accepted_waits_for_the_member_and_posts_nothing_more(
    fake_linkedin, member, fast_timeouts, fault
):
    with organization_scope(member.organization):
        connection = connect_on(fake_linkedin, member)
    share = schedule(member, connection)
    fake_linkedin.set_faults("publish", script=[fault], slow_seconds=3)

    assert run(share) == "needs_action"
    assert run(share) == "skipped"

    assert fresh(share).action_required == "check"
    assert len(fake_linkedin.live_posts()) == 1
    assert len(fake_linkedin.requests_to("POST", "/rest/posts")) == 1


def test_a_timeout_after_x_accepted_is_reconciled_to_the_one_post(fake_x, member, fast_timeouts):
    with organization_scope(member.organization):
        connection = connect_on(fake_x, member)
    share = schedule(member, connection)
    fake_x.set_faults("publish", script=["slow-after"], slow_seconds=3)

    assert run(share) == "published"

    [post] = fake_x.live_posts()
    assert fresh(share).external_id == post.id
    assert len(fake_x.requests_to("POST", "/2/tweets")) == 1


# --- retry, wait -----------------------------------------------------------------------------------------------------


def test_a_network_unreachable_before_sending_is_retried_with_backoff_then_fails(member, settings, fake_linkedin):
    with organization_scope(member.organization):
        connection = connect_on(fake_linkedin, member)
    share = schedule(member, connection)
    settings.RELAIS_LINKEDIN_API_URL = "http://127.0.0.1:9"  # the discard port: connection refused

    before = timezone.now()
    assert run(share) == "scheduled"
    share = fresh(share)
    assert share.attempts == 1
    assert before + timedelta(seconds=30) <= share.not_before <= timezone.now() + timedelta(seconds=30)
    assert attempts(share) == [("publish", "retry")]

    with organization_scope(member.organization):
        Share.objects.filter(pk=share.pk).update(not_before=None, attempts=4)
    assert run(share) == "failed"
    share = fresh(share)
    assert share.attempts == 5
    assert share.last_error_message == "LinkedIn could not be reached after 5 tries. Try again later."
    # Kept as the message and its values: whoever reads it, in whatever language, reads it in their own.
    with translation.override("fr"):
        assert share.last_error_message == "LinkedIn est resté injoignable après 5 tentatives. Réessayez plus tard."


def test_an_x_rate_limit_waits_for_the_reset_then_publishes(fake_x, member):
    """R5: a 429 costs no try; the share and the account wait until X's reset, then the share goes out once."""
    with organization_scope(member.organization):
        connection = connect_on(fake_x, member)
    share = schedule(member, connection)
    fake_x.set_knob("user_window_limit", 0)

    assert run(share) == "scheduled"

    share = fresh(share)
    reset = share.not_before
    assert timedelta(minutes=14) < reset - timezone.now() <= timedelta(minutes=15)
    assert share.attempts == 0
    assert connection_of(share).rate_limited_until == reset
    assert attempts(share) == [("publish", "wait")]
    assert run(share) == "skipped"

    fake_x.set_knob("user_window_limit", 100)
    with time_machine.travel(reset + timedelta(seconds=1), tick=True):
        assert run(share) == "published"
    assert len(fake_x.live_posts()) == 1


def test_a_linkedin_throttle_waits_until_midnight_utc(fake_linkedin, member):
    with organization_scope(member.organization):
        connection = connect_on(fake_linkedin, member)
    share = schedule(member, connection)
    fake_linkedin.set_knob("daily_member_post_limit", 0)

    assert run(share) == "scheduled"

    share = fresh(share)
    midnight = (timezone.now().astimezone(UTC) + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    assert share.not_before == midnight
    assert connection_of(share).rate_limited_until == midnight


# --- 401, refresh, reconnect ---------------------------------------------------------------------------------------


def test_an_expired_x_token_is_refreshed_once_and_the_post_resent(fake_x, member):
    with organization_scope(member.organization):
        connection = connect_on(fake_x, member, expires_in=5)
        # Our copy still believes in the token: the 401 is the first sign of its expiry.
        SocialConnection.objects.filter(pk=connection.pk).update(access_expires_at=timezone.now() + timedelta(hours=1))
    share = schedule(member, connection)
    fake_x.clock.advance(60)

    assert run(share) == "published"

    assert attempts(share) == [("publish", "refresh"), ("publish", "ok")]
    assert len(fake_x.requests_to("POST", "/2/oauth2/token")) == 1
    assert len(fake_x.live_posts()) == 1


def test_a_token_about_to_expire_is_refreshed_before_sending(fake_x, member):
    """R7: no 401 is needed when the stored expiry says the token is nearly over."""
    with organization_scope(member.organization):
        connection = connect_on(fake_x, member, expires_in=60)
    share = schedule(member, connection)

    assert run(share) == "published"

    assert attempts(share) == [("publish", "ok")]
    assert len(fake_x.requests_to("POST", "/2/oauth2/token")) == 1


def test_a_refused_refresh_asks_the_member_to_reconnect(fake_x, member):
    """K7: X refuses the refresh token (revoked by the member): the account needs reconnecting, the member is told,
    the share waits for them with a one-click fix, and nothing is retried."""
    with organization_scope(member.organization):
        connection = connect_on(fake_x, member)
    share = schedule(member, connection)
    fake_x.revoke_member(connection.provider_uid)

    assert run(share) == "needs_action"

    share = fresh(share)
    assert share.action_required == "reconnect"
    assert "Reconnect your X account" in share.last_error_message
    assert connection_of(share).status == "needs_reconnect"
    assert "reconnect" in notifications(member)
    assert len(fake_x.requests_to("POST", "/2/oauth2/token")) == 1
    assert fake_x.live_posts() == []
    assert run(share) == "skipped"


def test_a_linkedin_401_without_refresh_needs_a_reconnect(fake_linkedin, member):
    with organization_scope(member.organization):
        connection = connect_on(fake_linkedin, member, expires_in=5)
        SocialConnection.objects.filter(pk=connection.pk).update(access_expires_at=timezone.now() + timedelta(days=9))
    share = schedule(member, connection)
    fake_linkedin.clock.advance(60)

    assert run(share) == "needs_action"

    assert fresh(share).action_required == "reconnect"
    assert connection_of(share).status == "needs_reconnect"
    # The 401 asked for a refresh, which LinkedIn cannot give this app: no second call.
    assert attempts(share) == [("publish", "refresh")]


def test_a_connection_already_waiting_for_a_reconnect_sends_nothing(fake_linkedin, member):
    with organization_scope(member.organization):
        connection = connect_on(fake_linkedin, member)
        SocialConnection.objects.filter(pk=connection.pk).update(status="needs_reconnect", last_error_code="expired")
    share = schedule(member, connection)

    assert run(share) == "needs_action"

    assert fresh(share).action_required == "reconnect"
    assert fake_linkedin.requests_to("POST", "/rest/posts") == []


# --- reject --------------------------------------------------------------------------------------------------------


def test_the_link_x_appends_counts_in_our_own_length_check(fake_x, member):
    """270 characters plus the link the client appends (23 on X) is 294: refused before X is asked."""
    with organization_scope(member.organization):
        connection = connect_on(fake_x, member)
    share = schedule(member, connection, text="a" * 270)

    assert run(share) == "needs_action"

    share = fresh(share)
    assert share.action_required == "compliance"
    assert "over the limit of 280" in share.last_error_message
    assert fake_x.requests_to("POST", "/2/tweets") == []


def test_a_text_x_refuses_fails_with_x_reason(fake_x, member):
    """Two cashtags pass our rules but not X's: the share fails with X's own words."""
    with organization_scope(member.organization):
        connection = connect_on(fake_x, member)
    share = schedule(member, connection, text="Compare $AAPL and $MSFT this quarter.")

    assert run(share) == "failed"

    share = fresh(share)
    assert share.last_error_message.startswith("X refused this post: ")
    assert len(share.last_error_message) > len("X refused this post: ")
    assert attempts(share) == [("publish", "reject")]
    assert "share_failed" in notifications(member)
    assert fake_x.live_posts() == []


# --- config: paused networks, X billing ----------------------------------------------------------------------------


def test_a_retired_linkedin_version_pauses_linkedin_alerts_once_and_keeps_shares(fake_linkedin, member):
    with organization_scope(member.organization):
        connection = connect_on(fake_linkedin, member)
    first, second = schedule(member, connection), schedule(member, connection)
    fake_linkedin.set_knob("active_versions", ["202509"])

    assert run(first) == "scheduled"
    assert run(second) == "scheduled"

    assert ProviderPause.objects.get(provider="linkedin").kind == "version"
    assert [message.subject for message in mail.outbox] == ["[Django] LinkedIn publishing paused (version)"]
    for share in (first, second):
        share = fresh(share)
        assert share.not_before > timezone.now() + timedelta(minutes=4)
        assert share.attempts == 0
        assert share.last_error_code == "network_paused"
    assert len(fake_linkedin.requests_to("POST", "/rest/posts")) == 1


def test_x_client_forbidden_pauses_x_alerts_the_operators_and_asks_no_member_to_reconnect(fake_x, member):
    """X's 403 ``client-forbidden`` (the app is not enrolled for the endpoint) is the app's fault: X is paused for
    the platform and the operators told once; the shares wait, the connection stays active."""
    with organization_scope(member.organization):
        connection = connect_on(fake_x, member)
    first, second = schedule(member, connection), schedule(member, connection)
    fake_x.set_knob("client_forbidden", True)

    assert run(first) == "scheduled"
    assert run(second) == "scheduled"

    assert ProviderPause.objects.get(provider="x").kind == "client_forbidden"
    assert [message.subject for message in mail.outbox] == ["[Django] X publishing paused (client_forbidden)"]
    assert connection_of(first).status == SocialConnection.Status.ACTIVE
    assert "share_reconnect" not in notifications(member)
    for share in (first, second):
        share = fresh(share)
        assert share.status == Share.Status.SCHEDULED
        assert share.attempts == 0
        assert share.last_error_code == "network_paused"
        assert share.action_required == ""
    assert len(fake_x.requests_to("POST", "/2/tweets")) == 1


def test_x_without_credits_falls_back_to_copy_and_open(fake_x, member):
    with organization_scope(member.organization):
        connection = connect_on(fake_x, member)
    first, second = schedule(member, connection), schedule(member, connection)
    fake_x.set_knob("credits", 0.0)

    assert run(first) == "manual"
    assert run(second) == "manual"

    assert ProviderPause.objects.get(provider="x").kind == "credits"
    assert len(mail.outbox) >= 1
    assert "X credits are exhausted" in fresh(first).last_error_message
    assert len(fake_x.requests_to("POST", "/2/tweets")) == 1
    assert notifications(member).count("share_manual") == 2


def test_an_x_share_over_the_monthly_budget_falls_back_to_copy_and_open(fake_x, member):
    with organization_scope(member.organization):
        connection = connect_on(fake_x, member)
        PublishingSettings.objects.create(organization=member.organization, x_monthly_budget=Decimal("0.30"))
    first, second = schedule(member, connection), schedule(member, connection)

    assert run(first) == "published"
    assert run(second) == "manual"

    assert fresh(second).last_error_code == "x_budget"
    assert len(fake_x.live_posts()) == 1


def test_an_organisation_that_turned_the_x_api_off_gets_copy_and_open(fake_x, member):
    with organization_scope(member.organization):
        connection = connect_on(fake_x, member)
        PublishingSettings.objects.create(organization=member.organization, x_api_enabled=False)
    share = schedule(member, connection)

    assert run(share) == "manual"
    assert fake_x.requests_to("POST", "/2/tweets") == []


def test_last_month_x_spend_does_not_count(fake_x, member):
    with organization_scope(member.organization):
        connection = connect_on(fake_x, member)
        last_month = timezone.now().replace(day=1) - timedelta(days=2)
        schedule(member, connection, status="published", published_at=last_month, cost=Decimal("9"))
        assert x_month_spend(organization=member.organization) == Decimal("0")


# --- the gate at publish time --------------------------------------------------------------------------------------


def test_a_member_who_has_not_accepted_the_new_charter_is_not_published(fake_linkedin, member):
    organization = member.organization
    with organization_scope(organization):
        connection = connect_on(fake_linkedin, member)
        # Numbered after every version the factories made so far (their sequence runs across the whole session).
        latest = CharterVersion.objects.aggregate(latest=Max("number"))["latest"] or 0
        CharterVersionFactory(organization=organization, published=True, number=latest + 1, requires_reacceptance=True)
    share = schedule(member, connection)

    assert run(share) == "needs_action"

    share = fresh(share)
    assert (share.action_required, share.last_error_code) == ("charter", "charter_required")
    assert fake_linkedin.requests_to("POST", "/rest/posts") == []


def test_a_blocked_phrase_added_after_scheduling_stops_the_share(fake_linkedin, member):
    with organization_scope(member.organization):
        connection = connect_on(fake_linkedin, member)
        ComplianceRules.objects.create(organization=member.organization, blocked_phrases="secret roadmap")
    share = schedule(member, connection, text="Here is our Secret Roadmap.")

    assert run(share) == "needs_action"

    share = fresh(share)
    assert (share.action_required, share.last_error_code) == ("compliance", "blocked_phrase")
    assert fake_linkedin.requests_to("POST", "/rest/posts") == []


def test_a_share_over_the_daily_cap_is_not_published(fake_linkedin, member):
    """The cap was lowered after scheduling: the share published this morning leaves no room for this one."""
    with organization_scope(member.organization):
        connection = connect_on(fake_linkedin, member)
        ComplianceRules.objects.create(organization=member.organization, daily_cap=1)
    schedule(member, connection, status="published", published_at=timezone.now())
    share = schedule(member, connection)

    assert run(share) == "needs_action"

    assert fresh(share).last_error_code == "daily_cap"
    assert fake_linkedin.requests_to("POST", "/rest/posts") == []


def test_two_shares_queued_under_a_lowered_cap_do_not_refuse_each_other(fake_linkedin, member):
    """At publish time only what has gone out counts: the first to go takes the day's place, the second waits."""
    with organization_scope(member.organization):
        connection = connect_on(fake_linkedin, member)
        ComplianceRules.objects.create(organization=member.organization, daily_cap=1)
    first = schedule(member, connection)
    second = schedule(member, connection, text="Another share, in other words.")

    assert run(first) == "published"
    assert run(second) == "needs_action"

    assert fresh(second).last_error_code == "daily_cap"
    assert len(fake_linkedin.live_posts()) == 1


def test_a_share_of_a_post_withdrawn_while_queued_is_cancelled(fake_linkedin, member):
    with organization_scope(member.organization):
        connection = connect_on(fake_linkedin, member)
    share = schedule(member, connection)
    with organization_scope(member.organization):
        Post.objects.filter(pk=share.post_id).update(status=Post.Status.WITHDRAWN)

    assert run(share) == "cancelled"

    assert fresh(share).last_error_message == "This post can no longer be shared."
    assert fake_linkedin.requests_to("POST", "/rest/posts") == []


def test_a_share_outside_sharing_hours_waits_for_them(fake_linkedin, member):
    with organization_scope(member.organization):
        connection = connect_on(fake_linkedin, member)
    share = schedule(member, connection)
    # A one-hour window that opens two hours from now, whatever the hour (across midnight if need be).
    local = timezone.now().astimezone(member_zone(member))
    opening = (local + timedelta(hours=2)).time().replace(second=0, microsecond=0)
    closing = (local + timedelta(hours=3)).time().replace(second=0, microsecond=0)
    with organization_scope(member.organization):
        ComplianceRules.objects.create(organization=member.organization, sharing_from=opening, sharing_until=closing)

    assert run(share) == "scheduled"

    share = fresh(share)
    assert share.last_error_code == "outside_hours"
    assert timedelta(hours=1) < share.not_before - timezone.now() <= timedelta(hours=2)
    assert fake_linkedin.requests_to("POST", "/rest/posts") == []


# --- never a token in a log ------------------------------------------------------------------------------------------


def test_publishing_logs_no_token(fake_x, member, caplog):
    """K4 on the publish path, refresh included."""
    caplog.set_level("DEBUG")
    with organization_scope(member.organization):
        connection = connect_on(fake_x, member, expires_in=5)
        SocialConnection.objects.filter(pk=connection.pk).update(access_expires_at=timezone.now() + timedelta(hours=1))
        tokens = [token for token in fake_x.tokens]
    share = schedule(member, connection)
    fake_x.clock.advance(60)

    assert run(share) == "published"

    tokens += list(fake_x.tokens)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert tokens and not any(token in logged for token in tokens)
