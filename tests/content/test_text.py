"""Network text limits: the server's counter (twitter-text-parser), and the browser's (static/js/counter.js with the
official twitter-text) agreeing with it and with X's own figures."""

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from content.text import LIMITS, linkedin_length, validate_variant_text, x_weighted_length

# Counts of the official twitter-text 3.1.0 (JavaScript): (text, X weighted length, LinkedIn length).
OFFICIAL_SAMPLES = [
    ("Hello world", 11, 11),
    ("Read https://example.com/q3?x=1 now.", 33, 36),
    ("日本語 👨‍👩‍👧‍👦 🇫🇷", 12, 14),
    ("see example.com and t.co/abc, not example.fr", 84, 44),
    # Internationalised domain names and top-level domains outside any short list are URLs too.
    ("https://exämple.com", 23, 19),
    ("foo.bar", 23, 7),
    ("visit café.fr/menu", 29, 18),
    ("relais.museum and shop.bar", 51, 26),
    # A bare © or ® is a text symbol, not an emoji.
    ("© 2026 Relais®", 14, 14),
]
ROOT = Path(__file__).resolve().parents[2]
TWITTER_TEXT_JS = ROOT / "static" / "vendor" / "twitter-text-3.1.0.min.js"
COUNTER_JS = ROOT / "static" / "js" / "counter.js"
URLS = st.sampled_from(
    ["https://example.com", "http://example.org/a/b?c=d", "https://www.relais.fr/x", "example.com/page"]
)


@pytest.mark.parametrize(("text", "x_length", "linkedin"), OFFICIAL_SAMPLES)
def test_official_samples(text, x_length, linkedin):
    assert x_weighted_length(text) == x_length
    assert linkedin_length(text) == linkedin


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("👍", 2),
        ("👍🏽", 2),
        ("1️⃣", 2),
        ("🇫🇷", 2),
        ("e\u0301", 1),  # NFC makes it one é
        ("“quoted” — ok…", 15),  # the ellipsis U+2026 is past U+201F: 2
        ("mail me@example.com", 19),
        ("#tag @handle", 12),
        ("example.fr alone is text", 37),
        ("http://example.com:8080/x, then", 29),
    ],
)
def test_x_weights(text, expected):
    assert x_weighted_length(text) == expected


@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=200))
def test_ascii_without_urls_counts_one_per_character(text):
    text = text.replace(".", " ").replace("/", " ")
    assert x_weighted_length(text) == len(text)


@given(st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=1, max_size=200))
def test_cjk_counts_two(text):
    assert x_weighted_length(text) == 2 * len(text)


@given(st.lists(URLS, min_size=1, max_size=8), st.text(alphabet="abc ", max_size=10))
def test_every_url_counts_23(urls, padding):
    text = " ".join(f"{padding} {url} " for url in urls)
    plain = " ".join(f"{padding} {'x' * 0} " for _ in urls)
    assert x_weighted_length(text) == x_weighted_length(plain) + 23 * len(urls)


def test_validation_messages():
    with translation.override("en"):
        assert validate_variant_text("x", "a" * 280) == []
        assert validate_variant_text("x", "a" * 297) == ["X allows 280 characters; this variant has 297."]
        assert validate_variant_text("x", "https://example.com/" + "a" * 3000) == []
        assert validate_variant_text("x", "https://example.com/" + "a" * 3000 + " " + "b" * 256) == []
        assert validate_variant_text("x", "https://example.com/" + "a" * 3000 + " " + "b" * 257) != []
        assert validate_variant_text("linkedin", "a" * 3000) == []
        assert validate_variant_text("linkedin", "a" * 3001) == [
            "LinkedIn allows 3000 characters; this variant has 3001."
        ]
        assert validate_variant_text("generic", "a" * 10_000) == []
        assert validate_variant_text("x", "  ") == ["The text of a variant cannot be empty."]
        assert LIMITS == {"x": 280, "linkedin": 3000, "generic": None}


def test_validation_messages_are_translated():
    with translation.override("fr"):
        assert validate_variant_text("x", "a" * 297) == ["X autorise 280 caractères ; cette variante en compte 297."]


def _node_counts(texts):
    """What static/js/counter.js answers, run by node with the vendored twitter-text loaded first, as the pages do."""
    script = (
        "const vm = require('vm'); const fs = require('fs');"
        "global.window = globalThis; global.document = {readyState: 'complete', querySelectorAll: () => []};"
        f"vm.runInThisContext(fs.readFileSync({json.dumps(str(TWITTER_TEXT_JS))}, 'utf8'));"
        f"vm.runInThisContext(fs.readFileSync({json.dumps(str(COUNTER_JS))}, 'utf8'));"
        "const texts = JSON.parse(fs.readFileSync(0, 'utf8'));"
        "console.log(JSON.stringify(texts.map(t => [window.RelaisCounter.networkLength('x', t),"
        " window.RelaisCounter.networkLength('linkedin', t)])));"
    )
    result = subprocess.run(
        ["node", "-e", script], input=json.dumps(texts), capture_output=True, text=True, check=True, timeout=60
    )
    return [tuple(pair) for pair in json.loads(result.stdout)]


needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")

CORPUS_PIECES = [
    # Latin with accents (composed and not), CJK, Arabic, Hebrew, Devanagari, Cyrillic, Thai, Korean.
    "Bonjour",
    "équipe",
    "e\u0301te\u0301",
    "日本語",
    "中文字",
    "مرحبا",
    "שלום",
    "नमस्ते",
    "Привет",
    "สวัสดี",
    "안녕",
    # Punctuation around the weight boundaries.
    "“quoted”",
    "—",
    "…",
    "‰",
    "′″",
    "·",
    "€",
    "\u00a0",
    # Emoji sequences: ZWJ families and professions, skin tones, flags, keycaps, tags, text-presentation symbols.
    "👨‍👩‍👧‍👦",
    "👩🏽‍💻",
    "👍🏿",
    "🇫🇷",
    "🇯🇵",
    "1️⃣",
    "#️⃣",
    "🏴󠁧󠁢󠁳󠁣󠁴󠁿",
    "❤️",
    "☺",
    "©️",
    "™",
    "🫶",
    # URLs: with and without a scheme, internationalised domains, every kind of top-level domain, ports, paths.
    "https://example.com",
    "http://example.org/a/b?c=d",
    "example.com/page",
    "t.co/abc",
    "example.fr",
    "www.example.fr",
    "foo.bar",
    "relais.museum",
    "shop.bar/x",
    "https://exämple.com",
    "https://例え.テスト/パス",
    "https://xn--exmple-cua.com/a",
    "münchen.de",
    "http://localhost:8000/x",
    "https://example.com:8080/x?y=1#z",
    "ftp://example.com",
    "a.b",
    "example.co.uk/path",
    "https://sub.domain.example.travel/",
    "mail@example.com",
    "© Acme",
    "Relais®",
    "@handle",
    "#hashtag",
    "$CASH",
    "e.g.",
    "3.14",
    "...",
]


def _corpus(size: int, seed: int) -> list[str]:
    """Seeded captions of 1 to 25 pieces, each followed by a space, a new line or punctuation, as people write."""
    rng = random.Random(seed)
    joints = [" ", " ", "\n", ", ", ". ", " (", ") ", " / ", " — ", "! "]
    texts = []
    for _ in range(size):
        pieces = rng.choices(CORPUS_PIECES, k=rng.randint(1, 25))
        texts.append("".join(piece + rng.choice(joints) for piece in pieces))
    return texts


@needs_node
def test_the_browser_counter_agrees_on_the_official_samples():
    assert _node_counts([text for text, *_ in OFFICIAL_SAMPLES]) == [(x, li) for _, x, li in OFFICIAL_SAMPLES]


@needs_node
def test_server_and_browser_count_3000_generated_captions_alike():
    texts = _corpus(3000, seed=19)
    browser = _node_counts(texts)
    server = [(x_weighted_length(text), linkedin_length(text)) for text in texts]
    differences = [(text, b, s) for text, b, s in zip(texts, browser, server, strict=True) if b != s]
    assert differences == []


@needs_node
@hypothesis_settings(max_examples=10, deadline=None)
@given(
    st.lists(
        # Free text without URL punctuation: it would make domains no caption has ("שe.om"), on which the Python
        # port and the official library part ways.
        st.one_of(
            URLS,
            st.text(alphabet=st.characters(exclude_characters="./:@#$"), max_size=30),
            st.sampled_from(CORPUS_PIECES),
        ),
        max_size=40,
    ).map(lambda parts: [" ".join(parts[: index + 1]) for index in range(len(parts))] or [""])
)
def test_the_browser_counter_agrees_with_python(texts):
    assert _node_counts(texts) == [(x_weighted_length(text), linkedin_length(text)) for text in texts]
