"""The referral webhook, ``POST /hooks/o/<org>/referrals/``: the careers site or the CRM reports an application, a
hire or a lead for a member's referral code.

Machine to machine: no session, no CSRF, no member. The request is authenticated by its HMAC-SHA256 signature under
the organisation's secret (analytics.referrals); the tenant scope is entered by ``OrganizationAPIMixin``, as for the
API. It lives outside ``/api/v1/o/<org>/`` because every route there answers 404 to whoever is not a member.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from advocacy.api.base import OrganizationAPIMixin
from advocacy.api.throttles import OrganizationScopedRateThrottle
from advocacy.errors import ServiceError
from analytics.api.serializers import ReferralWebhookSerializer
from analytics.models import ReferralEvent
from analytics.referrals import (
    SIGNATURE_TOLERANCE,
    body_digest,
    signature_matches,
    timestamp_age,
    webhook_secret,
)
from analytics.services import referral_event_receive

TIMESTAMP_HEADER = "X-Relais-Timestamp"
SIGNATURE_HEADER = "X-Relais-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY_MAX = ReferralEvent._meta.get_field("idempotency_key").max_length or 200


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class Unprocessable(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "unprocessable"


class ReferralSignatureAuthentication(BaseAuthentication):
    """Checks the timestamp (at most ``SIGNATURE_TOLERANCE`` old or ahead) and the signature of the raw body."""

    def authenticate_header(self, request: Request) -> str:
        # A header makes DRF answer 401 rather than 403 to a refused signature.
        return "Relais-Signature"

    def authenticate(self, request: Request) -> tuple[AnonymousUser, None]:
        organization = getattr(request, "organization", None)
        if organization is None:
            raise exceptions.NotFound(_("Not found."))
        timestamp = request.headers.get(TIMESTAMP_HEADER, "")
        age = timestamp_age(timestamp, timezone.now())
        if age is None:
            raise exceptions.AuthenticationFailed(
                _("Send the X-Relais-Timestamp header: the time of sending, in unix seconds."), code="bad_timestamp"
            )
        if age > SIGNATURE_TOLERANCE:
            raise exceptions.AuthenticationFailed(
                _("The timestamp is more than 5 minutes old: sign the request again when you send it."),
                code="timestamp_too_old",
            )
        if -age > SIGNATURE_TOLERANCE:
            raise exceptions.AuthenticationFailed(
                _("The timestamp is more than 5 minutes ahead: check the sender's clock."), code="timestamp_in_future"
            )
        secret = webhook_secret(organization=organization)
        if not secret:
            raise exceptions.AuthenticationFailed(
                _("This organisation has no webhook secret yet: an administrator generates it in the settings."),
                code="no_secret",
            )
        # The raw bytes as sent: parsing and serialising again could change them and break the signature.
        if not signature_matches(secret, timestamp.strip(), request.body, request.headers.get(SIGNATURE_HEADER, "")):
            raise exceptions.AuthenticationFailed(
                _("The signature does not match: sign “<timestamp>.<body>” with HMAC-SHA256 under the secret."),
                code="bad_signature",
            )
        return AnonymousUser(), None


class SignedRequest(BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        return isinstance(request.successful_authenticator, ReferralSignatureAuthentication)


class OrganizationWebhookThrottle(OrganizationScopedRateThrottle):
    """One bucket per organisation: the sender is a system, not a person or a token."""

    THROTTLE_RATES = {"referral_webhook": "600/minute", **OrganizationScopedRateThrottle.THROTTLE_RATES}

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        organization = getattr(request, "organization", None)
        return self.cache_format % {"scope": self.scope, "ident": f"org-{getattr(organization, 'pk', 'none')}"}


class ReferralWebhookView(OrganizationAPIMixin, APIView):
    """201 with the event recorded; 200 with the first event for a retry (same Idempotency-Key, same body); 400 bad
    body or headers; 401 timestamp or signature refused; 404 no such organisation; 409 key used for another body;
    422 a code or a post this organisation does not have; 429 over the organisation's rate."""

    authentication_classes = [ReferralSignatureAuthentication]
    permission_classes = [SignedRequest]
    throttle_classes = [OrganizationWebhookThrottle]
    throttle_scope = "referral_webhook"
    # Not in the OpenAPI schema of /api/v1/: another authentication, documented in the README.
    schema = None

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
        if not key or len(key) > IDEMPOTENCY_KEY_MAX:
            message = _("Send an Idempotency-Key header of 1 to %(max)s characters, one per event.")
            raise exceptions.ValidationError({IDEMPOTENCY_HEADER: [message % {"max": IDEMPOTENCY_KEY_MAX}]})
        body = ReferralWebhookSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            event, created = referral_event_receive(
                organization=self.organization,
                kind=data["event"],
                code=data["referral_code"],
                occurred_at=data.get("occurred_at"),
                post_id=data.get("post"),
                link=data.get("link", ""),
                idempotency_key=key,
                digest=body_digest(request.body),
            )
        except ServiceError as error:
            if error.code == "idempotency_key_reused":
                raise Conflict(error.message, code=error.code) from error
            raise Unprocessable(error.message, code=error.code) from error
        return Response(
            {
                "id": event.pk,
                "event": event.kind,
                "referral_code": event.referral_code,
                "post": event.post_id,
                "occurred_at": event.occurred_at.isoformat(),
                "replayed": not created,
            },
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
