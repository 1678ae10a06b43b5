"""Referrals and leads on the pages: a post marked as a job offer or a lead campaign, the referral settings (the
webhook secret shown once, the fees validated and audited), an admin recording an event by hand, and the referrals
page per post and per ambassador with the cost per hire. Ambassadors see none of it; the outsider gets a 404."""

import datetime as dt
import json
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone, translation

from advocacy.models import AuditEntry, Membership
from advocacy.tenancy import organization_scope
from analytics.links import referral_code
from analytics.models import ReferralEvent, ReferralSettings
from analytics.referrals import (
    cost_per_hire,
    referral_totals,
    referrals_by_ambassador,
    referrals_by_post,
    webhook_secret,
)
from content.models import Post
from tests.conftest import org_url
from tests.content.factories import PostFactory
from tests.content.test_editor_pages import editor_data, make_post
from tests.factories import MembershipFactory, ProgrammeFactory, ProgrammeMemberFactory, UserFactory

pytestmark = pytest.mark.django_db

Kind = ReferralEvent.Kind
PARIS = ZoneInfo("Europe/Paris")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def record(organization, membership, kind, *, at=None, post=None, source=ReferralEvent.Source.WEBHOOK, key=""):
    return ReferralEvent.objects.create(
        organization=organization,
        kind=kind,
        membership=membership,
        referral_code=referral_code(membership),
        post=post,
        occurred_at=at or timezone.now(),
        source=source,
        idempotency_key=key,
    )


# --- The post's campaign -------------------------------------------------------------------------------------------


def test_the_editor_marks_a_post_as_a_job_offer_and_its_page_says_so(personas):
    client = _client(personas.editor)
    response = client.post(
        org_url("post_create", personas), editor_data(campaign="job_offer", referral_parameter="ref")
    )
    assert response.status_code == 302
    with organization_scope(personas.organization):
        post = Post.objects.get()
    assert post.campaign == Post.Campaign.JOB_OFFER

    page = client.get(org_url("post_detail", personas, post.pk)).content.decode()
    assert "Job offer" in page


def test_changing_the_campaign_keeps_the_revision_and_is_audited(personas):
    post = make_post(personas, title="Engineer")
    response = _client(personas.editor).post(
        org_url("post_edit", personas, post.pk),
        editor_data(title="Engineer", campaign="lead_campaign", expected_revision=post.revision),
    )
    assert response.status_code == 302
    with organization_scope(personas.organization):
        post.refresh_from_db()
        entry = AuditEntry.objects.filter(action="post.updated").latest("pk")
    assert post.campaign == Post.Campaign.LEAD_CAMPAIGN
    assert "campaign" in entry.data["fields"]


def test_an_unknown_campaign_is_a_field_error(personas):
    response = _client(personas.editor).post(org_url("post_create", personas), editor_data(campaign="raffle"))
    assert response.status_code == 400
    assert "campaign" in response.context["form"].errors


# --- Settings: the secret and the fees -----------------------------------------------------------------------------


def test_the_admin_generates_the_secret_which_is_shown_once_and_stored_sealed(personas):
    client = _client(personas.admin)
    page = client.get(org_url("referral_settings", personas)).content.decode()
    assert "/hooks/o/acme/referrals/" in page
    assert "No secret yet" in page
    assert client.get(org_url("referral_secret_rotate", personas)).status_code == 200  # the confirmation page

    response = client.post(org_url("referral_secret_rotate", personas))

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    secret = response.context["secret"]
    assert secret.startswith("whsec_") and secret in response.content.decode()
    with organization_scope(personas.organization):
        assert webhook_secret(organization=personas.organization) == secret
        assert secret not in ReferralSettings.objects.get().webhook_secret_sealed
        entry = AuditEntry.objects.get(action="referrals.secret_rotated")
    assert secret not in json.dumps(entry.data)
    assert secret not in client.get(org_url("referral_settings", personas)).content.decode()


def test_rotating_replaces_the_secret(personas):
    client = _client(personas.admin)
    first = client.post(org_url("referral_secret_rotate", personas)).context["secret"]
    second = client.post(org_url("referral_secret_rotate", personas)).context["secret"]
    assert first != second
    with organization_scope(personas.organization):
        assert webhook_secret(organization=personas.organization) == second


def test_the_admin_saves_the_fees_and_the_change_is_audited(personas):
    data = {"agency_fee": "6000", "programme_cost_per_month": "1500.50", "currency": "GBP"}
    response = _client(personas.admin).post(org_url("referral_settings", personas), data)

    assert response.status_code == 302
    with organization_scope(personas.organization):
        saved = ReferralSettings.objects.get()
        entry = AuditEntry.objects.get(action="referrals.settings_updated")
    assert (saved.agency_fee, saved.programme_cost_per_month, saved.currency) == (
        Decimal("6000"),
        Decimal("1500.50"),
        "GBP",
    )
    assert entry.data == {"agency_fee": "6000", "programme_cost_per_month": "1500.50", "currency": "GBP"}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("agency_fee", "-1", "Enter an amount of zero or more."),
        ("agency_fee", "a lot", "Enter an amount, such as 4500 or 4500.50."),
        ("programme_cost_per_month", "-0.01", "Enter an amount of zero or more."),
        ("currency", "E1", "Pick a currency from the list."),
        ("currency", "JPY", "Pick a currency from the list."),
    ],
)
def test_bad_fees_are_field_errors(personas, field, value, message):
    data = {"agency_fee": "6000", "programme_cost_per_month": "1500", "currency": "EUR", field: value}
    response = _client(personas.admin).post(org_url("referral_settings", personas), data)

    assert response.status_code == 400
    assert message in response.context["form"].errors[field]
    with organization_scope(personas.organization):
        assert not ReferralSettings.objects.exists()


def test_a_currency_saved_before_the_list_is_shown_and_kept_and_another_is_refused(personas):
    with organization_scope(personas.organization):
        ReferralSettings.objects.create(organization=personas.organization, currency="JPY")
    client = _client(personas.admin)
    url = org_url("referral_settings", personas)

    assert '<option value="JPY" selected>JPY</option>' in client.get(url).content.decode()
    data = {"agency_fee": "6000", "programme_cost_per_month": "", "currency": "JPY"}
    assert client.post(url, data).status_code == 302
    refused = client.post(url, {**data, "currency": "SEK"})
    assert refused.status_code == 400
    assert refused.context["form"].errors["currency"] == ["Pick a currency from the list."]
    with organization_scope(personas.organization):
        assert ReferralSettings.objects.get().currency == "JPY"


def test_the_currency_is_picked_from_the_emv_list(personas):
    page = _client(personas.admin).get(org_url("referral_settings", personas)).content.decode()
    assert '<option value="EUR" selected>Euro (EUR)</option>' in page
    assert '<option value="CHF">Swiss franc (CHF)</option>' in page


def test_a_negative_fee_is_refused_in_french(personas):
    personas.admin.language = "fr"
    personas.admin.save()
    response = _client(personas.admin).post(
        org_url("referral_settings", personas), {"agency_fee": "-5", "programme_cost_per_month": "", "currency": "EUR"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["agency_fee"] == ["Saisissez un montant positif ou nul."]
    refused = _client(personas.admin).post(
        org_url("referral_settings", personas), {"agency_fee": "", "programme_cost_per_month": "", "currency": "XYZ"}
    )
    assert refused.context["form"].errors["currency"] == ["Choisissez une devise dans la liste."]


# --- Recording by hand ---------------------------------------------------------------------------------------------


def test_an_admin_records_a_hire_by_hand(personas):
    with organization_scope(personas.organization):
        member = personas.membership(personas.ambassador)
        post = PostFactory(organization=personas.organization, campaign=Post.Campaign.JOB_OFFER)
    client = _client(personas.admin)
    assert client.get(org_url("referral_create", personas)).status_code == 200

    today = timezone.localtime(timezone.now(), PARIS).date()
    response = client.post(
        org_url("referral_create", personas),
        {"kind": "hire", "membership": member.pk, "post": post.pk, "occurred_on": today.isoformat(), "note": "Léa"},
    )

    assert response.status_code == 302
    with organization_scope(personas.organization):
        event = ReferralEvent.objects.get()
        entry = AuditEntry.objects.get(action="referrals.event_recorded")
        code = referral_code(member)
    assert (event.kind, event.membership_id, event.post_id, event.source) == ("hire", member.pk, post.pk, "manual")
    assert event.referral_code == code and event.recorded_by == personas.admin and event.note == "Léa"
    assert event.occurred_at <= timezone.now()
    assert entry.data["membership"] == member.pk


@pytest.mark.parametrize("field", ["membership", "post"])
def test_a_member_or_post_of_another_organisation_cannot_be_chosen(personas, field):
    with organization_scope(personas.organization):
        member = personas.membership(personas.ambassador)
    with organization_scope(personas.other_organization):
        foreign = {
            "membership": Membership.objects.get(user=personas.outsider).pk,
            "post": PostFactory(organization=personas.other_organization).pk,
        }
    data = {"kind": "lead", "membership": member.pk, "post": "", "occurred_on": "2026-01-10", field: foreign[field]}

    response = _client(personas.admin).post(org_url("referral_create", personas), data)

    assert response.status_code == 400
    assert field in response.context["form"].errors
    with organization_scope(personas.organization):
        assert not ReferralEvent.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "promotion"}, "kind"),
        ({"occurred_on": "2999-01-01"}, "occurred_on"),
        ({"membership": ""}, "membership"),
    ],
)
def test_manual_entry_is_validated(personas, change, field):
    with organization_scope(personas.organization):
        member = personas.membership(personas.ambassador)
    data = {"kind": "lead", "membership": member.pk, "post": "", "occurred_on": "2026-01-10", **change}
    response = _client(personas.admin).post(org_url("referral_create", personas), data)
    assert response.status_code == 400
    assert field in response.context["form"].errors


# --- Who may see and record ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["referrals", "referral_create", "referral_settings", "referral_secret_rotate"])
def test_the_outsider_gets_404(personas, name):
    client = _client(personas.outsider)
    assert client.get(org_url(name, personas)).status_code == 404
    assert client.post(org_url(name, personas)).status_code == 404


@pytest.mark.parametrize("name", ["referrals", "referral_create", "referral_settings", "referral_secret_rotate"])
def test_an_ambassador_may_neither_see_nor_record(personas, name):
    client = _client(personas.ambassador)
    assert client.get(org_url(name, personas)).status_code == 403
    assert client.post(org_url(name, personas)).status_code == 403
    with organization_scope(personas.organization):
        assert not ReferralEvent.objects.exists()
        assert not ReferralSettings.objects.exists()


def test_a_manager_reads_the_referrals_but_records_nothing(personas):
    client = _client(personas.manager)
    page = client.get(org_url("referrals", personas)).content.decode()
    assert "Nothing recorded in this period." in page
    assert org_url("referral_create", personas) not in page
    assert client.get(org_url("referral_create", personas)).status_code == 403
    assert client.post(org_url("referral_settings", personas), {"currency": "EUR"}).status_code == 403


# --- The referrals page --------------------------------------------------------------------------------------------


@pytest.fixture
def activity(personas):
    """Acme: two members' events on two posts and without post; Globex: events that must not show."""
    acme, globex = personas.organization, personas.other_organization
    with organization_scope(acme):
        lea = personas.membership(personas.ambassador)
        marc = personas.membership(personas.editor)
        job = PostFactory(organization=acme, title="Engineer in Lyon", campaign=Post.Campaign.JOB_OFFER)
        webinar = PostFactory(organization=acme, title="Webinar on data", campaign=Post.Campaign.LEAD_CAMPAIGN)
        for kind in (Kind.APPLICATION, Kind.APPLICATION, Kind.HIRE):
            record(acme, lea, kind, post=job)
        record(acme, marc, Kind.HIRE, post=job)
        record(acme, marc, Kind.LEAD, post=webinar)
        record(acme, lea, Kind.LEAD)  # no post: for the ambassador only
        record(acme, lea, Kind.HIRE, at=timezone.now() - dt.timedelta(days=200))  # out of the default period
        ReferralSettings.objects.create(
            organization=acme, agency_fee=Decimal("5000"), programme_cost_per_month=Decimal("1000"), currency="EUR"
        )
    with organization_scope(globex):
        spy = Membership.objects.get(user=personas.outsider)
        secret_post = PostFactory(organization=globex, title="Globex secret job")
        for _ in range(3):
            record(globex, spy, Kind.HIRE, post=secret_post)
    return {"lea": lea, "marc": marc, "job": job, "webinar": webinar}


def test_the_page_counts_per_post_and_per_ambassador(personas, activity):
    response = _client(personas.manager).get(org_url("referrals", personas))
    context = response.context

    assert (context["totals"].applications, context["totals"].hires, context["totals"].leads) == (2, 2, 2)
    by_post = {row.title: (row.counts.applications, row.counts.hires, row.counts.leads) for row in context["by_post"]}
    assert by_post == {"Engineer in Lyon": (2, 2, 0), "Webinar on data": (0, 0, 1)}
    by_member = {
        row.membership_id: (row.counts.applications, row.counts.hires, row.counts.leads)
        for row in context["by_ambassador"]
    }
    assert by_member == {activity["lea"].pk: (2, 1, 1), activity["marc"].pk: (0, 1, 1)}
    page = response.content.decode()
    assert "Engineer in Lyon" in page and "Globex" not in page


def test_the_cost_per_hire_is_compared_with_the_agency_fee(personas, activity):
    today = timezone.localtime(timezone.now(), PARIS).date()
    start = today - dt.timedelta(days=364)
    response = _client(personas.admin).get(org_url("referrals", personas), {"start": start.isoformat(), "end": today})
    cost = response.context["cost"]

    # 365 days: 12 months of 1000; 3 hires (the old one is in this year's period too).
    assert cost.programme_cost == Decimal("12000.00")
    assert cost.cost_per_hire == Decimal("4000.00")
    assert cost.agency_cost == Decimal("15000")
    assert cost.saving == Decimal("3000.00")
    assert "Cost per hire" in response.content.decode()


def test_cost_per_hire_without_hires_or_fees_stays_unknown():
    today = dt.date(2026, 3, 31)
    empty = cost_per_hire(settings=ReferralSettings(), hires=0, start=today, end=today)
    assert (empty.programme_cost, empty.cost_per_hire, empty.agency_cost, empty.saving) == (None, None, None, None)


@pytest.mark.parametrize(
    ("query", "field", "language", "message"),
    [
        ({"start": "2026-03-01", "end": "2026-02-01"}, "end", "en", "The period ends before it starts"),
        ({"start": "2026-03-01", "end": "2026-02-01"}, "end", "fr", "La période se termine avant de commencer"),
        ({"start": "2023-01-01", "end": "2026-01-01"}, "start", "en", "A period covers two years at most"),
        ({"start": "2023-01-01", "end": "2026-01-01"}, "start", "fr", "Une période couvre deux ans au plus"),
        ({"start": "yesterday"}, "start", "en", "Enter a valid date"),
    ],
)
def test_a_bad_period_is_a_400_with_the_fields_reason_and_no_figures(
    personas, activity, query, field, language, message
):
    personas.manager.language = language
    personas.manager.save(update_fields=["language"])
    response = _client(personas.manager).get(org_url("referrals", personas), query)

    assert response.status_code == 400
    assert message in response.context["filter_form"].errors[field][0]
    assert "totals" not in response.context
    page = response.content.decode()
    assert message in page and "Engineer in Lyon" not in page


def test_a_good_period_shows_its_figures(personas, activity):
    today = timezone.localtime(timezone.now(), PARIS).date()
    start = today - dt.timedelta(days=729)
    response = _client(personas.manager).get(org_url("referrals", personas), {"start": start, "end": today})

    assert response.status_code == 200
    assert (response.context["start"], response.context["end"]) == (start, today)
    assert response.context["totals"].hires == 3


def test_no_period_is_the_last_90_days(personas, activity):
    response = _client(personas.manager).get(org_url("referrals", personas))

    assert response.status_code == 200
    assert (response.context["end"] - response.context["start"]).days == 89
    assert response.context["totals"].hires == 2


def test_the_page_runs_a_bounded_number_of_queries(personas, activity, django_assert_max_num_queries):
    with organization_scope(personas.organization):
        for n in range(15):
            user = UserFactory(email=f"member{n}@acme.test")
            member = MembershipFactory(organization=personas.organization, user=user)
            post = PostFactory(organization=personas.organization)
            record(personas.organization, member, Kind.APPLICATION, post=post)
            record(personas.organization, member, Kind.HIRE)
    client = _client(personas.admin)
    client.get(org_url("referrals", personas))  # warm the per-process caches

    with django_assert_max_num_queries(14):
        response = client.get(org_url("referrals", personas))
    assert len(response.context["by_ambassador"]) == 17


# --- Selectors -----------------------------------------------------------------------------------------------------


def test_days_are_the_organisations_and_a_programme_narrows_to_its_members(personas):
    acme = personas.organization
    with organization_scope(acme):
        lea = personas.membership(personas.ambassador)
        marc = personas.membership(personas.editor)
        programme = ProgrammeFactory(organization=acme)
        ProgrammeMemberFactory(organization=acme, programme=programme, membership=lea)
        # 23:30 in Paris on 31 January is 22:30 UTC: the 31st, not February.
        record(acme, lea, Kind.HIRE, at=dt.datetime(2026, 1, 31, 23, 30, tzinfo=PARIS))
        record(acme, marc, Kind.LEAD, at=dt.datetime(2026, 2, 1, 0, 30, tzinfo=PARIS))
        january = {"organization": acme, "start": dt.date(2026, 1, 1), "end": dt.date(2026, 1, 31)}
        february = {"organization": acme, "start": dt.date(2026, 2, 1), "end": dt.date(2026, 2, 28)}

        assert referral_totals(**january).hires == 1 and referral_totals(**january).leads == 0
        assert referral_totals(**february).leads == 1
        assert referral_totals(**february, programme=programme).leads == 0
        assert [row.membership_id for row in referrals_by_ambassador(**february, programme=programme)] == []
        assert referrals_by_post(**january) == []


def test_the_list_selectors_take_one_query_each(personas, activity, django_assert_num_queries):
    period = {
        "organization": personas.organization,
        "start": timezone.localdate() - dt.timedelta(days=30),
        "end": timezone.localdate(),
    }
    with organization_scope(personas.organization):
        for selector in (referral_totals, referrals_by_post, referrals_by_ambassador):
            with django_assert_num_queries(1):
                selector(**period)


def test_the_page_speaks_french(personas, activity):
    personas.manager.language = "fr"
    personas.manager.save()
    with translation.override("fr"):
        page = _client(personas.manager).get(org_url("referrals", personas)).content.decode()
    assert "Recrutements" in page
