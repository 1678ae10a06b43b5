"""The embedded broker: kombu's SQLAlchemy transport on a SQLite file in ``var/``, for web, worker and beat at once.

Chosen over kombu's filesystem transport, whose message and exchange files are created empty and written after, so
a reader running at that moment gets an empty document (the worker then stops with "Unrecoverable error:
JSONDecodeError") or loses the message. SQLite serialises the writers, and the transport takes each message inside
``BEGIN IMMEDIATE``, so two readers never get the same one. What is added here: write-ahead logging, a shorter poll,
and the first start, where several processes create the same tables and queues at once.
"""

from __future__ import annotations

from typing import Any

from kombu.transport import sqlalchemy
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError

FIRST_START_ATTEMPTS = 5


def _write_ahead_log(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers and the one writer work at once, and commits without waiting for the disk each time; a crash
    # of the process loses nothing, a power cut at most the last few messages.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class Channel(sqlalchemy.Channel):
    def _engine_from_config(self) -> Engine:
        engine: Engine = super()._engine_from_config()
        event.listen(engine, "connect", _write_ahead_log)
        return engine

    def _open(self) -> Any:
        # kombu creates the tables on first use: when another process creates them at the same moment, SQLite
        # answers "table ... already exists". Then they exist, and the next attempt finds them.
        for attempt in range(FIRST_START_ATTEMPTS):
            try:
                return super()._open()
            except OperationalError:
                if attempt == FIRST_START_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def _get_or_create(self, queue: str) -> Any:
        # kombu's version returns an unsaved row when its insert fails, and lets the unique clash of two processes
        # declaring the same queue escape. Here the row is always the stored one.
        for attempt in range(FIRST_START_ATTEMPTS):
            row = self.session.query(self.queue_cls).filter(self.queue_cls.name == queue).first()
            if row is not None:
                return row
            self.session.add(self.queue_cls(queue))
            try:
                self.session.commit()
            except (IntegrityError, OperationalError):
                self.session.rollback()
                if attempt == FIRST_START_ATTEMPTS - 1:
                    raise
        return self.session.query(self.queue_cls).filter(self.queue_cls.name == queue).one()


class Transport(sqlalchemy.Transport):
    Channel = Channel
    # A virtual transport sleeps this long whenever the worker holds as many unacknowledged messages as it may
    # (prefetch 1 per process): at kombu's default of one second, a worker runs about two tasks a second.
    polling_interval = 0.05
