import socket

import pytest
from django.test import override_settings


def _unused_local_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.django_db
def test_healthz_is_ok_with_database_cache_and_redis_broker(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok", "broker": "ok"}}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_names_an_unreachable_broker(client):
    url = f"redis://127.0.0.1:{_unused_local_port()}/0"

    with override_settings(CELERY_BROKER_URL=url, CELERY_BROKER_TRANSPORT_OPTIONS={}):
        response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["broker"]
    assert body["checks"] == {"database": "ok", "cache": "ok", "broker": "failing"}
    assert str(url) not in response.content.decode()


@pytest.mark.django_db
def test_healthz_checks_the_folder_of_the_embedded_broker(client, tmp_path):
    folder = tmp_path / "var"
    folder.mkdir()

    with override_settings(CELERY_BROKER_URL=f"sqlite:///{folder / 'broker.sqlite3'}"):
        assert client.get("/healthz").status_code == 200
        folder.rmdir()
        missing = client.get("/healthz")

    assert missing.status_code == 503
    assert missing.json()["failing"] == ["broker"]


@pytest.mark.django_db
def test_healthz_needs_no_login_and_shows_no_tenant_data(client, personas):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert personas.organization.slug not in response.content.decode()
    assert "@" not in response.content.decode()


@pytest.mark.django_db
def test_healthz_answers_head_and_refuses_writes(client):
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405
