"""Content-Security-Policy and Permissions-Policy on every kind of response: pages, the API and its docs, error
pages, the sandbox's pages; and no template that needs an inline script, handler or style attribute."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from advocacy.tenancy import organization_scope
from ambassadors.sandbox import registry
from tests.content.factories import TopicFactory

pytestmark = pytest.mark.django_db

NONCE = re.compile(r"'nonce-([A-Za-z0-9+/=]+)'")


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = [part.split() for part in header.split(";") if part.strip()]
    return {name: values for name, *values in directives}


def assert_strict(response) -> dict[str, list[str]]:
    directives = policy(response)
    assert directives["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in directives["script-src"]
    assert "'unsafe-inline'" not in directives["style-src"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    permissions = response["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in permissions
    return directives


def inline_nonces(html: str) -> set[str]:
    return set(re.findall(r'<(?:script|style)[^>]*\snonce="([^"]+)"', html))


def test_a_public_page_has_the_policy(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert_strict(response)


def test_an_organisation_page_puts_its_brand_colour_under_the_requests_nonce(client, personas):
    with organization_scope(personas.organization):
        TopicFactory(organization=personas.organization, name="Q3", colour="#aa3300")
    client.force_login(personas.editor)

    first = client.get("/o/acme/content/topics/")
    second = client.get("/o/acme/content/topics/")

    assert first.status_code == 200
    directives = assert_strict(first)
    [nonce] = NONCE.findall(" ".join(directives["style-src"]))
    html = first.content.decode()
    assert inline_nonces(html) == {nonce}
    assert NONCE.findall(" ".join(policy(second)["style-src"])) != [nonce]
    # The topic colour is data for relais.js: no style attribute, which the policy would refuse.
    assert 'data-topic-colour="#aa3300"' in html
    assert " style=" not in html


def test_the_network_sign_in_origins_may_receive_forms(client, settings):
    settings.RELAIS_LINKEDIN_AUTH_URL = "https://www.linkedin.com"
    settings.RELAIS_X_AUTH_URL = "http://127.0.0.1:8123/x"
    directives = policy(client.get("/accounts/login/"))
    assert directives["form-action"] == ["'self'", "https://www.linkedin.com", "http://127.0.0.1:8123"]


def test_an_outsider_gets_the_404_page_with_the_policy(client, personas):
    client.force_login(personas.outsider)
    response = client.get("/o/acme/content/topics/")
    assert response.status_code == 404
    assert_strict(response)


def test_403_and_404_pages_have_the_policy(client, personas):
    client.force_login(personas.ambassador)
    forbidden = client.get("/o/acme/members/")
    missing = client.get("/nowhere/")
    assert (forbidden.status_code, missing.status_code) == (403, 404)
    assert_strict(forbidden)
    assert_strict(missing)


@pytest.mark.urls("tests.advocacy.urls_failing")
def test_the_500_page_has_the_policy_and_its_style_carries_the_nonce():
    response = Client(raise_request_exception=False).get("/failing/")
    assert response.status_code == 500
    directives = assert_strict(response)
    [nonce] = NONCE.findall(" ".join(directives["style-src"]))
    assert inline_nonces(response.content.decode()) == {nonce}


def test_api_answers_have_the_policy(client, personas):
    client.force_login(personas.admin)
    listing = client.get("/api/v1/o/acme/programmes/")
    unknown = client.get("/api/v1/nowhere/")
    outsider = Client()
    outsider.force_login(personas.outsider)
    foreign = outsider.get("/api/v1/o/acme/programmes/")
    assert (listing.status_code, unknown.status_code, foreign.status_code) == (200, 404, 404)
    for response in (listing, unknown, foreign):
        assert_strict(response)


def test_the_api_docs_load_their_init_script_as_a_file(client):
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    directives = assert_strict(page)
    html = page.content.decode()
    assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", html), "an inline script on the API docs page"
    [nonce] = NONCE.findall(" ".join(directives["style-src"]))
    assert inline_nonces(html) == {nonce}
    script = client.get("/api/v1/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


@pytest.fixture
def fresh_registry(monkeypatch):
    monkeypatch.setattr(registry, "_networks", {})


@pytest.mark.parametrize(
    "path",
    [
        "/sandbox/linkedin/_sandbox/",
        "/sandbox/x/_sandbox/",
        "/sandbox/linkedin/oauth/v2/authorization?response_type=code&client_id=nobody&redirect_uri=http://x.test/",
        "/sandbox/x/i/oauth2/authorize?response_type=code&client_id=nobody&redirect_uri=http://x.test/",
    ],
)
def test_the_sandbox_pages_bring_a_policy_without_scripts_and_only_their_hashed_style(
    path, settings, fresh_registry, personas
):
    settings.RELAIS_SANDBOX_NETWORKS = True
    signed_in = Client()
    signed_in.force_login(personas.ambassador)
    response = signed_in.get(path)
    assert response["Content-Type"].startswith("text/html")
    directives = policy(response)
    assert directives["default-src"] == ["'none'"]
    assert "script-src" not in directives
    [style_source] = directives["style-src"]
    assert style_source.startswith("'sha256-") or style_source == "'none'"
    html = response.content.decode()
    assert "<script" not in html
    assert " style=" not in html
    assert "Permissions-Policy" in response


TEMPLATE_DIRS = [Path(settings.BASE_DIR) / "templates"]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.IGNORECASE)
HANDLER_ATTRIBUTE = re.compile(r"<[^>]*\s(?:on[a-z]+|hx-on[:\-a-z]*)\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE)
STYLE_WITHOUT_NONCE = re.compile(r"<style(?![^>]*\snonce=)[^>]*>", re.IGNORECASE)


def _templates():
    """The templates of pages. E-mails are left out: no Content-Security-Policy reaches a mail client, and mail clients
    read styles from ``style`` attributes (many drop ``<style>`` elements)."""
    for directory in TEMPLATE_DIRS:
        yield from sorted(
            path for path in directory.rglob("*.html") if "emails" not in path.relative_to(directory).parts
        )


@pytest.mark.parametrize("path", list(_templates()), ids=lambda path: str(path.relative_to(settings.BASE_DIR)))
def test_no_template_needs_an_inline_script_handler_or_style_attribute(path):
    text = path.read_text()
    assert not INLINE_SCRIPT.search(text), "inline <script>: move it to static/js/"
    assert not HANDLER_ATTRIBUTE.search(text), "an on…= or hx-on attribute: bind the handler from static/js/"
    assert not STYLE_ATTRIBUTE.search(text), 'a style="…" attribute: use a class, or set it from static/js/'
    assert not STYLE_WITHOUT_NONCE.search(text), '<style> without nonce="{{ CSP_NONCE }}"'
    assert "javascript:" not in text.lower()
