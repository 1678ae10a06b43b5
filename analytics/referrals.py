"""Referrals and leads: reading what members' referral codes brought (for the referrals page and the dashboard), the
cost-per-hire comparison, and the signature of the webhook that reports them.

The webhook signs ``"<timestamp>.<raw body>"`` with HMAC-SHA256 under the organisation's secret (the scheme of
Stripe's and GitHub's webhooks): the timestamp in the signed text makes a captured request useless after
``SIGNATURE_TOLERANCE``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, QuerySet
from django.views.decorators.debug import sensitive_variables

from advocacy.models import ProgrammeMember
from ambassadors.crypto import TokenDecryptionError, unseal
from analytics.models import ReferralEvent, ReferralSettings

if TYPE_CHECKING:
    from advocacy.models import Organization, Programme

Kind = ReferralEvent.Kind
SIGNATURE_TOLERANCE = dt.timedelta(minutes=5)
SIGNATURE_PREFIX = "sha256="
SECRET_PREFIX = "whsec_"
_CENT = Decimal("0.01")


# --- The webhook's signature ---------------------------------------------------------------------------------------


def signature_for(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Relais-Signature`` value of ``body`` sent at ``timestamp`` (unix seconds, as sent)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_PREFIX}{digest}"


def signature_matches(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    # compare_digest: the time taken says nothing about how many leading characters were right.
    return hmac.compare_digest(signature_for(secret, timestamp, body).encode(), signature.strip().encode())


def timestamp_age(timestamp: str, now: dt.datetime) -> dt.timedelta | None:
    """How old the sender's timestamp is (negative: in the future); None when it is not a whole number of seconds."""
    if not timestamp.isascii() or not timestamp.strip().isdigit() or len(timestamp.strip()) > 12:
        return None
    return now - dt.datetime.fromtimestamp(int(timestamp), tz=dt.UTC)


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def secret_binding(organization: Organization) -> str:
    """What the sealed secret is bound to: a ciphertext copied into another organisation's row does not open."""
    return f"referral-webhook:{organization.pk}"


@sensitive_variables("secret")
def webhook_secret(*, organization: Organization) -> str:
    """The organisation's webhook secret, or "" when none was generated (or it cannot be read with the configured
    keys: the admin generates another)."""
    sealed = ReferralSettings.objects.filter(organization=organization).values_list("webhook_secret_sealed", flat=True)
    try:
        secret = unseal(sealed.first() or "", binding=secret_binding(organization))
    except TokenDecryptionError:
        return ""
    return secret


# --- Reads ---------------------------------------------------------------------------------------------------------


def referral_settings(*, organization: Organization) -> ReferralSettings:
    """The organisation's settings; unsaved defaults (no secret, no fees) until an admin saves them."""
    found = ReferralSettings.objects.filter(organization=organization).first()
    return found if found is not None else ReferralSettings(organization=organization)


def _events(
    organization: Organization, start: dt.date, end: dt.date, programme: Programme | None
) -> QuerySet[ReferralEvent]:
    """The events of ``start``..``end`` (both included, days of the organisation's time zone)."""
    zone = ZoneInfo(organization.time_zone)
    since = dt.datetime.combine(start, dt.time.min, tzinfo=zone)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    events = ReferralEvent.objects.filter(organization=organization, occurred_at__gte=since, occurred_at__lt=until)
    if programme is not None:
        # Credited to a member of the programme: a subquery, not a join, so an event never counts twice.
        members = ProgrammeMember.objects.filter(organization=organization, programme=programme).values("membership")
        events = events.filter(membership__in=members)
    return events


def _count(kind: str) -> Count:
    return Count("pk", filter=Q(kind=kind))


@dataclass(frozen=True)
class ReferralCounts:
    applications: int
    hires: int
    leads: int

    @property
    def total(self) -> int:
        return self.applications + self.hires + self.leads


@dataclass(frozen=True)
class PostReferrals:
    post_id: int
    title: str
    campaign: str
    counts: ReferralCounts


@dataclass(frozen=True)
class AmbassadorReferrals:
    membership_id: int | None
    name: str
    referral_code: str
    counts: ReferralCounts


def referral_totals(
    *, organization: Organization, start: dt.date, end: dt.date, programme: Programme | None = None
) -> ReferralCounts:
    """Applications, hires and leads of the period, in one query."""
    row = _events(organization, start, end, programme).aggregate(
        applications=_count(Kind.APPLICATION), hires=_count(Kind.HIRE), leads=_count(Kind.LEAD)
    )
    return ReferralCounts(row["applications"], row["hires"], row["leads"])


def referrals_by_post(
    *, organization: Organization, start: dt.date, end: dt.date, programme: Programme | None = None
) -> list[PostReferrals]:
    """Per post named by the events (events without a post count for their ambassador only), most hires first; one
    query (the post's title by a join)."""
    rows = (
        _events(organization, start, end, programme)
        .filter(post__isnull=False)
        .values("post", "post__title", "post__campaign")
        .annotate(applications=_count(Kind.APPLICATION), hires=_count(Kind.HIRE), leads=_count(Kind.LEAD))
        .order_by("-hires", "-applications", "-leads", "post__title", "post")
    )
    return [
        PostReferrals(
            post_id=row["post"],
            title=row["post__title"],
            campaign=row["post__campaign"],
            counts=ReferralCounts(row["applications"], row["hires"], row["leads"]),
        )
        for row in rows
    ]


def referrals_by_ambassador(
    *, organization: Organization, start: dt.date, end: dt.date, programme: Programme | None = None
) -> list[AmbassadorReferrals]:
    """Per member credited, most hires first; a member who has left is named by the code their events carried. One
    query (the member's name by a join)."""
    rows = (
        _events(organization, start, end, programme)
        .values("membership", "membership__user__full_name", "membership__user__email", "referral_code")
        .annotate(applications=_count(Kind.APPLICATION), hires=_count(Kind.HIRE), leads=_count(Kind.LEAD))
        .order_by("-hires", "-applications", "-leads", "membership__user__full_name", "referral_code")
    )
    # A member has one code, so grouping by it too splits nobody; it keeps apart the members who have left.
    return [
        AmbassadorReferrals(
            membership_id=row["membership"],
            name=row["membership__user__full_name"]
            or (row["membership__user__email"] or "").split("@")[0]
            or row["referral_code"],
            referral_code=row["referral_code"],
            counts=ReferralCounts(row["applications"], row["hires"], row["leads"]),
        )
        for row in rows
    ]


def recent_referral_events(
    *, organization: Organization, start: dt.date, end: dt.date, limit: int = 50
) -> list[ReferralEvent]:
    """The newest events of the period, with their member and post (joined: one query)."""
    return list(
        _events(organization, start, end, None)
        .select_related("membership__user", "post", "recorded_by")
        .order_by("-occurred_at", "-pk")[:limit]
    )


# --- Cost per hire -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CostPerHire:
    """The programme's cost over the period against what an agency would have charged for the same hires."""

    currency: str
    programme_cost: Decimal | None
    cost_per_hire: Decimal | None
    agency_fee: Decimal | None
    agency_cost: Decimal | None
    saving: Decimal | None


def cost_per_hire(*, settings: ReferralSettings, hires: int, start: dt.date, end: dt.date) -> CostPerHire:
    """Programme cost over the period = cost per month × 12 × days ÷ 365; cost per hire = that ÷ hires (none
    without hires); saving = hires × agency fee − programme cost. A figure the admin has not set stays None."""
    days = (end - start).days + 1
    programme_cost = None
    if settings.programme_cost_per_month is not None:
        programme_cost = (settings.programme_cost_per_month * 12 * days / 365).quantize(_CENT, ROUND_HALF_UP)
    per_hire = (programme_cost / hires).quantize(_CENT, ROUND_HALF_UP) if programme_cost is not None and hires else None
    agency_cost = settings.agency_fee * hires if settings.agency_fee is not None else None
    saving = agency_cost - programme_cost if agency_cost is not None and programme_cost is not None else None
    return CostPerHire(settings.currency, programme_cost, per_hire, settings.agency_fee, agency_cost, saving)
