"""Test settings: real PostgreSQL and Redis on this host unless DATABASE_URL / REDIS_URL say otherwise."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/relais")
# Each pytest-xdist worker gets a Redis database of its own: the cache is flushed before every test, and a Celery
# worker started by one test process must never take the messages of another. The defaults are put into the
# environment only while base.py reads it, so the xdist workers this process starts compute their own.
_XDIST_INDEX = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
_REDIS_URL = os.environ.get("REDIS_URL") or f"redis://127.0.0.1:6379/{15 - _XDIST_INDEX % 16}"
_DEFAULTED = [name for name in ("REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND") if name not in os.environ]
os.environ.update(dict.fromkeys(_DEFAULTED, _REDIS_URL))
try:
    from .base import *  # noqa: F403
finally:
    for _name in _DEFAULTED:
        del os.environ[_name]
from .base import CACHES  # noqa: E402

SECRET_KEY = "test-only-secret-key-not-for-production"  # noqa: S105
DEBUG = False
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
RELAIS_TOKEN_KEYS = ["2qTLv0d3T5m8bX9Vv3fB2kq0nO1mGk2mJ4yq5Q8hX2o="]
RELAIS_SANDBOX_NETWORKS = True
RELAIS_LINKEDIN_POST_ANALYTICS = True
CACHES["default"]["KEY_PREFIX"] = f"relais-test-{os.getpid()}"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tests never run collectstatic: WhiteNoise finds static files through the finders, as in development.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
