"""The tracked-link redirect alone, for a links host of its own (``RELAIS_LINK_HOST``):
``gunicorn analytics.wsgi:application``. It answers ``/r/<code>`` and ``/healthz``; any other path is a 404."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "advocacy.settings.dev")
django.setup(set_prefix=False)

from analytics.redirect import application  # noqa: E402

__all__ = ["application"]
