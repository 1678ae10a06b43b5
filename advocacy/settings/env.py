"""Typed readers for configuration that comes from the environment.

Each helper raises ImproperlyConfigured on a value it cannot read, so a typo fails at start-up, not later.
"""

import os
from typing import Any

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}") from exc


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a number, not {raw!r}") from exc


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_choice(name: str, choices: tuple[str, ...], default: str) -> str:
    value = os.environ.get(name, "").strip().lower() or default
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


def media_storage() -> dict[str, Any]:
    """The default storage of uploads: the ``MEDIA_ROOT`` folder, or an S3-compatible bucket when
    ``RELAIS_MEDIA_S3_BUCKET`` is set (AWS, MinIO, Scaleway, OVH…; keys from boto3's usual variables such as
    ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, or the instance's role)."""
    bucket = env_str("RELAIS_MEDIA_S3_BUCKET")
    if not bucket:
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": env_str("RELAIS_MEDIA_S3_ENDPOINT_URL") or None,
            "region_name": env_str("RELAIS_MEDIA_S3_REGION") or None,
            "addressing_style": env_str("RELAIS_MEDIA_S3_ADDRESSING_STYLE") or None,
            # Objects stay private: members get them through a redirect to a URL signed for this many seconds.
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": env_int("RELAIS_MEDIA_URL_SECONDS", 300),
            "custom_domain": None,
            "file_overwrite": False,
        },
    }
