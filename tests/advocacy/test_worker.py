"""A real ``celery worker`` process against the test database and Redis (T10, R10)."""

import uuid

import pytest
import redis
from django.conf import settings

from advocacy.celery import app as celery_app
from advocacy.models import AuditEntry, Organization
from advocacy.services import organization_create
from advocacy.tasks import MissingOrganization, record_probe
from advocacy.tenancy import organization_scope, scopes_disabled
from tests.celery_processes import require_postgresql, start_worker, stopped_at_exit

RESULT_TIMEOUT_SECONDS = 30


@pytest.fixture
def worker(transactional_db, tmp_path):
    """One worker process, pool solo, on every queue; stopped (warm shutdown) when the test ends."""
    require_postgresql()
    with stopped_at_exit() as processes:
        processes.append(start_worker(f"relais-test-{uuid.uuid4().hex[:8]}@localhost", log=tmp_path / "worker.log"))
        yield processes[0]


def _organization(slug: str) -> Organization:
    return organization_create(slug=slug, name=slug.title(), admin_email=f"admin@{slug}.test")


@pytest.mark.worker
def test_each_task_runs_in_its_own_organisation_scope(worker):
    alpha, beta = _organization("alpha"), _organization("beta")

    first = record_probe.delay(organization_id=alpha.pk, label="for alpha")
    second = record_probe.delay(organization_id=beta.pk, label="for beta")

    assert first.get(timeout=RESULT_TIMEOUT_SECONDS) == {
        "organization_id": alpha.pk,
        "visible_organizations": [alpha.pk],
    }
    assert second.get(timeout=RESULT_TIMEOUT_SECONDS) == {
        "organization_id": beta.pk,
        "visible_organizations": [beta.pk],
    }
    for organization, label in ((alpha, "for alpha"), (beta, "for beta")):
        with organization_scope(organization):
            probes = list(AuditEntry.objects.filter(action="worker.probe").values_list("data", flat=True))
        assert probes == [{"label": label}]
    assert worker.poll() is None


@pytest.mark.worker
def test_a_message_without_organization_is_refused_by_the_worker(worker):
    _organization("alpha")
    with pytest.raises(MissingOrganization):
        record_probe.delay(label="no scope")

    # send_task skips the client-side check, as a hand-written or replayed message would.
    result = celery_app.send_task("advocacy.record_probe", kwargs={"label": "no scope"})

    with pytest.raises(MissingOrganization):
        result.get(timeout=RESULT_TIMEOUT_SECONDS)
    assert result.state == "FAILURE"
    with scopes_disabled():
        assert not AuditEntry.objects.filter(action="worker.probe").exists()
    assert worker.poll() is None


def test_redis_never_redelivers_a_task_that_is_still_running():
    """R10: Redis hands an unacknowledged message to another worker after ``visibility_timeout``; with acks_late,
    a task running longer than that would run twice. Every time limit must stay below it."""
    conf = celery_app.conf
    visibility_timeout = conf.broker_transport_options["visibility_timeout"]

    assert conf.broker_url.startswith("redis://")
    assert conf.task_soft_time_limit < conf.task_time_limit < visibility_timeout
    for name, task in celery_app.tasks.items():
        if not name.startswith("celery."):
            assert (task.time_limit or conf.task_time_limit) < visibility_timeout, name


def test_worker_settings_make_a_lost_task_come_back():
    conf = celery_app.conf

    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert {queue.name for queue in conf.task_queues} == {"publish", "metrics", "clicks", "exports", "default"}
    assert conf.task_default_queue == "default"
    assert conf.task_serializer == "json"
    assert conf.accept_content == ["json"]


@pytest.mark.parametrize("queue", ["publish", "metrics", "clicks", "exports", "default"])
def test_a_task_sent_to_a_queue_lands_in_that_queue_only(queue):
    """Five queues on one exchange: a message must be copied into none of the others, or it would run twice."""
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    names = ("publish", "metrics", "clicks", "default")
    with celery_app.connection_for_write() as conn:
        for declared in celery_app.amqp.queues.values():
            declared.bind(conn.default_channel).declare()
    broker.delete(*names)

    celery_app.send_task("advocacy.record_probe", kwargs={"organization_id": 0, "label": "routing"}, queue=queue)

    depths = {name: broker.llen(name) for name in names}
    broker.delete(*names)
    assert depths == {name: int(name == queue) for name in names}
