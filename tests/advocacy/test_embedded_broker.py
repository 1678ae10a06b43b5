"""The embedded broker of ``make run`` under load: web, beat and the worker publish at once while a real worker
consumes. Nothing may be lost and the worker may not die."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from advocacy.models import AuditEntry
from advocacy.services import organization_create
from advocacy.tenancy import organization_scope
from tests.celery_processes import database_url

REPO = Path(__file__).resolve().parents[2]
PUBLISHERS = 4
TASKS_PER_PUBLISHER = 500
DEADLINE_SECONDS = 150

# Each publisher is its own process, as web, beat and the worker are: the tasks go to the three queues in turn.
PUBLISH = """
import sys
import django
django.setup()
from advocacy.tasks import record_probe
name, organization_id, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
queues = ("publish", "metrics", "default")
for number in range(count):
    record_probe.apply_async(
        kwargs={"organization_id": organization_id, "label": f"{name}-{number}"}, queue=queues[number % 3]
    )
"""


def _embedded_env(var_dir: Path) -> dict[str, str]:
    """The embedded default (``make run``'s settings, no REDIS_URL, no CELERY_BROKER_URL) with its var/ in a folder
    of its own, on the test database."""
    env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "CELERY_BROKER_URL")}
    env |= {
        "DJANGO_SETTINGS_MODULE": "advocacy.settings.dev",
        "DATABASE_URL": database_url(),
        "RELAIS_VAR_DIR": str(var_dir),
    }
    return env


@pytest.mark.worker
def test_two_thousand_tasks_from_several_processes_all_run_once(transactional_db, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("worker and publishers cannot share pytest's SQLite test database")
    organization = organization_create(slug="alpha", name="Alpha", admin_email="admin@alpha.test")
    env = _embedded_env(tmp_path / "var")
    log = tmp_path / "worker.log"
    worker_command = [sys.executable, "-m", "celery", "-A", "advocacy", "worker", "-Q", "publish,metrics,default"]
    worker_command += ["--concurrency", "2", "--loglevel", "INFO", "-n", "embedded@localhost"]
    worker_command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    with log.open("w") as output:
        worker = subprocess.Popen(worker_command, cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        publishers = [
            subprocess.Popen(
                [sys.executable, "-c", PUBLISH, f"p{index}", str(organization.pk), str(TASKS_PER_PUBLISHER)],
                cwd=REPO,
                env=env,
                stderr=subprocess.PIPE,
                text=True,
            )
            for index in range(PUBLISHERS)
        ]
        for publisher in publishers:
            _out, errors = publisher.communicate(timeout=DEADLINE_SECONDS)
            assert publisher.returncode == 0, errors

        expected = {f"p{index}-{number}" for index in range(PUBLISHERS) for number in range(TASKS_PER_PUBLISHER)}
        deadline = time.monotonic() + DEADLINE_SECONDS
        labels: list[str] = []
        while time.monotonic() < deadline and worker.poll() is None:
            with organization_scope(organization):
                labels = list(AuditEntry.objects.filter(action="worker.probe").values_list("data__label", flat=True))
            if len(labels) >= len(expected):
                break
            time.sleep(1)
        assert worker.poll() is None, f"the worker died:\n{log.read_text()[-4000:]}"
        assert "Unrecoverable error" not in log.read_text()
        assert len(labels) == len(expected), f"{len(expected) - len(set(labels))} tasks lost or not run in time"
        assert set(labels) == expected
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
