"""Deployment checks that Django's own ``check --deploy`` does not know about."""

from typing import Any

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import Error, Tags, register

DEVELOPMENT_TOKEN_KEYS = frozenset({"2qTLv0d3T5m8bX9Vv3fB2kq0nO1mGk2mJ4yq5Q8hX2o="})


@register(Tags.security, deploy=True)
def token_keys_check(app_configs: Any, **kwargs: Any) -> list[Error]:
    keys = list(getattr(settings, "RELAIS_TOKEN_KEYS", []))
    if not keys:
        return [Error("RELAIS_TOKEN_KEYS is not set: connected-account tokens cannot be encrypted.", id="relais.E001")]
    errors = []
    for index, key in enumerate(keys):
        if key in DEVELOPMENT_TOKEN_KEYS:
            errors.append(Error(f"RELAIS_TOKEN_KEYS[{index}] is the key published for tests.", id="relais.E002"))
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
