"""The weekly e-mail summary of the figures: on each reader's own Monday morning (their time zone, else the
organisation's), to the members holding analytics.view who did not turn it off, once per member and week however often
the tick runs, in the member's language, with last week's figures against the week before (the organisation's own,
never another's), the biggest topic gap, a link to the dashboard for that week and a one-click unsubscribe."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from advocacy.models import Membership
from advocacy.roles import Role
from advocacy.tenancy import organization_scope
from analytics.models import WeeklySummary
from analytics.summaries import next_summary_at, summary_week, unsubscribe_url, weekly_summaries_send
from analytics.tasks import enqueue_weekly_summaries
from content.models import Post, Topic
from tests.analytics.factories import record_post_day as record
from tests.conftest import org_url
from tests.content.factories import eager_celery
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

PARIS, NEW_YORK = ZoneInfo("Europe/Paris"), ZoneInfo("America/New_York")
# A Monday in winter: Paris is UTC+1 (08:00 is 07:00 UTC), New York UTC-5 (08:00 is 13:00 UTC).
MONDAY = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
SUNDAY_EVENING = MONDAY - timedelta(hours=6)
LAST_WEEK = (date(2026, 2, 23), date(2026, 3, 1))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def run_tick_at(moment: datetime) -> list[str]:
    """The tick's batches at ``moment``, run in-process; the recipients of the e-mails they sent."""
    before = len(mail.outbox)
    with time_machine.travel(moment, tick=False), eager_celery():
        enqueue_weekly_summaries()
    return sorted(message.to[0] for message in mail.outbox[before:])


def summary_to(address: str) -> mail.EmailMessage:
    [message] = [message for message in mail.outbox if message.to == [address]]
    return message


@pytest.fixture
def figures(personas):
    """Acme: 4 shares and 25 unique clicks last week, 1 share and 2 the week before, a topic clicked far beyond its
    shares. Globex (the outsider's): figures of its own, much larger."""
    acme = personas.organization
    with organization_scope(acme):
        people = Topic.objects.create(organization=acme, name="People")
        product = Topic.objects.create(organization=acme, name="Product")
        post = Post.objects.create(organization=acme, title="Post A")
        other = Post.objects.create(organization=acme, title="Post B")
        alice = personas.membership(personas.ambassador)
        record(acme, date(2026, 2, 24), alice, "linkedin", post, topics=[people], shares=3, clicks=6, unique_clicks=5)
        record(acme, date(2026, 2, 26), alice, "x", other, topics=[product], shares=1, clicks=30, unique_clicks=20)
        record(acme, date(2026, 2, 17), alice, "linkedin", post, topics=[people], shares=1, clicks=2, unique_clicks=2)
    globex = personas.other_organization
    with organization_scope(globex):
        outsider = Membership.objects.get(user=personas.outsider)
        big = Post.objects.create(organization=globex, title="Globex post")
        record(globex, date(2026, 2, 25), outsider, "linkedin", big, shares=777, clicks=9000, unique_clicks=8888)


def subscribed(personas):
    """The tick of Sunday evening has made everyone's row, for their next Monday morning."""
    assert run_tick_at(SUNDAY_EVENING) == []


def set_user(user, **fields) -> None:
    for name, value in fields.items():
        setattr(user, name, value)
    user.save(update_fields=list(fields))


# --- When ----------------------------------------------------------------------------------------------------------


def test_the_next_summary_is_monday_eight_oclock_in_the_members_zone():
    assert next_summary_at(PARIS, SUNDAY_EVENING) == utc(2026, 3, 2, 7)
    assert next_summary_at(NEW_YORK, SUNDAY_EVENING) == utc(2026, 3, 2, 13)
    # Once it has gone out, the next Monday; across the change to summer time, still 08:00 on the wall clock.
    assert next_summary_at(PARIS, utc(2026, 3, 2, 7)) == utc(2026, 3, 9, 7)
    assert next_summary_at(PARIS, utc(2026, 3, 25)) == utc(2026, 3, 30, 6)


def test_the_week_is_monday_to_sunday_before_the_local_monday():
    week = summary_week(NEW_YORK, utc(2026, 3, 2, 13))
    assert (week.start, week.end) == LAST_WEEK


def test_each_reader_gets_it_on_their_own_local_monday_morning(personas, figures):
    set_user(personas.manager, time_zone="America/New_York")
    subscribed(personas)

    assert run_tick_at(utc(2026, 3, 2, 6, 55)) == []
    paris = ["admin@acme.test", "editor@acme.test", "outsider@globex.test"]
    assert run_tick_at(utc(2026, 3, 2, 7, 5)) == paris
    assert run_tick_at(utc(2026, 3, 2, 12, 55)) == []
    assert run_tick_at(utc(2026, 3, 2, 13, 5)) == ["manager@acme.test"]
    with organization_scope(personas.organization):
        row = WeeklySummary.objects.get(membership=personas.membership(personas.manager))
    # New York moved to summer time on Sunday 8 March: 08:00 there is now 12:00 UTC.
    assert row.next_at == utc(2026, 3, 9, 12)


def test_only_members_holding_analytics_view_get_it(personas, figures):
    subscribed(personas)
    recipients = run_tick_at(utc(2026, 3, 2, 7, 5))

    assert "approver@acme.test" not in recipients and "ambassador@acme.test" not in recipients
    assert {"admin@acme.test", "editor@acme.test", "manager@acme.test"} <= set(recipients)


def test_the_tick_run_twice_sends_one_email_per_member_and_week(personas, figures):
    subscribed(personas)
    first = run_tick_at(utc(2026, 3, 2, 7, 5))
    assert run_tick_at(utc(2026, 3, 2, 7, 5)) == []
    assert run_tick_at(utc(2026, 3, 2, 7, 10)) == []
    # Even a batch that finds the rows still due (a second worker, before the first moved them on) sends nothing more.
    with organization_scope(personas.organization):
        WeeklySummary.objects.update(next_at=utc(2026, 3, 2, 7))
        ids = list(WeeklySummary.objects.values_list("membership_id", flat=True))
    with time_machine.travel(utc(2026, 3, 2, 7, 15), tick=False), organization_scope(personas.organization):
        run = weekly_summaries_send(organization_id=personas.organization.pk, membership_ids=ids)
    assert run.batch.sent == 0 and run.batch.skipped == 3
    assert len(first) == 4
    # The next Monday brings the next week's.
    assert run_tick_at(utc(2026, 3, 9, 7, 5)) == first


def test_a_summary_found_a_day_late_is_not_sent_but_scheduled(personas, figures):
    subscribed(personas)
    assert run_tick_at(utc(2026, 3, 3, 8)) == []
    with organization_scope(personas.organization):
        row = WeeklySummary.objects.get(membership=personas.membership(personas.admin))
    assert row.next_at == utc(2026, 3, 9, 7)


def test_the_email_gives_last_weeks_figures_against_the_week_before_and_links_to_that_week(personas, figures):
    subscribed(personas)
    run_tick_at(utc(2026, 3, 2, 7, 5))
    message = summary_to("manager@acme.test")
    text = message.body

    assert "Last week at Acme" in message.subject
    assert "- Shares: 4 (the week before: 1, +300 %)" in text
    assert "- Unique clicks: 25 (the week before: 2, +1150 %)" in text
    assert "- Engagement: not provided by the network" in text
    assert "- Active ambassadors: 1 (the week before: 1, +0 %)" in text
    assert "Audiences want more of “Product”" in text
    dashboard = reverse("analytics_dashboard", args=["acme"])
    assert f"{dashboard}?start=2026-02-23&end=2026-03-01" in text
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "start=2026-02-23&amp;end=2026-03-01" in html and "<table" in html


def test_the_outsiders_organisation_figures_never_mix_with_ours(personas, figures):
    subscribed(personas)
    run_tick_at(utc(2026, 3, 2, 7, 5))

    ours, theirs = summary_to("admin@acme.test").body, summary_to("outsider@globex.test").body
    assert "777" not in ours and "8888" not in ours and "/o/globex/" not in ours
    assert "- Shares: 777" in theirs and "/o/globex/analytics/" in theirs and "/o/acme/" not in theirs


def test_the_email_is_written_in_the_members_language(personas, figures):
    set_user(personas.manager, language="fr")
    subscribed(personas)
    run_tick_at(utc(2026, 3, 2, 7, 5))

    message = summary_to("manager@acme.test")
    assert "La semaine dernière" in message.subject
    assert "non fourni par le réseau" in message.body
    assert "Last week" in summary_to("admin@acme.test").subject


def test_a_member_who_turned_it_off_gets_nothing_and_can_turn_it_back_on(personas, figures):
    client = Client()
    client.force_login(personas.manager)
    page = client.get(org_url("notification_settings", personas)).content.decode()
    assert "Weekly summary of the figures" in page
    subscribed(personas)

    response = client.post(org_url("weekly_summary_settings", personas), {})
    assert response.status_code == 302
    assert "manager@acme.test" not in run_tick_at(utc(2026, 3, 2, 7, 5))

    with time_machine.travel(utc(2026, 3, 4), tick=False):
        client.post(org_url("weekly_summary_settings", personas), {"enabled": "on"})
    assert run_tick_at(utc(2026, 3, 9, 7, 5)).count("manager@acme.test") == 1


def test_ambassadors_see_no_such_setting_and_may_not_post_it(personas):
    client = Client()
    client.force_login(personas.ambassador)
    assert (
        "Weekly summary of the figures" not in client.get(org_url("notification_settings", personas)).content.decode()
    )
    assert client.post(org_url("weekly_summary_settings", personas), {"enabled": "on"}).status_code == 403


def test_the_outsider_gets_404_on_the_setting(personas):
    client = Client()
    client.force_login(personas.outsider)
    assert client.post(org_url("weekly_summary_settings", personas), {}).status_code == 404


def test_the_unsubscribe_link_turns_that_members_summary_off_without_signing_in(personas, figures):
    subscribed(personas)
    run_tick_at(utc(2026, 3, 2, 7, 5))
    message = summary_to("editor@acme.test")
    link = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link in message.body
    path = link.split("://", 1)[1].split("/", 1)[1]

    assert "weekly summary" in Client().get("/" + path).content.decode()
    assert Client(enforce_csrf_checks=True).post("/" + path).status_code == 200
    assert run_tick_at(utc(2026, 3, 9, 7, 5)) == ["admin@acme.test", "manager@acme.test", "outsider@globex.test"]
    assert Client().get("/" + path[:-3] + "xx/").status_code == 404


def test_a_token_names_one_member_of_one_organisation(personas):
    with organization_scope(personas.organization):
        link = unsubscribe_url(personas.membership(personas.admin))
    assert "/unsubscribe/weekly-summary/" in link and "/o/" not in link


def _managers(organization, count: int, prefix: str) -> list[int]:
    with organization_scope(organization):
        members = [
            MembershipFactory(
                organization=organization, user=UserFactory(email=f"{prefix}{n}@acme.test"), role=Role.MANAGER
            )
            for n in range(count)
        ]
        WeeklySummary.objects.bulk_create(
            WeeklySummary(organization=organization, membership=member, next_at=utc(2026, 3, 2, 7))
            for member in members
        )
    return [member.pk for member in members]


def test_sending_a_batch_reads_the_figures_once_whatever_the_number_of_readers(personas, figures):
    """Beyond the fixed reads (the members, their rows, the week's figures) and the bulk update, each e-mail costs the
    claim and the mark of its key."""
    acme = personas.organization
    few, many = _managers(acme, 3, "few"), _managers(acme, 20, "many")

    def queries(ids):
        with (
            time_machine.travel(utc(2026, 3, 2, 7, 5), tick=False),
            organization_scope(acme),
            CaptureQueriesContext(connection) as captured,
        ):
            run = weekly_summaries_send(organization_id=acme.pk, membership_ids=ids)
        guard = [q for q in captured.captured_queries if "advocacy_sentemail" in q["sql"] or "SAVEPOINT" in q["sql"]]
        return len(captured) - len(guard), run.batch.sent

    assert queries(few) == (queries(many)[0], 3)
    assert len(mail.outbox) == 23


def test_a_role_that_no_longer_reads_the_dashboard_gets_nothing(personas, figures):
    subscribed(personas)
    with organization_scope(personas.organization):
        Membership.objects.filter(pk=personas.membership(personas.editor).pk).update(role=Role.AMBASSADOR)
    assert "editor@acme.test" not in run_tick_at(utc(2026, 3, 2, 7, 5))
