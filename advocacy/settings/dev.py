"""The embedded default: SQLite (the broker too), sandbox networks. Needs no environment variable."""

import os
import secrets
from collections.abc import Callable

# Before base.py reads it: the network base URLs default to the sandbox fakes when it is on.
os.environ.setdefault("RELAIS_SANDBOX_NETWORKS", "true")

from .base import *  # noqa: E402, F403
from .base import SECRET_KEY, VAR_DIR  # noqa: E402
from .env import env_bool  # noqa: E402

VAR_DIR.mkdir(parents=True, exist_ok=True)


def _local_secret(filename: str, make: Callable[[], str]) -> str:
    """Read a secret from a git-ignored file in var/, creating it on the first run of this checkout."""
    path = VAR_DIR / filename
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = SECRET_KEY or _local_secret("secret.key", lambda: secrets.token_urlsafe(50))


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


RELAIS_TOKEN_KEYS = RELAIS_TOKEN_KEYS or [_local_secret("token.key", _fernet_key)]  # noqa: F405

if RELAIS_SANDBOX_NETWORKS and "RELAIS_METRICS_SCHEDULE" not in os.environ:  # noqa: F405
    # The demo's fake networks grow their figures in minutes: read them after 2 and 10 minutes, then as usual, and
    # look for due polls every minute, so a first-time user sees reactions arrive.
    RELAIS_METRICS_SCHEDULE_SECONDS = [120.0, 600.0, 3600.0, 21600.0, 86400.0, 604800.0]
    CELERY_BEAT_SCHEDULE["ambassadors-poll-due-metrics"]["schedule"] = 60  # noqa: F405
