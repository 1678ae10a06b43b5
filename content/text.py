"""Text limits of the networks (provider-contracts.md §1, §2.5): X's weighted length and LinkedIn's code points.

Hand-written rather than twitter-text-parser because static/js/counter.js must count exactly the same way in the
browser: both follow the same short rules below (twitter-text v3 weights, 23 per URL, 2 per emoji sequence),
with one URL pattern kept in step by the shared samples in tests/content/test_text.py. Known difference from
twitter-text: a URL written with http(s):// counts as a URL whatever its (alphabetic) top-level domain, and
internationalised domain names are counted as text.
"""

from __future__ import annotations

import re
import unicodedata

from django.utils.translation import gettext as _

LIMITS: dict[str, int | None] = {"x": 280, "linkedin": 3000, "generic": None}
X_URL_LENGTH = 23
# twitter-text v3: these ranges weigh 1 (100 of scale 100), everything else 2.
X_LIGHT_RANGES = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))

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

# One emoji, however many code points: a flag (two regional indicators), a keycap, a text symbol made emoji by
# U+FE0F, or a pictograph with its modifiers (skin tone, variation selector, tags) and ZWJ-joined followers.
_PICTOGRAPH = "[\u2190-\u21ff\u2300-\u23ff\u2460-\u24ff\u25a0-\u27bf\u2900-\u297f\u2b00-\u2bff\U0001f000-\U0001faff]"
_MODIFIER = "[\ufe0f\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f]"
EMOJI_PATTERN = (
    "[\U0001f1e6-\U0001f1ff]{2}"
    "|[0-9#*]\ufe0f?\u20e3"
    "|[\u00a9\u00ae\u203c\u2049\u2122\u2139]\ufe0f"
    f"|{_PICTOGRAPH}{_MODIFIER}*(?:\u200d{_PICTOGRAPH}{_MODIFIER}*)*"
)
EMOJI_RE = re.compile(EMOJI_PATTERN)


def _weight(char: str) -> int:
    code = ord(char)
    return 1 if any(start <= code <= end for start, end in X_LIGHT_RANGES) else 2


def _emoji_weight(text: str) -> int:
    total = 0
    position = 0
    for match in EMOJI_RE.finditer(text):
        total += sum(_weight(char) for char in text[position : match.start()]) + 2
        position = match.end()
    return total + sum(_weight(char) for char in text[position:])


def x_weighted_length(text: str) -> int:
    """X's count: NFC, 1 or 2 per code point by range, 2 per emoji sequence, 23 per URL."""
    text = unicodedata.normalize("NFC", text)
    total = 0
    position = 0
    for match in URL_RE.finditer(text):
        total += _emoji_weight(text[position : match.start()]) + X_URL_LENGTH
        position = match.end()
    return total + _emoji_weight(text[position:])


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
