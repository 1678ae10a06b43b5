"""How much of a share's text is copied: the "parrot" measure of the composer.

A text is cut into word shingles (every run of ``SHINGLE_WORDS`` consecutive words, after folding case, accents and
apostrophes, links left out). Its score against one source is the share of its shingles found in that source
(containment, 0 to 1): 1 for a copy, still high for the same sentences reordered, low for a translation. Words of
the text that no copied shingle covers are the member's own. A text is a parrot when its closest source scores at
least ``PARROT_THRESHOLD`` and it has fewer than ``OWN_SENTENCE_WORDS`` words of its own: one personal sentence
clears it whatever the length of the suggestion. The disclosure the charter adds counts neither way.

Written here rather than taken from a library: the measure is a few set operations on words, and the composer needs
the covered words, which MinHash-style libraries estimate away.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from content.text import URL_RE

SHINGLE_WORDS = 3
PARROT_THRESHOLD = 0.8
OWN_SENTENCE_WORDS = 10

_WORD = re.compile(r"\w+(?:'\w+)*")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u2032": "'", "\uff07": "'"})

Shingle = tuple[str, ...]


def words(text: str) -> list[str]:
    """The words of ``text``, folded (case, accents, apostrophes), links left out."""
    text = URL_RE.sub(" ", text or "").translate(_APOSTROPHES)
    folded = "".join(part for part in unicodedata.normalize("NFKD", text) if not unicodedata.combining(part))
    return _WORD.findall(folded.casefold())


def shingles(tokens: Sequence[str]) -> set[Shingle]:
    """Every run of ``SHINGLE_WORDS`` words; a shorter text is one shingle of all its words."""
    if len(tokens) < SHINGLE_WORDS:
        return {tuple(tokens)} if tokens else set()
    return {tuple(tokens[index : index + SHINGLE_WORDS]) for index in range(len(tokens) - SHINGLE_WORDS + 1)}


@dataclass(frozen=True)
class Source:
    """A text a share may copy: a suggested variant or a colleague's share (``kind``), ``ref`` its id."""

    kind: str
    text: str
    ref: int | None = None


@dataclass(frozen=True)
class Similarity:
    """``score`` against the closest source (0 when there is none), the member's own words, and the verdict."""

    score: float
    own_words: int
    total_words: int
    closest: Source | None

    @property
    def is_parrot(self) -> bool:
        return self.score >= PARROT_THRESHOLD and self.own_words < OWN_SENTENCE_WORDS

    @property
    def percent(self) -> int:
        return round(self.score * 100)


def _own_words(tokens: Sequence[str], copied: set[Shingle], ignored: set[Shingle]) -> int:
    """Words that no copied (or ignored) shingle covers."""
    if len(tokens) < SHINGLE_WORDS:
        key = tuple(tokens)
        return 0 if key in copied or key in ignored else len(tokens)
    covered = [False] * len(tokens)
    for index in range(len(tokens) - SHINGLE_WORDS + 1):
        shingle = tuple(tokens[index : index + SHINGLE_WORDS])
        if shingle in copied or shingle in ignored:
            for offset in range(SHINGLE_WORDS):
                covered[index + offset] = True
    return covered.count(False)


def similarity(text: str, sources: Iterable[Source], *, ignore: Iterable[str] = ()) -> Similarity:
    """How much of ``text`` its closest source holds. ``ignore``: texts whose words count neither way (the
    disclosures), so a colleague's share, which carries them, is not closer for it."""
    tokens = words(text)
    ignored: set[Shingle] = set()
    for phrase in ignore:
        ignored |= shingles(words(phrase))
    mine = shingles(tokens) - ignored
    best: tuple[float, Source | None, set[Shingle]] = (0.0, None, set())
    if mine:
        for source in sources:
            common = mine & shingles(words(source.text))
            score = len(common) / len(mine)
            if score > best[0]:
                best = (score, source, common)
    score, closest, common = best
    own = _own_words(tokens, common, ignored)
    return Similarity(score=score, own_words=own, total_words=len(tokens), closest=closest)


def own_words(text: str, sources: Iterable[Source], *, ignore: Iterable[str] = ()) -> int:
    """Words of ``text`` that are in none of ``sources`` (the minimum an organisation may require): every source's
    copied shingles count, not only the closest one's."""
    tokens = words(text)
    ignored: set[Shingle] = set()
    for phrase in ignore:
        ignored |= shingles(words(phrase))
    everywhere: set[Shingle] = set()
    for source in sources:
        everywhere |= shingles(words(source.text))
    return _own_words(tokens, shingles(tokens) & everywhere, ignored)
