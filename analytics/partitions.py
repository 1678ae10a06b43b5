"""The clicks table on PostgreSQL: range-partitioned by month of ``clicked_at``.

A DEFAULT partition catches any click whose month has no partition yet, so an insert never fails; the hourly
maintenance (``ensure_partitions``) creates the coming months ahead of time and, should a month's clicks have landed
in the default partition, moves them into the month's new partition before attaching it. Retention drops whole
partitions, which costs nothing compared with deleting rows. On other databases the table is a plain one and
retention deletes rows.

Every key starts with ``organization_id``: to distribute the table with Citus, ``create_distributed_table(
'analytics_click', 'organization_id')`` works as is (README, "Scaling clicks").
"""

from __future__ import annotations

from datetime import date

from django.db import connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

TABLE = "analytics_click"
DEFAULT_PARTITION = f"{TABLE}_default"

CREATE_PARTITIONED_TABLE = f"""
CREATE TABLE {TABLE} (
    organization_id bigint NOT NULL,
    clicked_at timestamp with time zone NOT NULL,
    event_id varchar(40) NOT NULL,
    link_id bigint NOT NULL,
    share_id bigint NULL,
    membership_id bigint NULL,
    post_id bigint NULL,
    network varchar(16) NOT NULL,
    referrer_host varchar(253) NOT NULL,
    visitor_hash varchar(32) NOT NULL,
    first_of_day boolean NOT NULL,
    filtered varchar(16) NOT NULL,
    PRIMARY KEY (organization_id, clicked_at, event_id)
) PARTITION BY RANGE (clicked_at);
CREATE INDEX click_link_time ON {TABLE} (organization_id, link_id, clicked_at);
CREATE INDEX click_share_time ON {TABLE} (organization_id, share_id, clicked_at);
CREATE TABLE {DEFAULT_PARTITION} PARTITION OF {TABLE} DEFAULT;
"""


def month_start(day: date, shift: int = 0) -> date:
    """The first day of ``day``'s month, moved by ``shift`` months."""
    index = day.year * 12 + day.month - 1 + shift
    return date(index // 12, index % 12 + 1, 1)


def partition_name(month: date) -> str:
    return f"{TABLE}_{month:%Y%m}"


def is_partitioned(using: BaseDatabaseWrapper | None = None) -> bool:
    return (using or connection).vendor == "postgresql"


def existing_partitions() -> dict[str, date]:
    """The monthly partitions of the clicks table, by name, with their first day."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT child.relname FROM pg_inherits JOIN pg_class parent ON parent.oid = pg_inherits.inhparent "
            "JOIN pg_class child ON child.oid = pg_inherits.inhrelid WHERE parent.relname = %s",
            [TABLE],
        )
        names = [row[0] for row in cursor.fetchall()]
    months = {}
    for name in names:
        suffix = name.removeprefix(f"{TABLE}_")
        if suffix.isdigit() and len(suffix) == 6:
            months[name] = date(int(suffix[:4]), int(suffix[4:]), 1)
    return months


def ensure_partitions(today: date, months_ahead: int = 2) -> list[str]:
    """Create the partitions of this month and the next ``months_ahead``; return the names created."""
    if not is_partitioned():
        return []
    have = set(existing_partitions())
    created = []
    for shift in range(months_ahead + 1):
        month = month_start(today, shift)
        name = partition_name(month)
        if name not in have:
            _create_partition(name, month, month_start(month, 1))
            created.append(name)
    return created


def _create_partition(name: str, start: date, end: date) -> None:
    """Create the month's table apart, move in any of its clicks held by the default partition, then attach it:
    attaching a range whose rows sit in the default partition would fail."""
    bounds = [start.isoformat(), end.isoformat()]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {TABLE} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute(f"CREATE TABLE {name} (LIKE {TABLE} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
        cursor.execute(
            f"WITH moved AS (DELETE FROM {DEFAULT_PARTITION} WHERE clicked_at >= %s AND clicked_at < %s RETURNING *) "
            f"INSERT INTO {name} SELECT * FROM moved",
            bounds,
        )
        cursor.execute(f"ALTER TABLE {TABLE} ATTACH PARTITION {name} FOR VALUES FROM (%s) TO (%s)", bounds)


def drop_expired(today: date, keep_months: int) -> list[str]:
    """Drop raw clicks older than ``keep_months`` whole months before this one; return what was dropped.
    On PostgreSQL whole partitions go; elsewhere rows are deleted (the names list is then empty)."""
    oldest_kept = month_start(today, -keep_months)
    if not is_partitioned():
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {TABLE} WHERE clicked_at < %s", [oldest_kept.isoformat()])
        return []
    dropped = []
    for name, month in sorted(existing_partitions().items(), key=lambda item: item[1]):
        if month < oldest_kept:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE {name}")
            dropped.append(name)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {DEFAULT_PARTITION} WHERE clicked_at < %s", [oldest_kept.isoformat()])
    return dropped
