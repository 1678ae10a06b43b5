"""One-click unsubscribe links (RFC 8058) for the e-mails Relais sends a member: a signed token naming the membership
and its organisation. Each kind of e-mail signs with its own salt, so a digest's link cannot turn anything else off."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import signing
from django.urls import reverse

from advocacy.models import Membership, Organization
from advocacy.tenancy import organization_scope


def membership_token(membership: Membership, *, salt: str) -> str:
    """A signed token naming the membership: whoever holds it may do what ``salt``'s link does for that member."""
    return signing.dumps({"o": membership.organization_id, "m": membership.pk}, salt=salt, compress=True)


def membership_url(membership: Membership, *, salt: str, url_name: str) -> str:
    """The absolute address of ``url_name`` with the member's token."""
    path = reverse(url_name, args=[membership_token(membership, salt=salt)])
    return settings.RELAIS_SITE_URL.rstrip("/") + path


def membership_from_token(token: str, *, salt: str) -> Membership | None:
    """The membership a token names, None for a forged, tampered or outdated token (a member who left, an organisation
    closed). The token's organisation scopes the lookup: the link is its own tenant entry point."""
    try:
        payload: Any = signing.loads(token, salt=salt)
        organization_id, membership_id = int(payload["o"]), int(payload["m"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    organization = Organization.objects.filter(pk=organization_id, is_active=True).first()
    if organization is None:
        return None
    with organization_scope(organization):
        return (
            Membership.objects.filter(organization=organization, pk=membership_id)
            .select_related("user", "organization")
            .first()
        )
