"""The process-global fake networks of the embedded demo, served under /sandbox/<network>/ by Django itself.

One instance per network per process, created on first use: its state (members, tokens, posts) lives as long as
the web process. Only used when ``RELAIS_SANDBOX_NETWORKS`` is on.
"""

from __future__ import annotations

import threading

from django.conf import settings
from django.urls import reverse

from ambassadors.sandbox.base import FakeNetwork

_lock = threading.Lock()
_networks: dict[str, FakeNetwork] = {}


def _make(name: str) -> FakeNetwork:
    network: FakeNetwork
    if name == "linkedin":
        from ambassadors.sandbox.linkedin import FakeLinkedIn

        network = FakeLinkedIn()
    else:
        from ambassadors.sandbox.x import FakeX

        network = FakeX()
    site = settings.RELAIS_SITE_URL.rstrip("/")
    network.base_url = f"{site}/sandbox/{name}"
    # Registered like Relais's app on the real network: its one OAuth callback, and no other redirect.
    network.registered_redirect_uris = [site + reverse("connection_oauth_callback", args=[name])]
    # The demo shows the fake consent page, so a new user sees what connecting looks like.
    network.auto_consent = None
    return network


def sandbox_network(name: str) -> FakeNetwork:
    """The fake network ``name`` ("linkedin" or "x") of this process."""
    if name not in ("linkedin", "x"):
        raise KeyError(name)
    with _lock:
        if name not in _networks:
            _networks[name] = _make(name)
        return _networks[name]
