"""Settings shared by every environment. Values come from the environment through typed helpers."""

from decimal import Decimal
from pathlib import Path
from typing import Any

import dj_database_url
import django_stubs_ext
from csp import constants as csp
from django.utils.translation import gettext_lazy as _
from kombu import Queue

from .env import env_bool, env_choice, env_float, env_int, env_list, env_str, media_storage

# Lets generic classes such as ModelAdmin[Organization] be subscripted at run time, as the type stubs expect.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("RELAIS_VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env_str("SECRET_KEY")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Django's own widget templates, found by the project's template engine (FORM_RENDERER below).
    "django.forms",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "advocacy",
    "content",
    "ambassadors",
    "charter",
    "analytics",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "advocacy.middleware.ContentSecurityPolicyMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "advocacy.middleware.UserLanguageMiddleware",
    "advocacy.middleware.OrganizationScopeMiddleware",
]

ROOT_URLCONF = "advocacy.urls"
WSGI_APPLICATION = "advocacy.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "csp.context_processors.nonce",
                "advocacy.context_processors.organization",
            ],
        },
    },
]

FORM_RENDERER = "advocacy.form_renderer.DesignFormRenderer"

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'relais.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "advocacy.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# Accounts: e-mail is the login; sign-up happens only through an invitation (see AccountAdapter).
ACCOUNT_ADAPTER = "advocacy.adapters.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Relais"
MFA_ADAPTER = "allauth.mfa.adapter.DefaultMFAAdapter"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
# Nothing is served under MEDIA_URL: uploads are private to their organisation and go out through
# /o/<org>/media/ (advocacy.media), handed over as RELAIS_MEDIA_DELIVERY says.
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": media_storage(),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
RELAIS_MEDIA_DELIVERY = env_choice(
    "RELAIS_MEDIA_DELIVERY",
    ("django", "x-accel", "redirect"),
    "redirect" if STORAGES["default"]["BACKEND"] != "django.core.files.storage.FileSystemStorage" else "django",
)
RELAIS_MEDIA_ACCEL_PREFIX = env_str("RELAIS_MEDIA_ACCEL_PREFIX", "/protected-media/")

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "relais"),
        }
    }
else:
    # The embedded default shares its cache between web and worker processes through files, so login rate
    # limits hold across processes without a server.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Relais <no-reply@relais.localhost>")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# Seconds one SMTP exchange may take; an e-mail claimed longer ago by a worker that died is sent by the next try.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 60)
RELAIS_EMAIL_CLAIM_SECONDS = env_int("RELAIS_EMAIL_CLAIM_SECONDS", 300)
# The platform's operators: told when a network is paused for the whole platform (a retired API version, credits).
ADMINS = [(address, address) for address in env_list("RELAIS_OPERATOR_EMAILS")]

# OAuth tokens of connected accounts are encrypted with these Fernet keys (comma-separated, first is active).
# They are deliberately not derived from SECRET_KEY, so rotating one never touches the other.
RELAIS_TOKEN_KEYS = env_list("RELAIS_TOKEN_KEYS")
RELAIS_SANDBOX_NETWORKS = env_bool("RELAIS_SANDBOX_NETWORKS", False)
# The networks. Base URLs are settings so the same clients talk to the real APIs or to the sandbox fakes
# (ambassadors/sandbox/), which serve every path of a network under one base URL.
_SANDBOX_BASE = env_str("RELAIS_SITE_URL", "http://127.0.0.1:8000").rstrip("/") + "/sandbox"
RELAIS_LINKEDIN_AUTH_URL = env_str(
    "RELAIS_LINKEDIN_AUTH_URL", f"{_SANDBOX_BASE}/linkedin" if RELAIS_SANDBOX_NETWORKS else "https://www.linkedin.com"
)
RELAIS_LINKEDIN_API_URL = env_str(
    "RELAIS_LINKEDIN_API_URL", f"{_SANDBOX_BASE}/linkedin" if RELAIS_SANDBOX_NETWORKS else "https://api.linkedin.com"
)
RELAIS_LINKEDIN_CLIENT_ID = env_str("RELAIS_LINKEDIN_CLIENT_ID", "relais-sandbox" if RELAIS_SANDBOX_NETWORKS else "")
RELAIS_LINKEDIN_CLIENT_SECRET = env_str(
    "RELAIS_LINKEDIN_CLIENT_SECRET", "relais-sandbox-secret" if RELAIS_SANDBOX_NETWORKS else ""
)
# The monthly API version (provider-contracts.md §1.3): each lives about a year, then answers 426.
RELAIS_LINKEDIN_VERSION = env_str("RELAIS_LINKEDIN_VERSION", "202608")
# Only apps approved for programmatic refresh get LinkedIn refresh tokens; others reconnect every 60 days.
RELAIS_LINKEDIN_REFRESH = env_bool("RELAIS_LINKEDIN_REFRESH", False)
# The LinkedIn app is approved for the Member Post Analytics API: the consent then asks for r_member_postAnalytics
# (LinkedIn grants only the scopes asked for), and shares' figures are read. The sandbox's fake app is approved.
RELAIS_LINKEDIN_POST_ANALYTICS = env_bool("RELAIS_LINKEDIN_POST_ANALYTICS", RELAIS_SANDBOX_NETWORKS)
RELAIS_X_AUTH_URL = env_str("RELAIS_X_AUTH_URL", f"{_SANDBOX_BASE}/x" if RELAIS_SANDBOX_NETWORKS else "https://x.com")
RELAIS_X_API_URL = env_str("RELAIS_X_API_URL", f"{_SANDBOX_BASE}/x" if RELAIS_SANDBOX_NETWORKS else "https://api.x.com")
RELAIS_X_CLIENT_ID = env_str("RELAIS_X_CLIENT_ID", "relais-sandbox" if RELAIS_SANDBOX_NETWORKS else "")
RELAIS_X_CLIENT_SECRET = env_str("RELAIS_X_CLIENT_SECRET", "relais-sandbox-secret" if RELAIS_SANDBOX_NETWORKS else "")
# provider-contracts.md §3: connect 5 s, read 30 s.
RELAIS_PROVIDER_CONNECT_TIMEOUT = env_float("RELAIS_PROVIDER_CONNECT_TIMEOUT", 5.0)
RELAIS_PROVIDER_READ_TIMEOUT = env_float("RELAIS_PROVIDER_READ_TIMEOUT", 30.0)
# Publishing (ambassadors/services/publishing.py). The least time between two posts through one connected account, so a
# burst of scheduled shares stays under the networks' limits (X: 100 posts / 15 min; LinkedIn: ~150 a day).
# When a published share's metrics are read, in seconds after publication (DESIGN.md, "Metrics").
RELAIS_METRICS_SCHEDULE_SECONDS = [
    float(value)
    for value in env_list("RELAIS_METRICS_SCHEDULE", ["3600", "21600", "86400", "259200", "604800", "2592000"])
]
RELAIS_PUBLISH_INTERVAL_SECONDS = {
    "linkedin": env_float("RELAIS_PUBLISH_INTERVAL_LINKEDIN", 30.0),
    "x": env_float("RELAIS_PUBLISH_INTERVAL_X", 10.0),
}
# provider-contracts.md outcome "retry": back off 30 s, 2 min, 10 min…, at most 5 tries.
RELAIS_PUBLISH_BACKOFF_SECONDS = [
    float(value) for value in env_list("RELAIS_PUBLISH_BACKOFF", ["30", "120", "600", "1800"])
]
RELAIS_PUBLISH_MAX_TRIES = env_int("RELAIS_PUBLISH_MAX_TRIES", 5)
# A claim older than one network call (connect + read timeouts) plus this is a worker that died: the tick hands the
# share to another worker, which reconciles rather than resends.
RELAIS_PUBLISH_CLAIM_MARGIN = env_float("RELAIS_PUBLISH_CLAIM_MARGIN", 30.0)
# How long a share waits before looking again at a network paused for the whole platform.
RELAIS_PUBLISH_PAUSE_RECHECK = env_float("RELAIS_PUBLISH_PAUSE_RECHECK", 300.0)
# A share enqueued by the tick is not enqueued again for this long unless its task finished first.
RELAIS_PUBLISH_QUEUED_GUARD = env_float("RELAIS_PUBLISH_QUEUED_GUARD", 120.0)
# What X bills per post, in USD (provider-contracts.md, "X billing"): a post with a URL costs more.
RELAIS_X_COST_POST = Decimal(env_str("RELAIS_X_COST_POST", "0.015"))
RELAIS_X_COST_URL_POST = Decimal(env_str("RELAIS_X_COST_URL_POST", "0.20"))
RELAIS_INVITATION_DAYS = env_int("RELAIS_INVITATION_DAYS", 14)
RELAIS_SITE_URL = env_str("RELAIS_SITE_URL", "http://127.0.0.1:8000")
# Tracked links (analytics/). Their public base: a short host of their own in production (RELAIS_LINK_HOST, served by
# analytics.wsgi), else the site itself, where /r/ is mounted in front of Django (RELAIS_WSGI_MOUNTS).
RELAIS_LINK_HOST = env_str("RELAIS_LINK_HOST")
RELAIS_LINK_BASE_URL = (f"https://{RELAIS_LINK_HOST}" if RELAIS_LINK_HOST else RELAIS_SITE_URL).rstrip("/")
RELAIS_WSGI_MOUNTS = {"/r/": "analytics.redirect.application"}
# A code's destination never changes: it is cached this long, in each process and in the shared cache. Whether a
# post's links may still be followed is read again after RELAIS_LINK_CACHE_SECONDS: a withdrawn post's links stop
# redirecting within that time. Each process keeps at most RELAIS_LINK_CACHE_SIZE codes.
RELAIS_LINK_TARGET_CACHE_SECONDS = env_int("RELAIS_LINK_TARGET_CACHE_SECONDS", 24 * 3600)
RELAIS_LINK_CACHE_SECONDS = env_int("RELAIS_LINK_CACHE_SECONDS", 25)
RELAIS_LINK_CACHE_SIZE = env_int("RELAIS_LINK_CACHE_SIZE", 50_000)
# Dashboard exports (analytics/exports.py): up to this many rows the file is written during the request, beyond it by
# a worker on the "exports" queue; a worker's file is kept this many days.
RELAIS_EXPORT_SYNC_ROWS = env_int("RELAIS_EXPORT_SYNC_ROWS", 50_000)
RELAIS_EXPORT_DAYS = env_int("RELAIS_EXPORT_DAYS", 7)
# Retention (analytics/retention.py): departures count up to this many days after the period, and a group's figures
# show only from this many people (fewer could point at one person).
RELAIS_RETENTION_HORIZON_DAYS = env_int("RELAIS_RETENTION_HORIZON_DAYS", 180)
RELAIS_RETENTION_MIN_GROUP = env_int("RELAIS_RETENTION_MIN_GROUP", 10)
# The KPI dashboard's figures for a set of filters are kept in the cache until the next rollup run replaces them, and
# at most this many seconds (the adoption funnel reads live rows: a member who joins shows within that time).
RELAIS_DASHBOARD_CACHE_SECONDS = env_int("RELAIS_DASHBOARD_CACHE_SECONDS", 10 * 60)
# Clicks go through this Redis stream when there is a Redis; without one they are written directly.
RELAIS_CLICKS_REDIS_URL = env_str("RELAIS_CLICKS_REDIS_URL", REDIS_URL)
RELAIS_CLICKS_STREAM = env_str("RELAIS_CLICKS_STREAM", "relais:clicks")
RELAIS_CLICKS_BATCH = env_int("RELAIS_CLICKS_BATCH", 1000)
# A click read by a flusher that has not acknowledged it for this long is taken over by another (XAUTOCLAIM).
RELAIS_CLICKS_CLAIM_IDLE_SECONDS = env_int("RELAIS_CLICKS_CLAIM_IDLE_SECONDS", 60)
# Raw clicks older than this many months are dropped (a whole partition at a time on PostgreSQL).
RELAIS_CLICKS_RETENTION_MONTHS = env_int("RELAIS_CLICKS_RETENTION_MONTHS", 25)
# Behind a proxy, the client's address is this many entries from the right of X-Forwarded-For (0: REMOTE_ADDR).
RELAIS_TRUSTED_PROXY_COUNT = env_int("RELAIS_TRUSTED_PROXY_COUNT", 0)
# Outbound fetches of user-named URLs (content.safe_http). The resolver is a dotted path so tests can answer DNS
# lookups; the allow-list ("127.0.0.1:PORT") lets tests reach a local fake server. Deploy checks refuse both in
# production.
RELAIS_SAFE_HTTP_RESOLVER = "socket.getaddrinfo"
RELAIS_SAFE_HTTP_ALLOWED_TEST_HOSTS = env_list("RELAIS_SAFE_HTTP_ALLOWED_TEST_HOSTS")
# Where a programme's Slack or Teams webhook may point (ambassadors.services.channels): URL prefixes by service, "*."
# standing for one or more host labels. Scheme, host, port (none, or the scheme's own) and path must all match.
RELAIS_CHANNEL_WEBHOOK_PREFIXES: dict[str, list[str]] = {
    "slack": [
        "https://hooks.slack.com/services/",
        "https://hooks.slack.com/workflows/",
        "https://hooks.slack.com/triggers/",
    ],
    "teams": [
        "https://*.webhook.office.com/webhookb2/",
        "https://*.logic.azure.com/workflows/",
        "https://*.environment.api.powerplatform.com/",
    ],
}

EMBEDDED_BROKER_URL = f"sqlite:///{VAR_DIR / 'broker.sqlite3'}"
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or EMBEDDED_BROKER_URL)
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
if CELERY_BROKER_URL.startswith("sqlite://"):
    # The embedded broker (advocacy/broker.py) shared by web, worker and beat; a writer waits up to 30 s for another.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT = "advocacy.broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {"connect_args": {"timeout": 30}}
    # Remote control and events are broadcasts, which this transport does not carry, and nothing here needs them.
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
    CELERY_WORKER_SEND_TASK_EVENTS = False
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # Longer than the longest task time limit, so Redis never redelivers a task that is still running.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or None
CELERY_TASK_IGNORE_RESULT = CELERY_RESULT_BACKEND is None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 600
CELERY_TASK_SOFT_TIME_LIMIT = 540
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = [Queue("publish"), Queue("metrics"), Queue("clicks"), Queue("exports"), Queue("default")]
CELERY_TASK_ROUTES: dict[str, dict[str, str]] = {
    # Routes rather than task attributes, which Celery 6 drops.
    "ambassadors.poll_due_metrics": {"queue": "metrics"},
    "ambassadors.poll_connection_metrics": {"queue": "metrics"},
    # The publish tick too: it must not wait behind mail or imports on the default queue.
    "ambassadors.publish_share": {"queue": "publish"},
    "ambassadors.publish_due_shares": {"queue": "publish"},
    "analytics.flush_clicks": {"queue": "clicks"},
    "analytics.maintain_clicks": {"queue": "clicks"},
    # A big export may take minutes: it must not hold up mail or rollups on the default queue.
    "analytics.build_export": {"queue": "exports"},
}
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # RSS/Atom sources not polled for 15 minutes (content/ticks.py); the schedule is in seconds.
    "content-poll-due-feeds": {"task": "content.poll_due_feeds", "schedule": 15 * 60},
    # Due and stuck shares, enqueued on the publish queue (ambassadors/ticks/publishing.py): never a long ETA.
    "ambassadors-publish-due-shares": {"task": "ambassadors.publish_due_shares", "schedule": 60},
    # Token refreshes ahead of expiry and expiry notices of connected accounts (ambassadors/ticks/connections.py).
    "ambassadors-connections-tick": {"task": "ambassadors.connections_tick", "schedule": 60 * 60},
    # Connections with shares due for a metrics poll (ambassadors/ticks/metrics.py).
    "ambassadors-poll-due-metrics": {"task": "ambassadors.poll_due_metrics", "schedule": 5 * 60},
    # Featured posts announced in programmes' Slack and Teams channels, and due retries (ambassadors/ticks/channels.py).
    "ambassadors-announce-channels": {"task": "ambassadors.announce_channels", "schedule": 60},
    # Digests of new posts due at the members' own hour (ambassadors/ticks/digests.py).
    "ambassadors-digests-tick": {"task": "ambassadors.digests_tick", "schedule": 5 * 60},
    # Next months' click partitions, retention, and yesterday's visitor keys destroyed (analytics/tasks.py).
    "analytics-maintain-clicks": {"task": "analytics.maintain_clicks", "schedule": 60 * 60},
    # The daily rollups of the days whose shares, snapshots or clicks changed, per organisation (analytics/rollups.py).
    "analytics-rollup-changed": {"task": "analytics.rollup_changed", "schedule": 10 * 60},
    # Weekly summaries of the figures due on the readers' own Monday morning (analytics/ticks.py).
    "analytics-weekly-summaries-tick": {"task": "analytics.weekly_summaries_tick", "schedule": 5 * 60},
    # Export files past their expiry deleted with their rows (analytics/exports.py).
    "analytics-delete-expired-exports": {"task": "analytics.delete_expired_exports", "schedule": 60 * 60},
}
if RELAIS_CLICKS_REDIS_URL:
    # Clicks waiting in the Redis stream, written to the database in batches (analytics/clicks.py). Without Redis
    # the redirect writes them directly and there is nothing to flush.
    CELERY_BEAT_SCHEDULE["analytics-flush-clicks"] = {"task": "analytics.flush_clicks", "schedule": 10}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TIMEZONE = "UTC"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "advocacy.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "advocacy.api.exceptions.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Relais API",
    "DESCRIPTION": "The REST API of Relais, the employee advocacy platform. Every path is scoped to one organisation.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a "status" field with different choices: each enum gets its own component name.
    "ENUM_NAME_OVERRIDES": {
        "MembershipStatusEnum": "advocacy.models.Membership.Status",
        "PostStatusEnum": "content.models.Post.Status",
        "SuggestionStatusEnum": "content.models.Suggestion.Status",
        "IncidentStatusEnum": "charter.models.Incident.Status",
    },
}

# Django's own "django" logger has a console handler under DEBUG and propagates to root as well, so each of its
# records (a 403's warning among them) was printed twice: it gets only the e-mail to operators here, and the root
# console prints it once. An expected refusal (PermissionDenied) logs one line, without its traceback.
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "organization": {"()": "advocacy.logging.OrganizationFilter"},
        "expected_refusal": {"()": "advocacy.logging.ExpectedRefusalFilter"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s org=%(organization_id)s %(message)s"},
        "json": {"()": "advocacy.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["organization"],
            "formatter": env_str("LOG_FORMAT", "plain"),
        },
        "mail_admins": {
            "class": "django.utils.log.AdminEmailHandler",
            "level": "ERROR",
            "filters": ["require_debug_false"],
        },
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": ["mail_admins"], "level": "INFO"},
        "django.request": {"filters": ["expected_refusal"]},
        "django.db.backends": {"level": "INFO"},
    },
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Content-Security-Policy (django-csp 4) and Permissions-Policy on every response. Scripts and styles come from our
# own static files, or from an inline element carrying the request's nonce; never from an attribute (no onclick,
# hx-on or style="..."). Images may be link previews hosted anywhere over https, or data: URIs (QR codes).
# form-action also gets the networks' sign-in origins per request (advocacy.middleware).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF, csp.NONCE],
        "style-src": [csp.SELF, csp.NONCE],
        "img-src": [csp.SELF, "data:", "https:"],
        "font-src": [csp.SELF],
        "connect-src": [csp.SELF],
        "object-src": [csp.NONE],
        "base-uri": [csp.NONE],
        "form-action": [csp.SELF],
        "frame-ancestors": [csp.NONE],
    },
}
# Only features that browsers know: Chromium reports any other (such as "bluetooth") as an error on every page.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}
