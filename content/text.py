"""Text limits of the networks (provider-contracts.md §1, §2.5): X's weighted length and LinkedIn's code points.

X's length comes from twitter-text-parser, the Python port of X's own twitter-text 3, which agrees with it on URLs
(internationalised domains, every top-level domain of the root zone), emoji sequences and weights; the browser
counts with the official library itself (static/vendor/twitter-text-3.1.0.min.js, through static/js/counter.js).
``URL_RE`` below is no measure of length: it finds links in a text (compliance rules, publishing, the fake X).
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from twitter_text import parse_tweet

LIMITS: dict[str, int | None] = {"x": 280, "linkedin": 3000, "generic": None}
# Top-level domains recognised without http(s):// in front: twitter-text's list is the whole IANA root zone; the
# common generic ones are enough for captions, and any two letters are a country code.
BARE_GTLDS = (
    "com|org|net|edu|gov|mil|int|info|biz|name|pro|app|dev|blog|news|shop|store|online|site|tech|xyz|club|page|"
    "cloud|media|agency|digital|email|link|live|world|today|company|group|jobs|careers|travel|museum|aero|coop|"
    "mobi|asia|tel|co|tv"
)
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_END = r"(?![A-Za-z0-9_-])"
_PORT_PATH = r"(?::[0-9]{1,5})?(?:/(?:[^\s]*[^\s.,!?;:'\")\]}>])?)?"
URL_PATTERN = (
    r"(?<![A-Za-z0-9_@.#$/-])(?:"
    # With a scheme: any domain whose top-level label is alphabetic.
    rf"https?://(?:{_LABEL}\.)+[A-Za-z]{{2,63}}{_END}"
    # Without: a known generic TLD, or a country code after at least two labels (www.example.fr) ...
    rf"|(?:{_LABEL}\.)+(?:{BARE_GTLDS}){_END}"
    rf"|{_LABEL}\.(?:{_LABEL}\.)+[A-Za-z]{{2}}{_END}"
    # ... or straight before a path (t.co/abc), as twitter-text does for one label and a country code.
    rf"|{_LABEL}\.[A-Za-z]{{2}}(?=/)"
    rf"){_PORT_PATH}"
)
URL_RE = re.compile(URL_PATTERN)


# twitter-text-parser 3.0.0 takes a bare © or ® (without U+FE0F) for an emoji and counts 2; the official
# twitter-text 3.1.0 counts them as the text symbols they are (1). Another symbol of the same class and weight,
# which no emoji or URL pattern takes, stands in for them.
_BARE_TEXT_SYMBOLS = re.compile("[\u00a9\u00ae](?!\ufe0f)")


def x_text_with_link(text: str, link: str) -> str:
    """What the X client posts: the text, with the post's link appended when the text does not carry it (X has no
    separate link field). The gate counts this text and the previews show it."""
    if not link or link in text:
        return text
    return f"{text} {link}" if text else link


def x_weighted_length(text: str) -> int:
    """X's count, as twitter-text computes it: NFC, 1 or 2 per code point by range, 2 per emoji, 23 per URL."""
    return int(parse_tweet(_BARE_TEXT_SYMBOLS.sub("\u00b0", text)).weightedLength)


def linkedin_length(text: str) -> int:
    """LinkedIn's count: Unicode code points."""
    return len(text)


def network_length(network: str, text: str) -> int:
    return x_weighted_length(text) if network == "x" else linkedin_length(text)


def validate_variant_text(network: str, text: str) -> list[str]:
    """Translated problems with a variant's text for its network; empty when it may be saved."""
    if not text.strip():
        return [_("The text of a variant cannot be empty.")]
    limit = LIMITS.get(network)
    if limit is None:
        return []
    length = network_length(network, text)
    if length <= limit:
        return []
    name = {"x": "X", "linkedin": "LinkedIn"}.get(network, network)
    return [
        _("%(network)s allows %(limit)d characters; this variant has %(length)d.")
        % {"network": name, "limit": limit, "length": length}
    ]
