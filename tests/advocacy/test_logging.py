import io
import json
import logging
import sys

import pytest
from celery import shared_task

from advocacy.logging import JsonFormatter, OrganizationFilter
from advocacy.tasks import TenantTask

logger = logging.getLogger("relais.tests.logging")


@shared_task(base=TenantTask, name="tests.log_in_scope")
def log_in_scope(*, organization_id: int, message: str) -> None:
    logger.warning(message)


@pytest.fixture
def console_handler():
    """The handler our LOGGING setting installs on the root logger, with its organisation filter."""
    handlers = [h for h in logging.getLogger().handlers if any(isinstance(f, OrganizationFilter) for f in h.filters)]
    assert len(handlers) == 1, "LOGGING must install one console handler with the organisation filter"
    return handlers[0]


@pytest.fixture
def json_console(console_handler):
    """The configured console handler writing JSON (as in production) into a buffer for the test."""
    stream = io.StringIO()
    previous_stream = console_handler.setStream(stream)
    previous_formatter = console_handler.formatter
    console_handler.setFormatter(JsonFormatter())
    yield stream
    console_handler.setFormatter(previous_formatter)
    console_handler.setStream(previous_stream)


@pytest.mark.django_db
def test_a_record_inside_a_tenant_task_carries_the_organisation(personas, json_console):
    log_in_scope.apply(kwargs={"organization_id": personas.organization.pk, "message": "inside the task"})
    logger.warning("after the task")

    lines = [json.loads(line) for line in json_console.getvalue().splitlines()]
    ours = [line for line in lines if line["logger"] == logger.name]
    assert ours[0]["message"] == "inside the task"
    assert ours[0]["organization_id"] == personas.organization.pk
    assert ours[0]["level"] == "WARNING"
    assert ours[1]["message"] == "after the task"
    assert ours[1]["organization_id"] is None


def test_json_formatter_keeps_an_exception_on_one_valid_line():
    try:
        raise ValueError("broken\nacross lines")
    except ValueError:
        record = logger.makeRecord(logger.name, logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    OrganizationFilter().filter(record)

    line = JsonFormatter().format(record)

    assert "\n" not in line
    payload = json.loads(line)
    assert payload["organization_id"] is None
    assert "ValueError: broken" in payload["exception"]


def test_the_plain_console_format_names_the_organisation(console_handler):
    record = logger.makeRecord(logger.name, logging.INFO, __file__, 1, "hello", (), None)
    record.organization_id = 42

    assert "org=42" in console_handler.format(record)
