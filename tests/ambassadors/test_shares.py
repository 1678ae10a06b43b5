"""The share services: scheduling and its routes (API, copy-and-open, the X budget), every transition with its
refusals and compare-and-set, the gate on every path, and the selectors of the pages."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from advocacy.errors import ServiceError
from advocacy.models import AuditEntry
from ambassadors import presentation, selectors
from ambassadors.models import MetricSnapshot, PublishingSettings, Share, SocialConnection
from ambassadors.services import shares
from analytics.redirect import share_targets
from charter.compliance import rules_save
from charter.selectors import charter_current
from charter.services import charter_accept
from content.models import Post
from tests.ambassadors.factories import ShareFactory, connect_on
from tests.charter.factories import publish_charter
from tests.content.factories import PostFactory, PostVariantFactory

pytestmark = pytest.mark.django_db

Status = Share.Status


# --- Helpers the other share test modules use too -------------------------------------------------------------------


def accept_charter(personas, *users):
    """Publish a charter (once) and have each of ``users`` accept it. Call inside the organisation's scope."""
    version = charter_current(organization=personas.organization) or publish_charter(
        personas.organization, personas.admin
    )
    for user in users:
        charter_accept(membership=personas.membership(user), version=version, ip="198.51.100.1", user_agent="UA")


def live_post(personas, *, title="Our Q3 report", **fields) -> Post:
    """An approved, live post with a LinkedIn and an X text. Call inside the scope."""
    post = PostFactory(
        organization=personas.organization, author=personas.editor, title=title, status=Post.Status.APPROVED, **fields
    )
    PostVariantFactory(post=post, network="linkedin", text="Our Q3 report is out: proud of the team.")
    PostVariantFactory(post=post, network="x", text="Q3 report is out!")
    return post


def share_of(personas, membership, post, **fields) -> Share:
    """A share in any state, without the services (for transitions from states only workers reach)."""
    return ShareFactory(organization=personas.organization, membership=membership, post=post, **fields)


@pytest.fixture
def member(scoped):
    accept_charter(scoped, scoped.ambassador)
    return scoped.membership(scoped.ambassador)


@pytest.fixture
def post(scoped):
    return live_post(scoped)


@pytest.fixture
def linkedin(fake_linkedin, member):
    return connect_on(fake_linkedin, member)


def enqueued(callbacks) -> list:
    """The on-commit callbacks that enqueue a publication: planning a share also puts its new tracked link in the
    shared cache after commit (analytics.redirect.share_targets)."""
    return [callback for callback in callbacks if getattr(callback, "func", None) is not share_targets]


def _schedule(member, post, *, network="linkedin", text="My own words about Q3.", at=None, by=None):
    return shares.share_schedule(membership=member, post=post, network=network, text=text, at=at, by=by or member.user)


# --- Scheduling ------------------------------------------------------------------------------------------------------


def test_sharing_now_makes_it_due_and_enqueues_the_publication_after_commit(
    member, post, linkedin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        share = _schedule(member, post)

    assert share.status == Status.SCHEDULED and share.connection == linkedin
    assert abs(share.scheduled_at - timezone.now()) < dt.timedelta(seconds=5)
    assert share.text == "My own words about Q3." and share.link == post.link and share.network == "linkedin"
    assert len(enqueued(callbacks)) == 1
    assert AuditEntry.objects.filter(action="share.scheduled", object_id=str(share.pk)).exists()


def test_sharing_later_waits_for_the_tick_without_enqueuing(member, post, linkedin, django_capture_on_commit_callbacks):
    at = timezone.now() + dt.timedelta(days=2)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        share = _schedule(member, post, at=at)

    assert share.status == Status.SCHEDULED and share.scheduled_at == at
    assert enqueued(callbacks) == []


def test_a_past_time_means_now(member, post, linkedin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        share = _schedule(member, post, at=timezone.now() - dt.timedelta(hours=1))
    assert share.scheduled_at > timezone.now() - dt.timedelta(seconds=5) and len(enqueued(callbacks)) == 1


def test_the_mandatory_disclosure_is_added_once(scoped, member, post, linkedin):
    rules_save(organization=scoped.organization, by=scoped.admin, disclosure_linkedin="#employee")

    share = _schedule(member, post, text="Proud of Q3.  ")

    assert share.text == "Proud of Q3.\n\n#employee"


def test_linkedin_without_an_account_is_refused_with_a_pointer_to_the_connections_page(member, post):
    with pytest.raises(ServiceError) as refused:
        _schedule(member, post)

    assert refused.value.code == "connection_required" and "connections page" in refused.value.message
    assert not Share.objects.exists()


def test_an_account_that_needs_reconnecting_is_refused(member, post, linkedin):
    SocialConnection.objects.filter(pk=linkedin.pk).update(status=SocialConnection.Status.NEEDS_RECONNECT)

    with pytest.raises(ServiceError) as refused:
        _schedule(member, post)

    assert refused.value.code == "reconnect_required"


def test_other_networks_are_copy_and_open_and_need_no_account(member, post, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        share = _schedule(member, post, network="generic")

    assert share.status == Status.MANUAL and share.connection is None and enqueued(callbacks) == []
    assert presentation.share_copy_and_open(share) == ""


def test_x_with_the_api_turned_off_falls_back_to_copy_and_open(scoped, member, post):
    PublishingSettings.objects.create(organization=scoped.organization, x_api_enabled=False)

    share = _schedule(member, post, network="x", text="Q3 report is out!")

    assert share.status == Status.MANUAL and share.last_error_code == "x_api_disabled"
    assert "copy-and-open" in presentation.share_note(share)
    assert presentation.share_copy_and_open(share).startswith("https://x.com/intent/")


def test_x_over_the_month_budget_falls_back_to_copy_and_open(scoped, member, post, fake_x):
    connect_on(fake_x, member)
    PublishingSettings.objects.create(organization=scoped.organization, x_monthly_budget=Decimal("0.10"))

    share = _schedule(member, post, network="x", text="Q3 report is out!")

    # The post's link makes it a $0.20 post: over a $0.10 budget.
    assert share.status == Status.MANUAL and share.last_error_code == "x_budget"
    assert "budget" in presentation.share_note(share)


def test_x_within_the_budget_goes_through_the_api(scoped, member, post, fake_x):
    connection = connect_on(fake_x, member)

    share = _schedule(member, post, network="x", text="Q3 report is out!")

    assert share.status == Status.SCHEDULED and share.connection == connection


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"status": Post.Status.DRAFT}, "post_not_live"),
        ({"status": Post.Status.WITHDRAWN}, "post_not_live"),
        ({"expires_at": dt.datetime(2020, 1, 1, tzinfo=dt.UTC)}, "post_not_live"),
    ],
)
def test_a_post_that_is_not_live_cannot_be_shared(member, post, linkedin, change, code):
    Post.objects.filter(pk=post.pk).update(**change)

    with pytest.raises(ServiceError) as refused:
        _schedule(member, post)

    assert refused.value.code == code and refused.value.field == "post"
    assert not Share.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({"text": "   "}, "required", "text"),
        ({"network": "myspace"}, "invalid", "network"),
        ({"at": "far"}, "too_far", "at"),
    ],
)
def test_bad_input_is_refused_with_the_field_named(member, post, linkedin, kwargs, code, field):
    if kwargs.get("at") == "far":
        kwargs = {"at": timezone.now() + dt.timedelta(days=91)}
    with pytest.raises(ServiceError) as refused:
        _schedule(member, post, **kwargs)
    assert (refused.value.code, refused.value.field) == (code, field)


def test_a_time_after_the_post_expires_is_refused(member, linkedin, scoped):
    post = live_post(scoped, expires_at=timezone.now() + dt.timedelta(days=1))

    with pytest.raises(ServiceError) as refused:
        _schedule(member, post, at=timezone.now() + dt.timedelta(days=2))

    assert refused.value.code == "after_expiry"


def test_a_post_ambassadors_may_not_edit_is_shared_with_one_of_its_texts(scoped, member, linkedin):
    post = live_post(scoped, editable_by_ambassadors=False)

    with pytest.raises(ServiceError) as refused:
        _schedule(member, post, text="My creative rewrite.")
    share = _schedule(member, post, text="  Our Q3 report is out:   proud of the team. ")

    assert refused.value.code == "not_editable"
    assert share.text == "Our Q3 report is out: proud of the team."


def test_one_waiting_share_per_post_and_network(member, post, linkedin):
    first = _schedule(member, post, at=timezone.now() + dt.timedelta(days=1))

    with pytest.raises(ServiceError) as refused:
        _schedule(member, post)
    other_network = _schedule(member, post, network="generic")
    shares.share_cancel(share=first, by=member.user)
    again = _schedule(member, post)

    assert refused.value.code == "duplicate"
    assert other_network.status == Status.MANUAL and again.status == Status.SCHEDULED


def test_a_post_of_another_organisation_is_refused(member, linkedin, personas):
    from advocacy.tenancy import organization_scope

    with organization_scope(personas.other_organization):
        foreign = PostFactory(organization=personas.other_organization, status=Post.Status.APPROVED)

    with pytest.raises(ServiceError) as refused:
        _schedule(member, foreign)

    # The refusal of a post that is not live: nothing tells a foreign, missing or hidden post apart.
    assert (refused.value.code, refused.value.field) == ("post_not_live", "post")
    assert not Share.objects.exists()


# --- The gate on every path ------------------------------------------------------------------------------------------


def _charter_not_accepted(personas, member, post):
    """A new version that requires accepting again: the member's acceptance no longer counts."""
    publish_charter(personas.organization, personas.admin, requires_reacceptance=True)


def _blocked_phrase(personas, member, post):
    rules_save(organization=personas.organization, by=personas.admin, blocked_phrases="my own words")


RESCHEDULE_IN = dt.timedelta(hours=2)


def _daily_cap(personas, member, post):
    """The cap is full today and on the day the rescheduling test aims at (past midnight late in the evening)."""
    rules_save(organization=personas.organization, by=personas.admin, daily_cap=1)
    other = live_post(personas, title="Other")
    share_of(personas, member, other, status=Status.PUBLISHED, published_at=timezone.now())
    share_of(personas, member, other, status=Status.SCHEDULED, scheduled_at=timezone.now() + RESCHEDULE_IN)


def _withdrawn(personas, member, post):
    Post.objects.filter(pk=post.pk).update(status=Post.Status.WITHDRAWN)


GATE_CASES = [
    pytest.param(_charter_not_accepted, "charter_required", id="charter-not-accepted"),
    pytest.param(_blocked_phrase, "blocked_phrase", id="blocked-phrase"),
    pytest.param(_daily_cap, "daily_cap", id="daily-cap"),
    pytest.param(_withdrawn, "post_not_live", id="withdrawn-post"),
]


@pytest.mark.parametrize(("close", "code"), GATE_CASES)
def test_the_gate_refuses_a_new_share(scoped, member, post, linkedin, close, code):
    close(scoped, member, post)

    with pytest.raises(ServiceError) as refused:
        _schedule(member, post, text="In my own words: Q3.")

    assert refused.value.code == code
    assert not Share.objects.filter(post=post).exists()


@pytest.mark.parametrize(("close", "code"), GATE_CASES)
def test_the_gate_refuses_publishing_a_queued_share_now(scoped, member, post, linkedin, close, code):
    share = _schedule(member, post, text="In my own words: Q3.", at=timezone.now() + dt.timedelta(days=1))
    close(scoped, member, post)

    with pytest.raises(ServiceError) as refused:
        shares.share_publish_now(share=share, by=member.user)

    share.refresh_from_db()
    assert refused.value.code == code and share.status == Status.SCHEDULED


@pytest.mark.parametrize(("close", "code"), GATE_CASES)
def test_the_gate_refuses_rescheduling_and_retrying(scoped, member, post, linkedin, close, code):
    failed = share_of(scoped, member, post, status=Status.FAILED, text="In my own words: Q3.", connection=linkedin)
    close(scoped, member, post)

    with pytest.raises(ServiceError) as rescheduled:
        shares.share_reschedule(share=failed, at=timezone.now() + RESCHEDULE_IN, by=member.user)
    with pytest.raises(ServiceError) as retried:
        shares.share_retry(share=failed, by=member.user)

    failed.refresh_from_db()
    assert {rescheduled.value.code, retried.value.code} <= {code, "post_not_live"}
    assert failed.status == Status.FAILED


def test_the_gate_refuses_a_new_text_and_keeps_the_old_one(scoped, member, post, linkedin):
    share = _schedule(member, post, at=timezone.now() + dt.timedelta(days=1))
    rules_save(organization=scoped.organization, by=scoped.admin, blocked_phrases="confidential")

    with pytest.raises(ServiceError) as refused:
        shares.share_update_text(share=share, text="Confidential numbers!", by=member.user)

    share.refresh_from_db()
    assert refused.value.code == "blocked_phrase" and share.text == "My own words about Q3."


# --- Transitions -------------------------------------------------------------------------------------------------


def test_publish_now_moves_a_later_share_to_now(member, post, linkedin, django_capture_on_commit_callbacks):
    share = _schedule(member, post, at=timezone.now() + dt.timedelta(days=1))

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        shares.share_publish_now(share=share, by=member.user)

    assert share.status == Status.SCHEDULED and share.scheduled_at <= timezone.now() and len(callbacks) == 1


@pytest.mark.parametrize("status", [Status.SCHEDULED, Status.NEEDS_ACTION, Status.MANUAL, Status.DRAFT])
def test_a_waiting_share_can_be_cancelled(scoped, member, post, status):
    share = share_of(scoped, member, post, status=status)

    shares.share_cancel(share=share, by=member.user, reason="changed my mind")

    assert share.status == Status.CANCELLED
    assert AuditEntry.objects.get(action="share.cancelled").data == {"reason": "changed my mind"}


def test_a_share_being_published_cannot_be_cancelled(scoped, member, post):
    share = share_of(scoped, member, post, status=Status.PUBLISHING)

    with pytest.raises(ServiceError) as refused:
        shares.share_cancel(share=share, by=member.user)

    assert refused.value.code == "publishing" and "wait a moment" in refused.value.message


@pytest.mark.parametrize("status", [Status.PUBLISHED, Status.CANCELLED, Status.FAILED])
def test_a_share_that_is_over_cannot_be_cancelled(scoped, member, post, status):
    share = share_of(scoped, member, post, status=status)
    with pytest.raises(ServiceError) as refused:
        shares.share_cancel(share=share, by=member.user)
    assert refused.value.code == "invalid_state"


def test_a_worker_claiming_the_share_first_wins_over_the_member(scoped, member, post, linkedin):
    share = _schedule(member, post, at=timezone.now() + dt.timedelta(days=1))
    # The worker's compare-and-set happens after the member's page loaded the share.
    Share.objects.filter(pk=share.pk).update(status=Status.PUBLISHING)

    with pytest.raises(ServiceError) as cancel:
        shares.share_cancel(share=share, by=member.user)
    with pytest.raises(ServiceError) as reschedule:
        shares.share_reschedule(share=share, at=timezone.now() + dt.timedelta(days=2), by=member.user)

    assert cancel.value.code == reschedule.value.code == "publishing"
    assert Share.objects.get(pk=share.pk).status == Status.PUBLISHING


def test_rescheduling_a_failed_share_starts_a_new_run(scoped, member, post, linkedin):
    share = share_of(scoped, member, post, status=Status.FAILED, attempts=5, last_error="Too long.", connection=None)
    at = timezone.now() + dt.timedelta(hours=3)

    shares.share_reschedule(share=share, at=at, by=member.user)

    assert share.status == Status.SCHEDULED and share.scheduled_at == at
    assert share.attempts == 0 and share.last_error == "" and share.connection == linkedin


def test_rescheduling_outside_the_sharing_hours_is_refused(scoped, member, post, linkedin):
    rules_save(organization=scoped.organization, by=scoped.admin, sharing_from=dt.time(9), sharing_until=dt.time(17))
    share = share_of(scoped, member, post, status=Status.SCHEDULED, connection=linkedin)
    night = (timezone.now() + dt.timedelta(days=1)).astimezone(dt.UTC).replace(hour=2, minute=0)

    with pytest.raises(ServiceError) as refused:
        shares.share_reschedule(share=share, at=night, by=member.user)

    assert refused.value.code == "outside_hours"


def test_a_share_whose_outcome_is_unknown_is_never_rescheduled_blindly(scoped, member, post, linkedin):
    share = share_of(scoped, member, post, status=Status.NEEDS_ACTION, action_required="check")

    with pytest.raises(ServiceError):
        shares.share_reschedule(share=share, at=timezone.now() + dt.timedelta(hours=1), by=member.user)
    with pytest.raises(ServiceError):
        shares.share_update_text(share=share, text="Other words", by=member.user)


def test_a_new_text_that_passes_sends_a_share_held_back_by_the_rules(
    scoped, member, post, linkedin, django_capture_on_commit_callbacks
):
    share = share_of(
        scoped, member, post, status=Status.NEEDS_ACTION, action_required="compliance", connection=linkedin
    )

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        shares.share_update_text(share=share, text="Better words.", by=member.user)

    assert share.status == Status.SCHEDULED and share.text == "Better words." and share.action_required == ""
    assert len(callbacks) == 1


def test_a_copy_and_open_share_is_marked_posted_with_its_address(scoped, member, post):
    share = share_of(scoped, member, post, network="linkedin", status=Status.MANUAL)

    shares.share_mark_posted_manually(
        share=share, url="https://www.linkedin.com/feed/update/urn:li:share:1", by=member.user
    )

    assert share.status == Status.PUBLISHED and share.published_at is not None
    assert share.external_url == "https://www.linkedin.com/feed/update/urn:li:share:1"


@pytest.mark.parametrize(
    ("network", "url", "ok"),
    [
        ("x", "https://twitter.com/ada/status/1", True),
        ("x", "https://x.com/ada/status/1", True),
        ("x", "https://evil.example/x.com/ada", False),
        ("linkedin", "https://linkedin.com.evil.example/post", False),
        ("linkedin", "javascript:alert(1)", False),
        ("generic", "https://mastodon.social/@ada/1", True),
        ("linkedin", "", True),
    ],
)
def test_the_address_of_a_post_marked_posted_is_on_the_network(scoped, member, post, network, url, ok):
    share = share_of(scoped, member, post, network=network, status=Status.MANUAL)

    if ok:
        shares.share_mark_posted_manually(share=share, url=url, by=member.user)
        assert share.status == Status.PUBLISHED
    else:
        with pytest.raises(ServiceError) as refused:
            shares.share_mark_posted_manually(share=share, url=url, by=member.user)
        assert refused.value.field == "url" and Share.objects.get(pk=share.pk).status == Status.MANUAL


def test_an_unknown_outcome_found_on_the_profile_is_marked_posted(scoped, member, post):
    share = share_of(scoped, member, post, status=Status.NEEDS_ACTION, action_required="check")
    shares.share_mark_posted_manually(share=share, by=member.user)
    assert share.status == Status.PUBLISHED and share.action_required == ""


def test_a_scheduled_share_cannot_be_marked_posted(scoped, member, post):
    share = share_of(scoped, member, post, status=Status.SCHEDULED)
    with pytest.raises(ServiceError):
        shares.share_mark_posted_manually(share=share, by=member.user)


def test_retrying_a_failed_share_sends_it_now(scoped, member, post, linkedin, django_capture_on_commit_callbacks):
    share = share_of(scoped, member, post, status=Status.FAILED, attempts=5)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        shares.share_retry(share=share, by=member.user)

    assert share.status == Status.SCHEDULED and share.attempts == 0 and len(callbacks) == 1


def test_retrying_a_share_waiting_for_a_reconnect_needs_the_account_back(scoped, member, post, linkedin):
    share = share_of(scoped, member, post, status=Status.NEEDS_ACTION, action_required="reconnect")
    SocialConnection.objects.filter(pk=linkedin.pk).update(status=SocialConnection.Status.NEEDS_RECONNECT)

    with pytest.raises(ServiceError) as refused:
        shares.share_retry(share=share, by=member.user)
    SocialConnection.objects.filter(pk=linkedin.pk).update(status=SocialConnection.Status.ACTIVE)
    shares.share_retry(share=share, by=member.user)

    assert refused.value.code == "reconnect_required"
    assert share.status == Status.SCHEDULED and share.action_required == "" and share.connection == linkedin


def test_retrying_an_unknown_outcome_resends_once_through_the_engine(scoped, member, post, linkedin):
    share = share_of(scoped, member, post, status=Status.NEEDS_ACTION, action_required="check", connection=linkedin)

    shares.share_retry(share=share, by=member.user)
    share.refresh_from_db()
    assert share.status == Status.SCHEDULED and share.reconcile_resent

    Share.objects.filter(pk=share.pk).update(status=Status.NEEDS_ACTION, action_required="check")
    with pytest.raises(ServiceError) as refused:
        shares.share_retry(share=share, by=member.user)
    assert refused.value.code == "resend_refused"


def test_copy_and_open_prefills_the_networks_share_page(scoped, member, post):
    x = share_of(scoped, member, post, network="x", status=Status.MANUAL, text="Q3 is out & great")
    linkedin = share_of(scoped, member, post, network="linkedin", status=Status.MANUAL)

    assert presentation.share_copy_and_open(x).startswith("https://x.com/intent/")
    assert "Q3%20is%20out%20%26%20great" in presentation.share_copy_and_open(x)
    assert presentation.share_copy_and_open(linkedin).startswith("https://www.linkedin.com/sharing/share-offsite/?url=")


# --- Selectors and settings -------------------------------------------------------------------------------------


def test_member_shares_and_counts_hold_only_the_members_own(scoped, member, post):
    mine = [share_of(scoped, member, post, status=status) for status in (Status.SCHEDULED, Status.SCHEDULED)]
    share_of(scoped, member, post, status=Status.PUBLISHED)
    share_of(scoped, scoped.membership(scoped.editor), post, status=Status.SCHEDULED)

    assert set(selectors.member_shares(membership=member, status="scheduled")) == set(mine)
    assert selectors.member_shares(membership=member).count() == 3
    counts = selectors.share_counts(membership=member)
    assert counts["scheduled"] == 2 and counts["published"] == 1 and counts["failed"] == 0


def test_latest_metrics_keep_absent_numbers_absent(scoped, member, post):
    share = share_of(scoped, member, post, status=Status.PUBLISHED, published_at=timezone.now())
    MetricSnapshot.objects.create(
        organization=scoped.organization, share=share, slot=0, taken_at=timezone.now(), likes=1
    )
    MetricSnapshot.objects.create(
        organization=scoped.organization, share=share, slot=1, taken_at=timezone.now(), likes=4, impressions=None
    )

    presentation.attach_latest_metrics([share])

    assert share.latest_metrics.likes == 4 and share.latest_metrics.impressions is None


@pytest.mark.parametrize(
    ("action", "url_part", "words"),
    [
        ("reconnect", "/connections/", "reconnect"),
        ("charter", "/charter/", "charter"),
        ("check", "/shares/", "Check your profile"),
        ("compliance", "#edit", "Edit the text"),
    ],
)
def test_each_needs_action_reason_has_its_one_click_fix(scoped, member, post, action, url_part, words):
    share = share_of(scoped, member, post, status=Status.NEEDS_ACTION, action_required=action)

    hint = presentation.needs_action_reason(share)

    assert url_part in hint.fix_url and hint.fix_label
    assert words.lower() in (hint.message + hint.fix_label).lower()


def test_no_reason_for_a_share_that_needs_nothing(scoped, member, post):
    assert presentation.needs_action_reason(share_of(scoped, member, post, status=Status.SCHEDULED)) is None


def test_publishing_settings_are_saved_and_audited(scoped):
    shares.publishing_settings_save(
        organization=scoped.organization, by=scoped.admin, x_api_enabled=False, x_monthly_budget=Decimal("50")
    )

    saved = PublishingSettings.objects.get()
    assert not saved.x_api_enabled and saved.x_monthly_budget == Decimal("50")
    assert AuditEntry.objects.filter(action="publishing.settings_changed").exists()
    with pytest.raises(ServiceError):
        shares.publishing_settings_save(
            organization=scoped.organization, by=scoped.admin, x_api_enabled=True, x_monthly_budget=Decimal("-1")
        )


def test_the_spend_summary_shows_the_costs_of_a_post(scoped):
    summary = selectors.x_spend_summary(organization=scoped.organization)
    assert summary.cost_per_post == Decimal("0.015") and summary.cost_per_post_with_link == Decimal("0.20")
    assert summary.spent == 0 and summary.remaining == summary.budget
