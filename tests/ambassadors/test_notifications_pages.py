"""The notifications page (own notifications only, newest first, unread marked, paginated), opening one (marks it
read, follows only a path of ours), "mark all as read", the settings form, and the top bar's bell."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from advocacy.tenancy import organization_scope
from ambassadors.models import AmbassadorProfile, DigestFrequency, Notification
from tests.conftest import org_url


def notify(personas, user, message, *, url="", read=False, **fields) -> Notification:
    membership = personas.membership(user)
    with organization_scope(personas.organization):
        return Notification.objects.create(
            organization=personas.organization,
            membership=membership,
            kind="info",
            message=message,
            url=url,
            read_at=datetime.now(UTC) if read else None,
            **fields,
        )


@pytest.fixture
def ambassador(client, personas):
    client.force_login(personas.ambassador)
    return client


def test_the_page_lists_my_notifications_newest_first_with_the_unread_marked(ambassador, personas):
    notify(personas, personas.ambassador, "Older, read", read=True)
    notify(personas, personas.ambassador, "Newer, unread")
    notify(personas, personas.editor, "Someone else's")
    response = ambassador.get(org_url("notifications", personas))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.index("Newer, unread") < page.index("Older, read")
    assert "Someone else" not in page
    assert page.count("notification-unread") == 1
    assert org_url("notification_settings", personas) in page


def test_an_empty_list_says_so(ambassador, personas):
    response = ambassador.get(org_url("notifications", personas))
    assert "No notifications yet" in response.content.decode()


def test_the_list_is_paginated_and_its_queries_do_not_grow_with_it(ambassador, personas, django_assert_max_num_queries):
    for n in range(30):
        notify(personas, personas.ambassador, f"Message {n:02d}")
    with django_assert_max_num_queries(14):
        first = ambassador.get(org_url("notifications", personas))
    assert "Page 1 of 2" in first.content.decode()
    second = ambassador.get(org_url("notifications", personas) + "?page=2")
    assert "Message 00" in second.content.decode() and "Message 29" not in second.content.decode()


def test_opening_a_notification_marks_it_read_and_follows_its_link(ambassador, personas):
    notification = notify(personas, personas.ambassador, "Reconnect", url=org_url("connections", personas))
    response = ambassador.post(org_url("notification_open", personas, notification.pk))
    assert response.status_code == 302 and response["Location"] == org_url("connections", personas)
    with organization_scope(personas.organization):
        notification.refresh_from_db()
    assert notification.read_at is not None


@pytest.mark.parametrize("url", ["https://evil.example/", "//evil.example/", "/\\evil.example/", "javascript:alert(1)"])
def test_opening_never_leaves_the_site(ambassador, personas, url):
    notification = notify(personas, personas.ambassador, "Odd link", url=url)
    response = ambassador.post(org_url("notification_open", personas, notification.pk))
    assert response["Location"] == org_url("notifications", personas)


def test_opening_is_a_post_only(ambassador, personas):
    notification = notify(personas, personas.ambassador, "Hi", url="/o/acme/")
    assert ambassador.get(org_url("notification_open", personas, notification.pk)).status_code == 405


def test_another_members_notification_is_a_404(ambassador, personas):
    theirs = notify(personas, personas.editor, "Not yours", url="/o/acme/")
    assert ambassador.post(org_url("notification_open", personas, theirs.pk)).status_code == 404
    with organization_scope(personas.organization):
        theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_as_read_marks_only_mine(ambassador, personas):
    notify(personas, personas.ambassador, "One")
    notify(personas, personas.ambassador, "Two")
    theirs = notify(personas, personas.editor, "Theirs")
    response = ambassador.post(org_url("notifications_read_all", personas))
    assert response.status_code == 302
    with organization_scope(personas.organization):
        unread = Notification.objects.filter(organization=personas.organization, read_at__isnull=True)
        assert list(unread) == [theirs]


def test_outsider_gets_a_404_on_every_page(client, personas):
    notification = notify(personas, personas.ambassador, "Hi")
    client.force_login(personas.outsider)
    for method, url in [
        ("get", org_url("notifications", personas)),
        ("post", org_url("notification_open", personas, notification.pk)),
        ("post", org_url("notifications_read_all", personas)),
        ("get", org_url("notification_settings", personas)),
        ("post", org_url("notification_settings", personas)),
    ]:
        assert getattr(client, method)(url).status_code == 404, url


# --- Settings ------------------------------------------------------------------------------------------------------


def settings_form(**overrides):
    data = {
        "digest_frequency": "daily",
        "digest_hour": "8",
        "digest_weekday": "0",
        "nudges": "on",
        "nudges_in_digest": "",
    }
    return {**data, **overrides}


def test_saving_settings_schedules_the_next_digest_in_my_time_zone(ambassador, personas):
    personas.ambassador.time_zone = "America/New_York"
    personas.ambassador.save()
    with time_machine.travel(datetime(2026, 3, 2, 0, 0, tzinfo=UTC), tick=False):
        response = ambassador.post(org_url("notification_settings", personas), settings_form(digest_weekday="2"))
    assert response.status_code == 302
    with organization_scope(personas.organization):
        profile = AmbassadorProfile.objects.get(
            organization=personas.organization, membership=personas.membership(personas.ambassador)
        )
    assert profile.digest_frequency == DigestFrequency.DAILY
    assert profile.digest_next_at == datetime(2026, 3, 2, 13, 0, tzinfo=UTC)
    assert (profile.nudges, profile.nudges_in_digest, profile.digest_weekday) == (True, False, 2)


def test_the_settings_page_shows_my_choices(ambassador, personas):
    ambassador.post(org_url("notification_settings", personas), settings_form(digest_hour="17"))
    page = ambassador.get(org_url("notification_settings", personas)).content.decode()
    assert 'value="17"' in page
    assert "Next digest" in page


@pytest.mark.parametrize("hour", ["24", "-1"])
def test_an_hour_outside_the_day_is_a_field_error(ambassador, personas, hour):
    response = ambassador.post(org_url("notification_settings", personas), settings_form(digest_hour=hour))
    assert response.status_code == 400
    assert response.context["form"].errors["digest_hour"]


def test_the_hour_error_is_in_the_members_language(ambassador, personas):
    personas.ambassador.language = "fr"
    personas.ambassador.save()
    response = ambassador.post(org_url("notification_settings", personas), settings_form(digest_hour="24"))
    assert "inférieure ou égale à 23" in response.context["form"].errors["digest_hour"][0]


# --- The bell ------------------------------------------------------------------------------------------------------


def test_the_bell_counts_my_unread_notifications_with_an_accessible_label(ambassador, personas):
    for n in range(3):
        notify(personas, personas.ambassador, f"Unread {n}")
    notify(personas, personas.ambassador, "Read", read=True)
    notify(personas, personas.editor, "Theirs")
    page = ambassador.get(org_url("feed", personas)).content.decode()
    assert "notification-bell" in page
    assert "3 unread notifications" in page
    assert f'href="{org_url("notifications", personas)}"' in page


def test_the_bell_costs_one_query_per_page(ambassador, personas):
    notify(personas, personas.ambassador, "Unread")
    with CaptureQueriesContext(connection) as queries:
        ambassador.get(org_url("shares", personas))
    counts = [q for q in queries.captured_queries if "ambassadors_notification" in q["sql"] and "COUNT" in q["sql"]]
    assert len(counts) == 1


def test_no_bell_outside_an_organisations_pages(ambassador):
    page = ambassador.get("/account/").content.decode()
    assert "notification-bell" not in page


def test_the_bell_is_silent_when_all_is_read(ambassador, personas):
    notify(personas, personas.ambassador, "Read", read=True)
    page = ambassador.get(org_url("feed", personas)).content.decode()
    assert "unread notification" not in page


def test_the_list_shows_times_in_my_zone(ambassador, personas):
    at = datetime(2026, 1, 5, 23, 30, tzinfo=UTC)
    with time_machine.travel(at, tick=False):
        notify(personas, personas.ambassador, "Late")
    page = ambassador.get(org_url("notifications", personas)).content.decode()
    assert (at + timedelta(hours=1)).isoformat()[:16] in page  # Europe/Paris in January
