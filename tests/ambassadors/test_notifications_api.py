"""``/api/v1/o/<org>/notifications/``: the caller's own notifications (paginated), marking one or all read, and the
notification settings (GET/PUT), with the same rules as the pages."""

from datetime import UTC, datetime

import pytest
import time_machine
from rest_framework.test import APIClient

from advocacy import services
from advocacy.roles import Role
from advocacy.tenancy import organization_scope
from ambassadors.models import Notification
from tests.api.conftest import client_for

BASE = "/api/v1/o/acme/notifications/"


def notify(personas, user, message, **fields) -> Notification:
    with organization_scope(personas.organization):
        return Notification.objects.create(
            organization=personas.organization,
            membership=personas.membership(user),
            kind="info",
            message=message,
            **fields,
        )


@pytest.fixture
def api(personas) -> APIClient:
    return client_for(personas.ambassador)


def test_list_has_only_my_notifications_newest_first_and_paginated(api, personas, django_assert_max_num_queries):
    for n in range(3):
        notify(personas, personas.ambassador, f"Mine {n}")
    notify(personas, personas.editor, "Theirs")
    with django_assert_max_num_queries(10):
        response = api.get(BASE)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [row["message"] for row in body["results"]] == ["Mine 2", "Mine 1", "Mine 0"]
    assert body["results"][0]["is_read"] is False


def test_marking_one_read(api, personas):
    notification = notify(personas, personas.ambassador, "Hi")
    response = api.post(f"{BASE}{notification.pk}/read/")
    assert response.status_code == 200 and response.json()["is_read"] is True


def test_another_members_notification_is_a_404(api, personas):
    theirs = notify(personas, personas.editor, "Theirs")
    assert api.post(f"{BASE}{theirs.pk}/read/").status_code == 404


def test_marking_all_read_counts_only_mine(api, personas):
    notify(personas, personas.ambassador, "One")
    notify(personas, personas.ambassador, "Two")
    theirs = notify(personas, personas.editor, "Theirs")
    response = api.post(f"{BASE}read-all/")
    assert response.json() == {"marked": 2}
    with organization_scope(personas.organization):
        theirs.refresh_from_db()
    assert theirs.read_at is None


def settings_body(**overrides):
    return {
        "digest_frequency": "weekly",
        "digest_hour": 8,
        "digest_weekday": 4,
        "nudges": False,
        "nudges_in_digest": True,
        **overrides,
    }


def test_settings_read_and_write(api, personas):
    assert api.get(f"{BASE}settings/").json()["digest_frequency"] == "weekly"
    with time_machine.travel(datetime(2026, 3, 2, tzinfo=UTC), tick=False):
        response = api.put(f"{BASE}settings/", settings_body(), format="json")
    assert response.status_code == 200
    body = response.json()
    # Friday 6 March, 08:00 in Paris (the organisation's zone, the member has none of their own).
    assert body["digest_next_at"] == "2026-03-06T08:00:00+01:00"
    assert (body["digest_weekday"], body["nudges"], body["nudges_in_digest"]) == (4, False, True)


@pytest.mark.parametrize("hour", [24, -1])
def test_an_hour_outside_the_day_is_a_field_error(api, hour):
    response = api.put(f"{BASE}settings/", settings_body(digest_hour=hour), format="json")
    assert response.status_code == 400
    assert "digest_hour" in response.json()["errors"]


def test_outsider_gets_a_404_everywhere(personas):
    notification = notify(personas, personas.ambassador, "Hi")
    client = client_for(personas.outsider)
    for method, path in [
        ("get", BASE),
        ("post", f"{BASE}{notification.pk}/read/"),
        ("post", f"{BASE}read-all/"),
        ("get", f"{BASE}settings/"),
        ("put", f"{BASE}settings/"),
    ]:
        assert getattr(client, method)(path, format="json").status_code == 404, path


def test_an_api_token_is_no_one_and_is_refused(personas):
    with organization_scope(personas.organization):
        _, raw = services.api_token_create(organization=personas.organization, name="ci", role=Role.ADMIN, by=None)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get(BASE).status_code == 403
    assert client.get(f"{BASE}settings/").status_code == 403
