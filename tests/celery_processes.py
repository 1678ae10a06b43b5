"""Real ``celery worker`` and ``celery beat`` processes for tests, against the test database and Redis of this
pytest process. ``clock_ahead`` runs one with its wall clock moved ahead (tests/shifted_clock.py): the test clock of a
journey that schedules a share minutes ahead and wants it published without waiting those minutes."""

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from advocacy.celery import app as celery_app

REPO = Path(__file__).resolve().parents[1]
READY_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 30


def database_url() -> str:
    """The URL of pytest's test database, for a process of its own."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def require_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("a worker process cannot share pytest's SQLite test database")


def process_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "advocacy.settings.test",
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_RESULT_BACKEND": settings.CELERY_RESULT_BACKEND,
        **(extra or {}),
    }


def network_env(network: str, fake) -> dict[str, str]:
    """What a process needs to reach one of this test's fake networks: its URLs and the app's credentials."""
    prefix = f"RELAIS_{network.upper()}"
    return {
        f"{prefix}_API_URL": fake.base_url,
        f"{prefix}_AUTH_URL": fake.base_url,
        f"{prefix}_CLIENT_ID": fake.client_id,
        f"{prefix}_CLIENT_SECRET": fake.client_secret,
    }


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Until ``condition()`` holds, checking every 50 ms; the test fails after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def _celery(arguments: list[str], *, log: Path, env: Mapping[str, str], clock_ahead: timedelta | None):
    if clock_ahead is None:
        command = [sys.executable, "-m", "celery", *arguments]
    else:
        command = [sys.executable, "-m", "tests.shifted_clock", str(clock_ahead.total_seconds()), *arguments]
    with log.open("w") as output:
        return subprocess.Popen(command, cwd=REPO, env=dict(env), stdout=output, stderr=subprocess.STDOUT)


def wait_until_ready(process: subprocess.Popen, hostname: str, log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the worker exited with {process.returncode}:\n{log.read_text()}")
        if celery_app.control.ping(destination=[hostname], timeout=0.5):
            return
    pytest.fail(f"the worker did not answer a ping within {READY_TIMEOUT_SECONDS}s:\n{log.read_text()}")


def start_worker(
    hostname: str,
    *,
    log: Path,
    queues: str = "default,publish,metrics",
    env: Mapping[str, str] | None = None,
    clock_ahead: timedelta | None = None,
) -> subprocess.Popen:
    """One worker, pool solo, answering pings before this returns."""
    arguments = ["-A", "advocacy", "worker", "--pool", "solo", "--loglevel", "INFO", "-Q", queues, "-n", hostname]
    arguments += ["--without-mingle", "--without-gossip"]
    process = _celery(arguments, log=log, env=process_env(env), clock_ahead=clock_ahead)
    try:
        wait_until_ready(process, hostname, log)
    except BaseException:
        stop(process)
        raise
    return process


def start_beat(*, log: Path, schedule: Path, env: Mapping[str, str] | None = None) -> subprocess.Popen:
    """Beat with the project's schedule (every entry first sent one period after it starts)."""
    arguments = ["-A", "advocacy", "beat", "--loglevel", "INFO", "-s", str(schedule)]
    return _celery(arguments, log=log, env=process_env(env), clock_ahead=None)


def stop(*processes: subprocess.Popen) -> None:
    """Warm shutdown, then a kill for whichever does not stop in time."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def stopped_at_exit() -> Iterator[list[subprocess.Popen]]:
    """A list to add started processes to; each is stopped when the block ends, whatever happened."""
    processes: list[subprocess.Popen] = []
    try:
        yield processes
    finally:
        stop(*processes)
