"""The LinkedIn and X previews: the text that goes out (the publisher's rule), LinkedIn's fold, the server's first
render on the post editor and the composer, the browser's code agreeing with the server, and the outsider's 404."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.test import Client

from advocacy.tenancy import organization_scope
from ambassadors.services.shares import _final_text
from charter.compliance import rules_save
from charter.models import ComplianceRules
from content.models import LinkPreview
from content.network_preview import final_text, initials, linkedin_fold
from content.text import network_length
from tests.ambassadors.test_shares import accept_charter, live_post
from tests.conftest import org_url

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = [ROOT / "static" / "vendor" / "twitter-text-3.1.0.min.js", ROOT / "static" / "js" / "counter.js"]
PREVIEW_JS = ROOT / "static" / "js" / "preview.js"
LINK = "https://news.example.test/q3"
RULES = ComplianceRules(disclosure_linkedin="#Employé·e de Relais", disclosure_x="#ad")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- The rules -------------------------------------------------------------------------------------------------------


def test_the_disclosure_follows_the_text_after_a_blank_line_unless_the_text_carries_it():
    assert final_text(rules=RULES, network="linkedin", text="  Line one\nLine two \n", link=LINK) == (
        "Line one\nLine two\n\n#Employé·e de Relais"
    )
    assert final_text(rules=RULES, network="linkedin", text="Fier ! #EMPLOYE·E de relais", link="") == (
        "Fier ! #EMPLOYE·E de relais"
    )
    assert final_text(rules=RULES, network="linkedin", text=" \n ", link=LINK) == ""


def test_x_receives_the_link_its_client_appends():
    assert final_text(rules=RULES, network="x", text="Read it", link=LINK) == f"Read it\n\n#ad {LINK}"
    assert final_text(rules=RULES, network="x", text=f"Read {LINK} #ad", link=LINK) == f"Read {LINK} #ad"


def test_linkedin_folds_after_three_lines_or_210_characters():
    assert linkedin_fold("one\ntwo\nthree") == ("one\ntwo\nthree", False)
    assert linkedin_fold("one\ntwo\n\nfour") == ("one\ntwo", True)
    assert linkedin_fold("a" * 210) == ("a" * 210, False)
    assert linkedin_fold("word " * 50) == ("word " * 41 + "word", True)
    assert initials("Camille  Martin Durand") == "CM" and initials("") == ""


# --- The server's first render ---------------------------------------------------------------------------------------


@pytest.fixture
def world(personas):
    with organization_scope(personas.organization):
        rules_save(
            organization=personas.organization, by=personas.admin, disclosure_x="#ad", disclosure_linkedin="#job"
        )
        accept_charter(personas, personas.ambassador)
        post = live_post(personas, link=LINK)
        post.link_preview = LinkPreview.objects.create(
            organization=personas.organization,
            url=LINK,
            url_hash="q3",
            status=LinkPreview.Status.OK,
            title="Q3 in figures",
            site_name="Relais News",
            image_url="https://news.example.test/q3.png",
        )
        post.save(update_fields=["link_preview"])
    personas.ambassador.full_name = "Manon Simon"
    personas.ambassador.save(update_fields=["full_name"])
    return {"post": post}


def _previews(body: str) -> dict[str, str]:
    parts = body.split('data-preview-network="')[1:]
    return {part.split('"', 1)[0]: part for part in parts}


def test_the_composer_shows_both_networks_as_the_member_will_publish(personas, world):
    url = org_url("composer", personas, world["post"].pk) + "?network=linkedin"

    body = _client(personas.ambassador).get(url).content.decode()

    previews = _previews(body)
    assert set(previews) == {"linkedin", "x"}
    assert "Manon Simon" in previews["linkedin"] and ">MS<" in previews["linkedin"]
    assert "Our Q3 report is out: proud of the team.\n\n#job</span>" in previews["linkedin"]
    assert f"Our Q3 report is out: proud of the team.\n\n#ad {LINK}</span>" in previews["x"]
    for part in previews.values():
        assert 'src="https://news.example.test/q3.png"' in part
        assert "Q3 in figures" in part and "Relais News" in part
        assert "text-bg-light" in part and "data-preview-over hidden" in part
    assert 'src="/static/js/preview.js" defer' in body


def test_the_composer_sent_back_flags_a_text_too_long_for_x(personas, world):
    data = {"network": "x", "text": "line one\nline two\n" + "word " * 60, "when": "now"}

    response = _client(personas.ambassador).post(org_url("composer", personas, world["post"].pk), data)

    previews = _previews(response.content.decode())
    assert "text-bg-danger" in previews["x"] and "data-preview-over hidden" not in previews["x"]
    assert "Too long for X, which takes 280 characters" in previews["x"]
    # The same text fits LinkedIn, which folds it.
    assert "data-preview-over hidden" in previews["linkedin"] and "data-preview-more hidden" not in previews["linkedin"]


def test_the_editor_previews_the_first_text_of_each_network_with_the_editors_name(personas, world):
    personas.editor.full_name = "Camille Martin"
    personas.editor.save(update_fields=["full_name"])

    body = _client(personas.editor).get(org_url("post_edit", personas, world["post"].pk)).content.decode()

    previews = _previews(body)
    assert "Camille Martin" in previews["x"] and ">CM<" in previews["x"]
    assert f"Q3 report is out!\n\n#ad {LINK}</span>" in previews["x"]
    assert "Our Q3 report is out: proud of the team.\n\n#job</span>" in previews["linkedin"]
    assert 'data-texts="textarea[data-network]"' in body and 'data-link-input="#id_link"' in body


def test_the_editor_of_a_new_post_shows_an_empty_preview(personas):
    body = _client(personas.editor).get(org_url("post_create", personas)).content.decode()

    previews = _previews(body)
    assert "Your text shows here as you type it." in previews["linkedin"]
    assert "data-preview-empty hidden" not in previews["linkedin"] and "data-preview-card hidden" in previews["x"]


def test_the_previews_speak_the_members_language(personas, world):
    personas.ambassador.language = "fr"
    personas.ambassador.save(update_fields=["language"])
    data = {"network": "x", "text": "une ligne\n" * 4 + "mot " * 70, "when": "now"}

    body = _client(personas.ambassador).post(org_url("composer", personas, world["post"].pk), data).content.decode()

    assert "Aperçu sur LinkedIn" in body and "…voir plus" in body and "À l’instant" in body
    assert "Trop long pour X, qui accepte 280 caractères : raccourcissez le texte." in body


def test_the_outsider_gets_404_on_both_pages(personas, world):
    client = _client(personas.outsider)
    for url in [
        org_url("composer", personas, world["post"].pk),
        org_url("post_edit", personas, world["post"].pk),
    ]:
        assert client.get(url).status_code == 404


def test_the_preview_says_what_the_share_will_store(personas, world):
    """The preview's rule is the publisher's: the stored share's text is the LinkedIn preview's."""
    member = personas.membership(personas.ambassador)
    with organization_scope(personas.organization):
        stored = _final_text(membership=member, post=world["post"], network="linkedin", text=" Mine \n")
        rules = ComplianceRules.objects.get(organization=personas.organization, programme=None)
    assert stored == final_text(rules=rules, network="linkedin", text=" Mine \n", link=LINK) == "Mine\n\n#job"


# --- The browser's code agrees ---------------------------------------------------------------------------------------

BROWSER_SAMPLES = [
    ("linkedin", "Proud of the team!", ""),
    ("linkedin", "  Line one\n\nLine three\nLine four  \n", LINK),
    ("linkedin", "Fier d’être #employé·e DE RELAIS", ""),
    ("linkedin", "Fier d'etre #EMPLOYEE de Relais", ""),
    ("linkedin", "Straße ΟΔΟΣ 👩🏽‍💻 " * 30, ""),
    ("linkedin", "word " * 60, LINK),
    ("linkedin", "\n\n", ""),
    ("x", "Read it", LINK),
    ("x", f"Read {LINK} #AD", LINK),
    ("x", "日本語 🇫🇷 e\u0301te\u0301 #ad", ""),
    ("x", "x " * 150, LINK),
]


def _browser(samples):
    script = (
        "const vm = require('vm'); const fs = require('fs');"
        "global.window = globalThis; global.document = {readyState: 'complete', querySelectorAll: () => []};"
        + "".join(f"vm.runInThisContext(fs.readFileSync({json.dumps(str(path))}, 'utf8'));" for path in SCRIPTS)
        + f"vm.runInThisContext(fs.readFileSync({json.dumps(str(PREVIEW_JS))}, 'utf8'));"
        "const samples = JSON.parse(fs.readFileSync(0, 'utf8'));"
        "console.log(JSON.stringify(samples.map(([network, text, disclosure, link]) => {"
        " const full = window.RelaisPreview.finalText(network, text, disclosure, link);"
        " const fold = window.RelaisPreview.linkedinFold(full, 3, 210);"
        " return [full, fold.shown, fold.folded, window.RelaisCounter.networkLength(network, full)]; })));"
    )
    result = subprocess.run(
        ["node", "-e", script], input=json.dumps(samples), capture_output=True, text=True, check=True, timeout=60
    )
    return [tuple(answer) for answer in json.loads(result.stdout)]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@pytest.mark.parametrize("disclosure", ["#Employé·e de Relais", "#ad", "  ", "Publicité : je travaille chez Relais"])
def test_the_browser_builds_the_same_text_fold_and_length(disclosure):
    rules = ComplianceRules(disclosure_linkedin=disclosure, disclosure_x=disclosure)
    server = []
    for network, text, link in BROWSER_SAMPLES:
        full = final_text(rules=rules, network=network, text=text, link=link)
        server.append((full, *linkedin_fold(full), network_length(network, full)))

    browser = _browser([[network, text, disclosure.strip(), link] for network, text, link in BROWSER_SAMPLES])

    assert browser == server
