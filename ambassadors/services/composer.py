"""What the composer offers and checks before anything is sent: the first suggested text (a different one for each
colleague while there are several), how much of a text is copied (``ambassadors.similarity``), and a good time to
share.

Everything here reads or records offers only; the share itself is made by ``ambassadors.services.shares``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Count
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay
from django.utils import timezone

from advocacy.models import Membership
from ambassadors.gate import share_refusal
from ambassadors.models import PublishingSettings, Share, VariantOffer
from ambassadors.similarity import Similarity, Source, own_words, similarity
from analytics.models import Click
from charter.compliance import disclosure_for, member_zone, next_allowed_at, rules_for_member, with_disclosure
from charter.models import ComplianceRules
from content.models import Network, Post, PostVariant

# Colleagues' shares a text is compared with: the latest ones are the ones a reader is likely to have seen.
COLLEAGUE_SHARES_COMPARED = 200
# Shares that are someone's published or planned words; a cancelled or failed draft was never read by anyone.
COMPARED_STATUSES = (
    Share.Status.SCHEDULED,
    Share.Status.PUBLISHING,
    Share.Status.PUBLISHED,
    Share.Status.MANUAL,
    Share.Status.NEEDS_ACTION,
)
VARIANT = "variant"
COLLEAGUE = "colleague"


def variants_for(post: Post, network: str) -> list[PostVariant]:
    """The post's suggested texts for ``network``, else all of them (a post may have texts for one network only)."""
    variants = list(PostVariant.objects.filter(organization=post.organization_id, post=post).order_by("position", "pk"))
    own = [variant for variant in variants if variant.network == network]
    return own or variants


def first_variant(*, membership: Membership, post: Post, network: str) -> PostVariant | None:
    """The suggested text this member starts from on ``network``: the one they were offered before, else the one
    the fewest colleagues were offered (the first in the editor's order on a tie), recorded so that it stays theirs.

    The post's row is locked while choosing: two colleagues opening the composer at the same moment are counted one
    after the other, so they are offered different texts while the post has several."""
    variants = variants_for(post, network)
    if not variants:
        return None
    if len(variants) == 1:
        return variants[0]
    organization_id = membership.organization_id
    offers = VariantOffer.objects.filter(organization=organization_id, post=post, network=network)
    with transaction.atomic():
        Post.objects.select_for_update().filter(organization=organization_id, pk=post.pk).first()
        mine = offers.filter(membership=membership).select_related("variant").first()
        if mine is not None and mine.variant in variants:
            return mine.variant
        counts = dict(offers.values("variant_id").annotate(count=Count("pk")).values_list("variant_id", "count"))
        chosen = min(variants, key=lambda variant: (counts.get(variant.pk, 0), variants.index(variant)))
        if mine is not None:
            mine.variant = chosen
            mine.save(update_fields=["variant"])
        else:
            VariantOffer.objects.create(
                organization=membership.organization, post=post, membership=membership, network=network, variant=chosen
            )
    return chosen


def similarity_sources(*, membership: Membership, post: Post) -> list[Source]:
    """What a member's text of ``post`` is compared with: every suggested text of the post, and the latest
    colleagues' shares of it (never the member's own: sharing on LinkedIn and X in the same words is fine)."""
    organization_id = membership.organization_id
    sources = [
        Source(VARIANT, text, pk)
        for pk, text in PostVariant.objects.filter(organization=organization_id, post=post).values_list("pk", "text")
    ]
    colleagues = (
        Share.objects.filter(organization=organization_id, post=post, status__in=COMPARED_STATUSES)
        .exclude(membership=membership)
        .order_by("-created_at", "-pk")
        .values_list("pk", "text")[:COLLEAGUE_SHARES_COMPARED]
    )
    sources.extend(Source(COLLEAGUE, text, pk) for pk, text in colleagues)
    return sources


def _disclosures(rules: ComplianceRules) -> list[str]:
    return [text for text in (disclosure_for(rules=rules, network=net) for net in Network.values) if text]


@dataclass(frozen=True)
class TextCheck:
    """The composer's verdict on a text: its similarity, and the words of the member's own it has and needs."""

    similarity: Similarity
    own_words: int
    own_words_required: int

    @property
    def lacks_own_words(self) -> bool:
        return self.own_words < self.own_words_required


def text_check(
    *,
    membership: Membership,
    post: Post,
    text: str,
    own_words_required: int = 0,
    rules: ComplianceRules | None = None,
) -> TextCheck:
    """How copied ``text`` is against the post's suggestions and colleagues' shares, the disclosures left out.
    ``rules``: the member's rules for the post, when the caller has read them already."""
    sources = similarity_sources(membership=membership, post=post)
    ignore = _disclosures(rules or rules_for_member(membership=membership, post=post))
    return TextCheck(
        similarity=similarity(text, sources, ignore=ignore),
        own_words=own_words(text, [source for source in sources if source.kind == VARIANT], ignore=ignore),
        own_words_required=own_words_required,
    )


def own_words_required(post: Post) -> int:
    """The words of their own the organisation asks of a share of ``post`` (none when its text may not change)."""
    if not post.editable_by_ambassadors:
        return 0
    choices = PublishingSettings.objects.filter(organization=post.organization_id).first()
    return choices.min_personal_words if choices is not None else 0


def feedback(
    membership: Membership,
    post: Post,
    network: str,
    text: str,
    *,
    at: datetime | None,
    rules: ComplianceRules | None = None,
) -> dict[str, Any]:
    """What the composer says about a text before it is sent: the rules it breaks, named, and how copied it is."""
    if not text.strip():
        return {"empty": True}
    rules = rules or rules_for_member(membership=membership, post=post)
    final = with_disclosure(rules=rules, network=network, text=text.strip())
    refusal = share_refusal(membership=membership, post=post, network=network, text=final, link=post.link, at=at)
    check: TextCheck = text_check(
        membership=membership, post=post, text=text, own_words_required=own_words_required(post), rules=rules
    )
    closest = check.similarity.closest
    return {
        "empty": False,
        "problems": list(refusal.messages) if refusal is not None else [],
        "check": check,
        "parrot": check.similarity.is_parrot and post.editable_by_ambassadors,
        "closest_text": closest.text if closest is not None else "",
        "closest_is_colleague": closest is not None and closest.kind == "colleague",
    }


# --- A good time ---------------------------------------------------------------------------------------------------

# Once a member's links have brought this many counted clicks, their own best hours lead the suggestion.
CLICKS_FOR_OWN_HOURS = 30
CLICKS_LOOKBACK = timedelta(days=90)
# Where a member has no history: working-day moments when professional networks are read the most.
DEFAULT_SLOTS = (time(8, 30), time(12, 15), time(17, 30))
WORKING_DAYS = (1, 2, 3, 4, 5)
# A suggestion leaves the member time to finish and the worker time to pick it up.
SUGGESTION_MARGIN = timedelta(minutes=15)


@dataclass(frozen=True)
class SuggestedTime:
    at: datetime
    from_own_clicks: bool


def _own_best_hours(membership: Membership, zone: ZoneInfo, now: datetime) -> list[tuple[int, int]]:
    """(ISO weekday, hour) of the member's counted clicks, busiest first; empty under ``CLICKS_FOR_OWN_HOURS``."""
    query = (
        Click.objects.filter(
            organization=membership.organization_id,
            membership=membership,
            filtered="",
            clicked_at__gte=now - CLICKS_LOOKBACK,
        )
        .annotate(day=ExtractIsoWeekDay("clicked_at", tzinfo=zone), hour=ExtractHour("clicked_at", tzinfo=zone))
        .values("day", "hour")
        .annotate(count=Count("event_id"))
        .order_by("-count", "day", "hour")
    )
    rows = list(query)
    if sum(row["count"] for row in rows) < CLICKS_FOR_OWN_HOURS:
        return []
    return [(row["day"], row["hour"]) for row in rows]


def _candidates(zone: ZoneInfo, start: datetime, slots: list[tuple[int, time]]) -> list[datetime]:
    """The moments of the coming week matching ``slots`` ((ISO weekday, local time)), in the order of ``slots``."""
    local = start.astimezone(zone)
    found = []
    for weekday, moment in slots:
        for offset in range(8):
            day = local.date() + timedelta(days=offset)
            if day.isoweekday() != weekday:
                continue
            candidate = datetime.combine(day, moment, tzinfo=zone).astimezone(ZoneInfo("UTC")).astimezone(zone)
            if candidate >= local:
                found.append(candidate)
                break
    return found


def suggested_time(
    *,
    membership: Membership,
    post: Post | None = None,
    now: datetime | None = None,
    rules: ComplianceRules | None = None,
) -> SuggestedTime:
    """A time to share: the member's own busiest click hour of the week once they have enough clicks, else the
    soonest of the default working-day slots; always inside the hours the compliance rules allow."""
    now = now or timezone.now()
    zone = member_zone(membership)
    rules = rules or rules_for_member(membership=membership, post=post)
    start = now + SUGGESTION_MARGIN
    own = _own_best_hours(membership, zone, now)
    if own:
        candidates = _candidates(zone, start, [(day, time(hour)) for day, hour in own])
    else:
        slots = [(day, moment) for day in WORKING_DAYS for moment in DEFAULT_SLOTS]
        candidates = sorted(_candidates(zone, start, slots))
    for candidate in candidates:
        allowed = next_allowed_at(rules, candidate, zone)
        if allowed is not None and allowed == candidate:
            return SuggestedTime(candidate, bool(own))
    fallback = next_allowed_at(rules, start, zone) or start.astimezone(zone)
    return SuggestedTime(fallback, False)
