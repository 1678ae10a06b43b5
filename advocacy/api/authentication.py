from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from advocacy.models import ApiToken


class TokenUser:
    """The request.user of a call made with an organisation API token: no person, one role, one organisation."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    pk = None
    id = None
    language = ""

    def __init__(self, token: ApiToken) -> None:
        self.token = token

    def __str__(self) -> str:
        return f"API token {self.token.hint}…"


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer rls_…``. The token is looked up inside the organisation scope of the URL, so a
    token of another organisation is simply unknown here."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[TokenUser, ApiToken] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        parts = header.split()
        if parts[0].lower() != self.keyword.lower():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid Authorization header: expected “Bearer <token>”."))
        organization = getattr(request, "organization", None)
        if organization is None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        token = (
            ApiToken.objects.filter(organization=organization, token_digest=ApiToken.digest(parts[1]))
            .filter(revoked_at__isnull=True)
            .first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            # Written at most once a minute per token, so heavy API use does not turn every read into a write.
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return TokenUser(token), token

    def authenticate_header(self, request: Any) -> str:
        return f'{self.keyword} realm="api"'


class BearerTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """Tells drf-spectacular how the organisation tokens are sent, so the schema documents them."""

    target_class = BearerTokenAuthentication
    name = "organizationToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": str(_("An organisation API token, rls_…"))}
