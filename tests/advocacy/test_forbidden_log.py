"""A 403 logs one line: no second copy through Django's own console handler, no traceback for a refusal the
application meant."""

import logging

import pytest

from tests.conftest import org_url


def _handlers_reached_by(name: str) -> list[logging.Handler]:
    handlers: list[logging.Handler] = []
    logger: logging.Logger | None = logging.getLogger(name)
    while logger is not None:
        handlers.extend(logger.handlers)
        logger = logger.parent if logger.propagate else None
    return handlers


def test_a_request_record_reaches_one_console_only():
    streams = [h for h in _handlers_reached_by("django.request") if type(h) is logging.StreamHandler]
    assert len(streams) == 1


@pytest.mark.django_db
def test_a_403_logs_one_line_without_traceback(client, personas, caplog, settings):
    settings.DEBUG = True  # Django's console handler only wrote under DEBUG, which is where the copy showed.
    client.force_login(personas.ambassador)
    with caplog.at_level(logging.INFO):
        response = client.get(org_url("org_settings", personas))

    assert response.status_code == 403
    records = [record for record in caplog.records if record.name.startswith("django")]
    assert [record.getMessage() for record in records] == ["Forbidden (Permission denied): /o/acme/settings/"]
    assert records[0].exc_info is None
    assert "Traceback" not in caplog.text


@pytest.mark.django_db
def test_an_unexpected_error_keeps_its_traceback(caplog):
    logger = logging.getLogger("django.request")
    try:
        raise ValueError("boom")
    except ValueError:
        logger.error("Internal Server Error: /", exc_info=True)
    assert "Traceback" in caplog.text
