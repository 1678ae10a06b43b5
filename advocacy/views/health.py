"""Liveness and readiness for load balancers and container health checks.

Cheap and anonymous: a ``SELECT 1``, one cache round trip, one broker connection with a short timeout. It names
the failing dependency but never shows an error message, which could carry a host name or a password.
"""

import logging
import os
import secrets
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from kombu import Connection
from sqlalchemy.engine import make_url

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 2


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        if cursor.fetchone() != (1,):
            raise RuntimeError("SELECT 1 returned something else")


def _cache() -> None:
    key, value = f"healthz:{secrets.token_hex(8)}", secrets.token_hex(8)
    cache.set(key, value, timeout=10)
    try:
        if cache.get(key) != value:
            raise RuntimeError("the cache did not return what was stored")
    finally:
        cache.delete(key)


def _broker() -> None:
    # Read at request time, so the check follows the settings the process runs with.
    url: str = settings.CELERY_BROKER_URL
    options: dict[str, object] = dict(settings.CELERY_BROKER_TRANSPORT_OPTIONS)
    if url.startswith("sqlite://"):
        # The embedded broker (advocacy/broker.py) has no server: it works when web, worker and beat can write its
        # SQLite file and the folder that holds it (SQLite writes its journal next to the file).
        path = Path(make_url(url).database or "")
        if not path.parent.is_dir() or not os.access(path.parent, os.W_OK | os.X_OK):
            raise RuntimeError("the broker's folder is not a writable directory")
        if path.exists() and not os.access(path, os.R_OK | os.W_OK):
            raise RuntimeError("the broker's file is not writable")
        return
    options.setdefault("socket_timeout", BROKER_TIMEOUT_SECONDS)
    with Connection(url, connect_timeout=BROKER_TIMEOUT_SECONDS, transport_options=options) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT_SECONDS)


CHECKS: dict[str, Callable[[], None]] = {"database": _database, "cache": _cache, "broker": _broker}


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception:
            logger.exception("Health check %s failed", name)
            results[name] = "failing"
        else:
            results[name] = "ok"
    failing = sorted(name for name, outcome in results.items() if outcome != "ok")
    if failing:
        return JsonResponse({"status": "failing", "failing": failing, "checks": results}, status=503)
    return JsonResponse({"status": "ok", "checks": results})
