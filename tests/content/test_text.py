"""Network text limits: the Python counter, and the browser counter (static/js/counter.js) agreeing with it."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from content.text import LIMITS, linkedin_length, validate_variant_text, x_weighted_length

# The samples in the comment block of static/js/counter.js: (text, X weighted length, LinkedIn length).
SHARED_SAMPLES = [
    ("Hello world", 11, 11),
    ("Read https://example.com/q3?x=1 now.", 33, 36),
    ("日本語 👨‍👩‍👧‍👦 🇫🇷", 12, 14),
    ("see example.com and t.co/abc, not example.fr", 71, 44),
]
COUNTER_JS = Path(__file__).resolve().parents[2] / "static" / "js" / "counter.js"
URLS = st.sampled_from(
    ["https://example.com", "http://example.org/a/b?c=d", "https://www.relais.example/x", "example.com/page"]
)


@pytest.mark.parametrize(("text", "x_length", "linkedin"), SHARED_SAMPLES)
def test_shared_samples(text, x_length, linkedin):
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
        ("example.fr alone is text", 24),
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
    script = (
        "global.window = {}; global.document = {readyState: 'complete', querySelectorAll: () => []};"
        f"require({json.dumps(str(COUNTER_JS))});"
        "const texts = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "console.log(JSON.stringify(texts.map(t => [window.RelaisCounter.networkLength('x', t),"
        " window.RelaisCounter.networkLength('linkedin', t)])));"
    )
    result = subprocess.run(
        ["node", "-e", script], input=json.dumps(texts), capture_output=True, text=True, check=True, timeout=30
    )
    return [tuple(pair) for pair in json.loads(result.stdout)]


needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")


@needs_node
def test_the_browser_counter_agrees_on_the_shared_samples():
    assert _node_counts([text for text, *_ in SHARED_SAMPLES]) == [(x, li) for _, x, li in SHARED_SAMPLES]


@needs_node
@hypothesis_settings(max_examples=10, deadline=None)
@given(
    st.lists(
        st.one_of(
            URLS,
            st.text(max_size=30),
            st.sampled_from(["👨‍👩‍👧‍👦", "👍🏽", "🇫🇷", "1️⃣", "日本", "“”", "example.fr", "t.co/x", "a@b.com"]),
        ),
        max_size=40,
    ).map(lambda parts: [" ".join(parts[: index + 1]) for index in range(len(parts))] or [""])
)
def test_the_browser_counter_agrees_with_python(texts):
    assert _node_counts(texts) == [(x_weighted_length(text), linkedin_length(text)) for text in texts]
