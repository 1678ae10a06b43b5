import os
import secrets
import subprocess
import sys
from pathlib import Path

import dj_database_url
import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from advocacy.checks import DEVELOPMENT_TOKEN_KEYS
from advocacy.settings.env import env_bool, env_int, env_list, env_str

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("TRUE", True), (" yes ", True), ("off", False), ("", False)]
)
def test_env_bool_reads_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("RELAIS_FLAG", raw)

    assert env_bool("RELAIS_FLAG") is expected


def test_env_helpers_use_the_default_when_the_variable_is_absent(monkeypatch):
    monkeypatch.delenv("RELAIS_ABSENT", raising=False)

    assert env_bool("RELAIS_ABSENT", True) is True
    assert env_int("RELAIS_ABSENT", 7) == 7
    assert env_list("RELAIS_ABSENT", ["a"]) == ["a"]
    assert env_str("RELAIS_ABSENT", "x") == "x"


@pytest.mark.parametrize(("helper", "raw"), [(env_bool, "maybe"), (env_bool, "2"), (env_int, "ten"), (env_int, "1.5")])
def test_env_helpers_refuse_values_they_cannot_read(monkeypatch, helper, raw):
    monkeypatch.setenv("RELAIS_BAD", raw)

    with pytest.raises(ImproperlyConfigured, match="RELAIS_BAD"):
        helper("RELAIS_BAD", 0) if helper is env_int else helper("RELAIS_BAD")


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("RELAIS_HOSTS", " a.example , ,b.example,")

    assert env_list("RELAIS_HOSTS") == ["a.example", "b.example"]


def test_database_url_parses_sqlite_and_postgres():
    sqlite = dj_database_url.parse("sqlite:///var/relais.sqlite3")
    postgres = dj_database_url.parse("postgres://relais:s%40cret@db.internal:5433/relais")

    assert sqlite["ENGINE"] == "django.db.backends.sqlite3"
    assert sqlite["NAME"] == "var/relais.sqlite3"
    assert postgres["ENGINE"] == "django.db.backends.postgresql"
    assert (postgres["HOST"], postgres["PORT"], postgres["NAME"]) == ("db.internal", 5433, "relais")
    assert postgres["PASSWORD"] == "s@cret"


def _clean_env(tmp_path: Path, **variables: str) -> dict[str, str]:
    """Only what a bare server would have, so nothing leaks in from the test run's own environment."""
    return {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "RELAIS_VAR_DIR": str(tmp_path / "var"), **variables}


def _python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("secret_key", [None, "short", "django-insecure-" + "x" * 60])
def test_prod_refuses_to_start_without_a_real_secret_key(tmp_path, secret_key):
    env = _clean_env(tmp_path, DJANGO_SETTINGS_MODULE="advocacy.settings.prod")
    if secret_key is not None:
        env["SECRET_KEY"] = secret_key

    result = _python("import django; django.setup()", env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr


def test_dev_needs_no_variable(tmp_path):
    result = _python(
        "import django; django.setup(); from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL, s.CELERY_BROKER_TRANSPORT,"
        " len(s.SECRET_KEY) >= 50)",
        _clean_env(tmp_path, DJANGO_SETTINGS_MODULE="advocacy.settings.dev"),
    )

    assert result.returncode == 0, result.stderr
    broker = f"sqlite:///{tmp_path / 'var' / 'broker.sqlite3'}"
    assert result.stdout.split() == ["django.db.backends.sqlite3", broker, "advocacy.broker:Transport", "True"]


def test_the_demo_reads_metrics_within_minutes_and_production_hourly(tmp_path):
    code = (
        "import django; django.setup(); from django.conf import settings as s;"
        "print(s.RELAIS_METRICS_SCHEDULE_SECONDS[0],"
        " s.CELERY_BEAT_SCHEDULE['ambassadors-poll-due-metrics']['schedule'])"
    )
    demo = _python(code, _clean_env(tmp_path, DJANGO_SETTINGS_MODULE="advocacy.settings.dev"))
    production = _python(code, _prod_env(tmp_path))

    assert demo.stdout.split() == ["120.0", "60"], demo.stderr
    assert production.stdout.split() == ["3600.0", "300"], production.stderr


def _prod_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    variables = {
        "DJANGO_SETTINGS_MODULE": "advocacy.settings.prod",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "relais.example.com",
        "RELAIS_TOKEN_KEYS": Fernet.generate_key().decode(),
        "DATABASE_URL": "postgres://relais:secret@db:5432/relais",
        "REDIS_URL": "redis://redis:6379/0",
        "RELAIS_LINKEDIN_CLIENT_ID": "86abcdefghijkl",
        "RELAIS_LINKEDIN_CLIENT_SECRET": secrets.token_urlsafe(16),
        "RELAIS_X_CLIENT_ID": "Q2xpZW50SWRGb3JSZWxhaXM",
        "RELAIS_X_CLIENT_SECRET": secrets.token_urlsafe(40),
        "RELAIS_OPERATOR_EMAILS": "ops@relais.example.com",
        **overrides,
    }
    return _clean_env(tmp_path, **{name: value for name, value in variables.items() if value})


def test_check_deploy_is_clean_under_prod_with_proper_variables(tmp_path):
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=_prod_env(tmp_path))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("token_keys", "error"),
    [("", "relais.E001"), (next(iter(DEVELOPMENT_TOKEN_KEYS)), "relais.E002"), ("not-a-fernet-key", "relais.E003")],
)
def test_check_deploy_fails_without_a_real_token_key(tmp_path, token_keys, error):
    result = _manage("check", "--deploy", env=_prod_env(tmp_path, RELAIS_TOKEN_KEYS=token_keys))

    assert result.returncode != 0
    assert error in result.stderr + result.stdout


def test_check_deploy_refuses_the_key_generated_for_local_development(tmp_path):
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    local_key = Fernet.generate_key().decode()
    (var_dir / "token.key").write_text(local_key)

    result = _manage("check", "--deploy", env=_prod_env(tmp_path, RELAIS_TOKEN_KEYS=local_key))

    assert result.returncode != 0
    assert "relais.E002" in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"RELAIS_SANDBOX_NETWORKS": "true"}, "relais.E020"),
        ({"RELAIS_LINKEDIN_CLIENT_ID": ""}, "relais.E021"),
        ({"RELAIS_LINKEDIN_CLIENT_SECRET": "relais-sandbox-secret"}, "relais.E021"),
        ({"RELAIS_X_CLIENT_ID": "relais-sandbox"}, "relais.E022"),
        ({"RELAIS_X_CLIENT_SECRET": ""}, "relais.E022"),
    ],
)
def test_check_deploy_wants_the_real_networks(tmp_path, overrides, error):
    result = _manage("check", "--deploy", env=_prod_env(tmp_path, **overrides))

    assert result.returncode != 0
    assert error in result.stderr + result.stdout


def test_check_deploy_warns_when_no_operator_would_hear_of_a_paused_network(tmp_path):
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=_prod_env(tmp_path, RELAIS_OPERATOR_EMAILS=""))

    assert result.returncode != 0
    assert "relais.W030" in result.stderr + result.stdout


def test_each_xdist_worker_gets_its_own_redis_database(tmp_path):
    code = (
        "import django; django.setup(); from django.conf import settings as s; import os;"
        "print(s.CACHES['default']['LOCATION'], s.CELERY_BROKER_URL, s.CELERY_RESULT_BACKEND,"
        " 'REDIS_URL' in os.environ)"
    )
    env = _clean_env(tmp_path, DJANGO_SETTINGS_MODULE="advocacy.settings.test")

    first = _python(code, {**env, "PYTEST_XDIST_WORKER": "gw0"})
    second = _python(code, {**env, "PYTEST_XDIST_WORKER": "gw1"})

    assert first.stdout.split() == ["redis://127.0.0.1:6379/15"] * 3 + ["False"], first.stderr
    assert second.stdout.split() == ["redis://127.0.0.1:6379/14"] * 3 + ["False"], second.stderr
