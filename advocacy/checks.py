"""Deployment checks that Django's own ``check --deploy`` does not know about."""

from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

DEVELOPMENT_TOKEN_KEYS = frozenset({"2qTLv0d3T5m8bX9Vv3fB2kq0nO1mGk2mJ4yq5Q8hX2o="})
# The credentials the sandbox fakes accept (advocacy/settings/base.py): never a real network's.
SANDBOX_CLIENT_VALUES = frozenset({"relais-sandbox", "relais-sandbox-secret"})


def _local_development_key() -> str:
    """The key the embedded default generated in var/ on this machine (advocacy/settings/dev.py), if any."""
    var_dir = getattr(settings, "VAR_DIR", None)
    path = Path(var_dir) / "token.key" if var_dir else None
    return path.read_text().strip() if path is not None and path.is_file() else ""


@register(Tags.security, deploy=True)
def token_keys_check(app_configs: Any, **kwargs: Any) -> list[Error]:
    keys = list(getattr(settings, "RELAIS_TOKEN_KEYS", []))
    if not keys:
        return [Error("RELAIS_TOKEN_KEYS is not set: connected-account tokens cannot be encrypted.", id="relais.E001")]
    errors = []
    local_key = _local_development_key()
    for index, key in enumerate(keys):
        if key in DEVELOPMENT_TOKEN_KEYS or (local_key and key == local_key):
            errors.append(
                Error(f"RELAIS_TOKEN_KEYS[{index}] is a development key (tests' or var/token.key).", id="relais.E002")
            )
            continue
        try:
            Fernet(key)
        except ValueError:
            errors.append(Error(f"RELAIS_TOKEN_KEYS[{index}] is not a valid Fernet key.", id="relais.E003"))
    return errors


@register(Tags.security, deploy=True)
def safe_http_check(app_configs: Any, **kwargs: Any) -> list[Error]:
    errors = []
    if getattr(settings, "RELAIS_SAFE_HTTP_ALLOWED_TEST_HOSTS", []):
        errors.append(
            Error(
                "RELAIS_SAFE_HTTP_ALLOWED_TEST_HOSTS is set: link previews and feeds could reach local addresses.",
                id="relais.E010",
            )
        )
    if getattr(settings, "RELAIS_SAFE_HTTP_RESOLVER", "socket.getaddrinfo") != "socket.getaddrinfo":
        errors.append(Error("RELAIS_SAFE_HTTP_RESOLVER is not socket.getaddrinfo.", id="relais.E011"))
    return errors


@register(Tags.security, deploy=True)
def networks_check(app_configs: Any, **kwargs: Any) -> list[Error]:
    """Production talks to the real networks: no sandbox fakes, and real client credentials for each network."""
    if getattr(settings, "RELAIS_SANDBOX_NETWORKS", False):
        return [Error("RELAIS_SANDBOX_NETWORKS is on: the fake LinkedIn and X would be served.", id="relais.E020")]
    errors = []
    for network, label, error_id in (("LINKEDIN", "LinkedIn", "relais.E021"), ("X", "X", "relais.E022")):
        for part in ("CLIENT_ID", "CLIENT_SECRET"):
            name = f"RELAIS_{network}_{part}"
            value = getattr(settings, name, "")
            if not value or value in SANDBOX_CLIENT_VALUES:
                errors.append(Error(f"{name} is missing or the sandbox one: {label} cannot be connected.", id=error_id))
    return errors


@register(Tags.security, deploy=True)
def operators_check(app_configs: Any, **kwargs: Any) -> list[Warning]:
    """A network paused for the whole platform (a retired LinkedIn version, X credits spent) e-mails the operators:
    with nobody to tell, shares would wait unseen."""
    if getattr(settings, "ADMINS", None):
        return []
    return [
        Warning(
            "RELAIS_OPERATOR_EMAILS is not set: nobody is told when a network is paused for the platform.",
            id="relais.W030",
        )
    ]
