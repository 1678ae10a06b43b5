"""Settings of the redirect benchmark (bench/redirect.py): production's, served over plain HTTP on 127.0.0.1.

The Django side runs the middleware of a fresh ``startproject``, so the minimal view the redirect is compared with
costs what any Django site pays per request, not what our pages add on top.
"""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/relais")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/12")
# Production refuses a short or well-known key; this one only ever signs the bench's throw-away data.
os.environ.setdefault("SECRET_KEY", "bench-redirect-" + "k" * 50)
# The bench speaks plain HTTP to gunicorn: a redirect to https would be all that was measured.
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

from advocacy.settings.prod import *  # noqa: E402, F403

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
ROOT_URLCONF = "bench.urls_redirect"
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # allauth refuses to start without its middleware; on a request that is not a login flow it only passes it on.
    "allauth.account.middleware.AccountMiddleware",
]
