from typing import Any

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from advocacy.models import ApiToken

# Defaults for the costly endpoints; REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] may override any of them.
# "publish": what can send a post to a network (create, publish now, retry), per member: far above a person's pace,
# far below a runaway script's.
DEFAULT_RATES = {"invite": "30/hour", "publish": "60/hour"}


class OrganizationScopedRateThrottle(ScopedRateThrottle):
    """DRF's scoped throttle, counted per organisation and per user or per API token, on the shared cache.

    DRF keys by ``request.user.pk``, which is ``None`` for every API token: all tokens would share one bucket.
    """

    THROTTLE_RATES: dict[str, Any] = {**DEFAULT_RATES, **api_settings.DEFAULT_THROTTLE_RATES}

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"ip-{self.get_ident(request)}"
        organization = getattr(request, "organization", None)
        organization_id = organization.pk if organization is not None else "none"
        return self.cache_format % {"scope": self.scope, "ident": f"org-{organization_id}-{ident}"}
