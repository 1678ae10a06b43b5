"""The clicks table on PostgreSQL: one partition per month, created ahead by the hourly maintenance, clicks of a
month without its partition kept in the default one and moved in when it is created, and retention dropping whole
partitions. Elsewhere retention deletes rows."""

from datetime import UTC, date, datetime

import pytest
from django.db import connection

from analytics import partitions
from analytics.clicks import store_clicks
from analytics.tasks import maintain_clicks
from tests.analytics.conftest import make_tracked
from tests.analytics.test_flusher import event, rows

pytestmark = pytest.mark.django_db


def where_stored() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text, count(*) FROM analytics_click GROUP BY 1")
        return dict(cursor.fetchall())


@pytest.fixture
def postgres_only():
    if not partitions.is_partitioned():
        pytest.skip("partitions are PostgreSQL's")


def at(year: int, month: int, day: int = 15) -> datetime:
    return datetime(year, month, day, 12, tzinfo=UTC)


def test_clicks_of_three_months_live_in_three_partitions_and_retention_drops_the_oldest(postgres_only):
    tracked = make_tracked()
    assert partitions.ensure_partitions(date(2031, 1, 20), months_ahead=2) == [
        "analytics_click_203101",
        "analytics_click_203102",
        "analytics_click_203103",
    ]
    assert partitions.ensure_partitions(date(2031, 1, 20), months_ahead=2) == []
    store_clicks([event(tracked, at=at(2031, month), key=f"{month}-0") for month in (1, 2, 3)])
    store_clicks([event(tracked, at=at(2031, 3, 31).replace(hour=23, minute=59), key="3-1")])

    assert where_stored() == {"analytics_click_203101": 1, "analytics_click_203102": 1, "analytics_click_203103": 2}

    dropped = partitions.drop_expired(date(2031, 3, 5), keep_months=1)
    assert "analytics_click_203101" in dropped
    assert not {"analytics_click_203102", "analytics_click_203103"} & set(dropped)
    assert where_stored() == {"analytics_click_203102": 1, "analytics_click_203103": 2}
    assert "analytics_click_203101" not in partitions.existing_partitions()
    assert len(rows(tracked)) == 3


def test_a_month_without_its_partition_is_kept_then_moved_into_it(postgres_only):
    tracked = make_tracked()
    store_clicks([event(tracked, at=at(2032, 6), key="1-0")])
    assert where_stored() == {"analytics_click_default": 1}

    partitions.ensure_partitions(date(2032, 6, 1), months_ahead=0)
    assert where_stored() == {"analytics_click_203206": 1}


def test_the_hourly_maintenance_creates_this_and_the_next_months(postgres_only, settings):
    settings.RELAIS_CLICKS_RETENTION_MONTHS = 25
    result = maintain_clicks()
    today = date.today()
    expected = {partitions.partition_name(partitions.month_start(today, shift)) for shift in range(3)}
    assert expected <= set(partitions.existing_partitions())
    assert set(result["created"]) <= expected


def test_retention_deletes_old_rows_without_partitions(transactional_db):
    if partitions.is_partitioned():
        pytest.skip("PostgreSQL drops partitions (above)")
    tracked = make_tracked()
    store_clicks([event(tracked, at=at(2031, 1), key="1-0"), event(tracked, at=at(2031, 3), key="2-0")])
    partitions.drop_expired(date(2031, 3, 5), keep_months=1)
    assert [row.event_id for row in rows(tracked)] == ["2-0"]
