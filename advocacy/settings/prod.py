"""Production: PostgreSQL, Redis, gunicorn behind TLS. Refuses to start without a real SECRET_KEY."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import LOGGING, SECRET_KEY, STORAGES
from .env import env_bool, env_int, env_str

if not SECRET_KEY or len(SECRET_KEY) < 50 or SECRET_KEY.startswith(("django-insecure", "test-only", "change-me")):
    raise ImproperlyConfigured("Set SECRET_KEY to a random string of at least 50 characters.")

DEBUG = False
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
# Container and load-balancer probes call /healthz over plain HTTP from inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# One JSON object per line for the log shipper, unless LOG_FORMAT asks for plain lines.
LOGGING["handlers"]["console"]["formatter"] = env_str("LOG_FORMAT", "json")
