"""The compliance check of a share: one function, ``compliance_check(draft)``, returns every violation of the
organisation's rules with a translated message. The editor calls it live, the share and publish paths again,
authoritatively (the publishing issue), so it reads the post's state from the database, never from the caller.

Blocked phrases are matched by hand rather than with a search library: the match must map back to the exact
characters of the original text (``start``/``end``) for highlighting, after accent and case folding.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from advocacy.errors import ServiceError
from advocacy.models import Membership, Organization, Programme, User
from advocacy.services import audit_log, save_or_refuse
from charter.models import ComplianceRules
from content.models import Post
from content.selectors import post_is_meant_for
from content.text import LIMITS, URL_RE, network_length


@dataclass(frozen=True)
class ShareDraft:
    """A share about to be made. The publishing issue fills the counts from its Share rows; ``at`` is when the
    share would go out (now when empty)."""

    membership: Membership
    network: str
    text: str
    link: str = ""
    post: Post | None = None
    at: datetime | None = None
    shares_today: int = 0
    shares_today_on_network: int = 0


@dataclass(frozen=True)
class Violation:
    """One broken rule. ``start``/``end`` locate a blocked phrase in the original text; ``next_allowed_at`` is
    the next moment sharing is allowed (aware, in the member's time zone)."""

    code: str
    message: str
    field: str = "text"
    start: int | None = None
    end: int | None = None
    next_allowed_at: datetime | None = None


# --- Rules ---------------------------------------------------------------------------------------------------------

RULE_FIELDS = (
    "blocked_phrases",
    "disclosure_linkedin",
    "disclosure_x",
    "disclosure_generic",
    "daily_cap",
    "daily_cap_per_network",
    "sharing_from",
    "sharing_until",
    "sharing_weekdays",
    "allowed_domains",
    "reconsent_months",
)
_DOMAIN_RE = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def rules_for(*, organization: Organization, programme: Programme | None = None) -> ComplianceRules:
    """The programme's own rules, else the organisation's default row, else an unsaved default instance."""
    if programme is not None:
        own = ComplianceRules.objects.filter(organization=organization, programme=programme).first()
        if own is not None:
            return own
    default = ComplianceRules.objects.filter(organization=organization, programme__isnull=True).first()
    return default if default is not None else ComplianceRules(organization=organization)


def rules_for_member(*, membership: Membership, post: Post | None = None) -> ComplianceRules:
    """The rules a member's share of ``post`` follows: the rules of the one programme both the post targets and
    the member belongs to, when exactly one such programme has its own rules; else the organisation's."""
    organization = membership.organization
    if post is not None:
        own = list(
            ComplianceRules.objects.filter(
                organization=organization,
                programme__posts=post.pk,
                programme__members__membership=membership,
            ).distinct()[:2]
        )
        if len(own) == 1:
            return own[0]
    return rules_for(organization=organization)


def _lines(value: str) -> list[str]:
    seen: dict[str, None] = {}
    for line in value.splitlines():
        if line.strip():
            seen.setdefault(" ".join(line.split()), None)
    return list(seen)


def _clean_domains(value: str) -> str:
    domains = []
    for line in _lines(value):
        domain = line.lower().removeprefix("https://").removeprefix("http://").split("/")[0]
        domain = domain.removeprefix("*.").strip(".")
        if not _DOMAIN_RE.match(domain):
            raise ServiceError(
                _("“%(domain)s” is not a domain name (example: example.com).") % {"domain": line},
                field="allowed_domains",
            )
        domains.append(domain)
    return "\n".join(dict.fromkeys(domains))


def _clean_weekdays(value: Any) -> list[int]:
    if not isinstance(value, list | tuple | set) or any(
        isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= 7 for day in value
    ):
        raise ServiceError(_("Days are numbered 1 (Monday) to 7 (Sunday)."), field="sharing_weekdays")
    return sorted(set(value))


def _clean_rules(rules: ComplianceRules) -> None:
    rules.blocked_phrases = "\n".join(_lines(rules.blocked_phrases))
    rules.allowed_domains = _clean_domains(rules.allowed_domains)
    rules.sharing_weekdays = _clean_weekdays(rules.sharing_weekdays)
    if (rules.sharing_from is None) != (rules.sharing_until is None):
        raise ServiceError(_("Give both the start and the end of the sharing hours, or neither."), field="sharing_from")
    if rules.sharing_from is not None and rules.sharing_from == rules.sharing_until:
        raise ServiceError(_("Sharing hours cannot start and end at the same time."), field="sharing_until")
    for name in ("daily_cap", "daily_cap_per_network", "reconsent_months"):
        if getattr(rules, name) == 0:
            raise ServiceError(_("Enter a number above zero, or leave it empty."), field=name)
    try:
        rules.full_clean(exclude=["organization", "programme"], validate_unique=False)
    except ValidationError as exc:
        name, messages = next(iter(exc.message_dict.items()))
        raise ServiceError(str(messages[0]), field=name) from exc


@transaction.atomic
def rules_save(
    *, organization: Organization, by: User | None, programme: Programme | None = None, **fields: Any
) -> ComplianceRules:
    """Create or update the organisation's default rules (``programme`` empty) or a programme's own.

    Only the fields given change. Phrases and domains are cleaned (one per line, duplicates dropped, domains
    lower-cased without scheme); refused with ``ServiceError`` naming the field: an unknown field, a bad domain,
    a weekday outside 1–7, hours given half or empty, a zero cap.
    """
    unknown = sorted(set(fields) - set(RULE_FIELDS))
    if unknown:
        raise ServiceError(_("Unknown rule: %(name)s.") % {"name": ", ".join(unknown)}, field=unknown[0])
    if programme is not None and programme.organization_id != organization.pk:
        raise ServiceError(_("This programme does not exist."), code="not_found", field="programme")
    existing = ComplianceRules.objects.select_for_update().filter(organization=organization, programme=programme)
    rules = existing.first() or ComplianceRules(organization=organization, programme=programme)
    created = rules.pk is None
    for name, value in fields.items():
        setattr(rules, name, value)
    _clean_rules(rules)
    # Two first saves at once collide on the one-default (or one-per-programme) constraint.
    save_or_refuse(rules, refusal=ServiceError(_("These rules were changed meanwhile; try again."), code="conflict"))
    audit_log(
        organization=organization,
        actor=by,
        action="compliance.rules_created" if created else "compliance.rules_changed",
        target=rules,
        data={"programme": programme.pk if programme else None, "fields": sorted(fields)},
    )
    return rules


# --- Text ----------------------------------------------------------------------------------------------------------

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u2032": "'", "\uff07": "'"})


def _fold(text: str) -> tuple[str, list[int]]:
    """Accent- and case-folded ``text`` (NFKD, combining marks dropped, casefold, one apostrophe) and, for each
    folded character, the index of the original character it came from."""
    folded: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text.translate(_APOSTROPHES)):
        for part in unicodedata.normalize("NFKD", char):
            if unicodedata.combining(part):
                continue
            for piece in part.casefold():
                folded.append(piece)
                origin.append(index)
    return "".join(folded), origin


def _phrase_pattern(phrase: str) -> re.Pattern[str] | None:
    words = _fold(phrase)[0].split()
    if not words:
        return None
    # Word boundaries that know Unicode letters (\b would also, but not around a phrase starting with "#" or "'").
    return re.compile(r"(?<!\w)" + r"\s+".join(re.escape(word) for word in words) + r"(?!\w)")


def _original_end(text: str, origin: list[int], folded_end: int) -> int:
    end = origin[folded_end - 1] + 1
    # Combining marks written after the last letter fold to nothing but belong to the phrase.
    while end < len(text) and unicodedata.combining(text[end]):
        end += 1
    return end


def find_blocked_phrases(text: str, phrases: str) -> list[tuple[int, int]]:
    """(start, end) of every blocked phrase in ``text``, in the original text's indices, in reading order."""
    folded, origin = _fold(text)
    found: set[tuple[int, int]] = set()
    for phrase in _lines(phrases):
        pattern = _phrase_pattern(phrase)
        if pattern is None:
            continue
        for match in pattern.finditer(folded):
            found.add((origin[match.start()], _original_end(text, origin, match.end())))
    return sorted(found)


def disclosure_for(*, rules: ComplianceRules, network: str) -> str:
    by_network = {"linkedin": rules.disclosure_linkedin, "x": rules.disclosure_x}
    return by_network.get(network, rules.disclosure_generic).strip()


def with_disclosure(*, rules: ComplianceRules, network: str, text: str) -> str:
    """``text``, a blank line and the network's disclosure, unless there is none or the text already carries it
    (accents and case aside). Trailing whitespace of ``text`` is dropped before the blank line."""
    disclosure = disclosure_for(rules=rules, network=network)
    if not disclosure or _fold(disclosure)[0] in _fold(text)[0]:
        return text
    return f"{text.rstrip()}\n\n{disclosure}"


# --- The check -----------------------------------------------------------------------------------------------------


def _blocked(draft: ShareDraft, rules: ComplianceRules) -> list[Violation]:
    return [
        Violation(
            code="blocked_phrase",
            message=_("“%(phrase)s” is not allowed by the charter.") % {"phrase": draft.text[start:end]},
            start=start,
            end=end,
        )
        for start, end in find_blocked_phrases(draft.text, rules.blocked_phrases)
    ]


def _length(draft: ShareDraft, rules: ComplianceRules) -> list[Violation]:
    limit = LIMITS.get(draft.network)
    if limit is None:
        return []
    full = with_disclosure(rules=rules, network=draft.network, text=draft.text)
    overflow = network_length(draft.network, full) - limit
    if overflow <= 0:
        return []
    values = {"limit": limit, "overflow": overflow}
    if full != draft.text:
        message = ngettext(
            "With the mandatory disclosure, this text is %(overflow)d character over the limit of %(limit)d.",
            "With the mandatory disclosure, this text is %(overflow)d characters over the limit of %(limit)d.",
            overflow,
        )
        return [Violation(code="too_long_with_disclosure", message=message % values)]
    message = ngettext(
        "This text is %(overflow)d character over the limit of %(limit)d.",
        "This text is %(overflow)d characters over the limit of %(limit)d.",
        overflow,
    )
    return [Violation(code="too_long", message=message % values)]


def member_zone(membership: Membership) -> ZoneInfo:
    """The member's time zone: their own choice, else the organisation's."""
    return ZoneInfo(membership.user.time_zone or membership.organization.time_zone)


def _day_allowed(rules: ComplianceRules, day: date) -> bool:
    return not rules.sharing_weekdays or day.isoweekday() in rules.sharing_weekdays


def _allowed_at(rules: ComplianceRules, local: datetime) -> bool:
    start, end = rules.sharing_from, rules.sharing_until
    if start is None or end is None:
        return _day_allowed(rules, local.date())
    moment = local.time()
    if start < end:
        return start <= moment < end and _day_allowed(rules, local.date())
    # A window across midnight (22:00–06:00) belongs to the day it starts: Friday night runs into Saturday.
    if moment >= start:
        return _day_allowed(rules, local.date())
    return moment < end and _day_allowed(rules, local.date() - timedelta(days=1))


def next_allowed_at(rules: ComplianceRules, after: datetime, zone: ZoneInfo) -> datetime | None:
    """The first moment at or after ``after`` when sharing is allowed, aware in ``zone``; None if never."""
    local = after.astimezone(zone)
    if _allowed_at(rules, local):
        return local
    opening = rules.sharing_from or time(0)
    for offset in range(9):
        day = local.date() + timedelta(days=offset)
        # Through UTC and back: an opening time skipped by a DST change becomes the real instant after the gap.
        candidate = datetime.combine(day, opening, tzinfo=zone).astimezone(ZoneInfo("UTC")).astimezone(zone)
        if candidate > local and _day_allowed(rules, day):
            return candidate
    return None


def _when(moment: datetime, zone: ZoneInfo) -> str:
    return f"{formats.date_format(moment, 'l')} {formats.date_format(moment, 'DATETIME_FORMAT')} ({zone.key})"


def _hours(draft: ShareDraft, rules: ComplianceRules, at: datetime) -> list[Violation]:
    zone = member_zone(draft.membership)
    if _allowed_at(rules, at.astimezone(zone)):
        return []
    following = next_allowed_at(rules, at, zone)
    if following is None:
        message = _("Sharing is not allowed on any day at the moment.")
    else:
        message = _("Sharing is not allowed at this time. You can share from %(when)s.") % {
            "when": _when(following, zone)
        }
    return [Violation(code="outside_hours", message=message, field="at", next_allowed_at=following)]


def _caps(draft: ShareDraft, rules: ComplianceRules) -> list[Violation]:
    found = []
    if rules.daily_cap is not None and draft.shares_today >= rules.daily_cap:
        message = ngettext(
            "You have reached today's limit of %(cap)d share.",
            "You have reached today's limit of %(cap)d shares.",
            rules.daily_cap,
        ) % {"cap": rules.daily_cap}
        found.append(Violation(code="daily_cap", message=message, field="at"))
    if rules.daily_cap_per_network is not None and draft.shares_today_on_network >= rules.daily_cap_per_network:
        message = ngettext(
            "You have reached today's limit of %(cap)d share on this network.",
            "You have reached today's limit of %(cap)d shares on this network.",
            rules.daily_cap_per_network,
        ) % {"cap": rules.daily_cap_per_network}
        found.append(Violation(code="network_cap", message=message, field="network"))
    return found


def _host(url: str) -> str:
    with_scheme = url if "://" in url else f"https://{url}"
    try:
        return (urlsplit(with_scheme).hostname or "").rstrip(".")
    except ValueError:
        return ""


def _domain_allowed(host: str, allowed: list[str]) -> bool:
    return any(host == domain or host.endswith(f".{domain}") for domain in allowed)


def _domains(draft: ShareDraft, rules: ComplianceRules) -> list[Violation]:
    allowed = [line.lower() for line in _lines(rules.allowed_domains)]
    if not allowed:
        return []
    links: list[tuple[str, str, int | None, int | None]] = []
    if draft.link:
        links.append((draft.link, "link", None, None))
    links.extend((match.group(), "text", match.start(), match.end()) for match in URL_RE.finditer(draft.text))
    found = []
    for url, field, start, end in links:
        host = _host(url)
        if not _domain_allowed(host, allowed):
            message = _("Links to %(domain)s are not allowed by the rules of the programme.") % {"domain": host or url}
            found.append(Violation(code="domain_not_allowed", message=message, field=field, start=start, end=end))
    return found


def _post(draft: ShareDraft, at: datetime) -> list[Violation]:
    if draft.post is None:
        return []
    # Read again: a post withdrawn after the caller loaded it must be refused. A post not meant for the member (an
    # editor sees every post, a member may have left its programme since) is refused alike, and an embargo is
    # "not live" like the rest: its date is the library's to show, not the composer's.
    post = Post.objects.filter(pk=draft.post.pk, organization=draft.membership.organization_id).first()
    if post is None or not post.is_live_at(at) or not post_is_meant_for(membership=draft.membership, post=post):
        return [Violation(code="post_not_live", message=_("This post can no longer be shared."), field="post")]
    return []


def compliance_check(draft: ShareDraft) -> list[Violation]:
    """Every violation of the rules by ``draft``, each with a translated message; empty means it may be shared.

    Runs inside the organisation's scope; reads the rules (the member's programme's or the organisation's) and
    the post. Checks: blocked phrases, length with the disclosure, daily caps, sharing hours and weekdays in
    the member's time zone, link domains, and whether the post is live (embargo included) and meant for the member.
    """
    rules = rules_for_member(membership=draft.membership, post=draft.post)
    at = draft.at or timezone.now()
    return [
        *_blocked(draft, rules),
        *_length(draft, rules),
        *_caps(draft, rules),
        *_hours(draft, rules, at),
        *_domains(draft, rules),
        *_post(draft, at),
    ]
