"""How a post will look on LinkedIn and on X: the text that goes out (the publisher's rule: the member's text,
stripped, with the charter's disclosure, and on X the link the client appends), its length counted the network's way,
LinkedIn's "…see more" fold, and the link card from the stored link preview.

static/js/preview.js computes the same in the browser as one types; tests/content/test_network_preview.py runs both
on the same texts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from charter.compliance import disclosure_for, with_disclosure
from charter.models import ComplianceRules
from content.models import LinkPreview, Network
from content.text import LIMITS, network_length, x_text_with_link

PREVIEW_NETWORKS = (Network.LINKEDIN, Network.X)
# LinkedIn's feed shows the first three lines of a post, and at most about 210 characters, then "…see more".
LINKEDIN_FOLD_LINES = 3
LINKEDIN_FOLD_CHARS = 210


def final_text(*, rules: ComplianceRules, network: str, text: str, link: str) -> str:
    """What the network receives for ``text``: as ``ambassadors.services.shares`` stores it (stripped, with the
    disclosure) and as the X client sends it (the link appended when the text lacks it). Empty for an empty text."""
    text = (text or "").strip()
    if not text:
        return ""
    full = with_disclosure(rules=rules, network=network, text=text)
    return x_text_with_link(full, link) if network == Network.X else full


def linkedin_fold(text: str) -> tuple[str, bool]:
    """The part of ``text`` LinkedIn's feed shows before "…see more", and whether anything is folded away."""
    shown = "\n".join(text.split("\n")[:LINKEDIN_FOLD_LINES])[:LINKEDIN_FOLD_CHARS]
    if shown == text:
        return text, False
    return shown.rstrip(), True


def initials(name: str) -> str:
    """The avatar's letters: the first of the first two words."""
    return "".join(word[0] for word in name.split()[:2]).upper()


@dataclass(frozen=True)
class LinkCard:
    url: str
    title: str
    site: str
    image_url: str


def link_card(link: str, stored: LinkPreview | None) -> LinkCard | None:
    """The card under the post: the fetched preview of this very link, else its address and domain alone."""
    if not link:
        return None
    domain = urlsplit(link).hostname or link
    if stored is not None and stored.url == link and stored.status == LinkPreview.Status.OK:
        return LinkCard(link, stored.title or link, stored.site_name or domain, stored.image_url)
    return LinkCard(link, link, domain, "")


@dataclass(frozen=True)
class NetworkPreview:
    network: str
    label: str
    disclosure: str
    text: str
    shown: str
    folded: bool
    length: int
    limit: int | None

    @property
    def over(self) -> bool:
        return self.limit is not None and self.length > self.limit


def network_previews(
    *, name: str, texts: dict[str, str], rules: ComplianceRules, link: str, stored: LinkPreview | None
) -> dict[str, Any]:
    """The context of ``includes/network_preview.html``. ``texts`` maps a network to the text typed for it."""
    previews = []
    for network in PREVIEW_NETWORKS:
        text = final_text(rules=rules, network=network, text=texts.get(network, ""), link=link)
        shown, folded = linkedin_fold(text) if network == Network.LINKEDIN else (text, False)
        previews.append(
            NetworkPreview(
                network=network.value,
                label=str(network.label),
                disclosure=disclosure_for(rules=rules, network=network),
                text=text,
                shown=shown,
                folded=folded,
                length=network_length(network, text),
                limit=LIMITS[network],
            )
        )
    return {
        "name": name,
        "initials": initials(name),
        "link": link,
        "card": link_card(link, stored),
        "previews": previews,
        "fold_lines": LINKEDIN_FOLD_LINES,
        "fold_chars": LINKEDIN_FOLD_CHARS,
    }
