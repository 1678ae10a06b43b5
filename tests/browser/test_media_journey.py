"""Uploaded images display in a real browser: the editor uploads one, the post page and the library show it (the
browser decoded it), and a member of another organisation cannot load it."""

import re

import pytest

from tests.browser.test_journeys import sign_in
from tests.factories import DEFAULT_PASSWORD
from tests.images import png

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _decoded_width(page, selector: str) -> int:
    image = page.locator(selector).first
    image.wait_for()
    # A lazy image may still be on its way when the page has loaded: wait for it to load or fail.
    return int(
        image.evaluate(
            """img => img.complete ? img.naturalWidth : new Promise(done => {
                img.addEventListener("load", () => done(img.naturalWidth));
                img.addEventListener("error", () => done(0));
            })"""
        )
    )


def test_an_uploaded_image_displays_for_members_only(live_server, page, new_page, personas, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    base = live_server.url
    sign_in(page, base, personas.editor.email, DEFAULT_PASSWORD)
    page.wait_for_url(re.compile(r"/($|\?)"))

    page.goto(f"{base}/o/acme/content/new/")
    page.get_by_label("Title").fill("Plant opening")
    page.locator("#variants-linkedin textarea").first.fill("Our new plant opens today.")
    page.locator("input[name=image]").set_input_files(
        {"name": "plant.png", "mimeType": "image/png", "buffer": png((40, 30))}
    )
    page.get_by_role("button", name="Save the post").click()
    page.wait_for_url(re.compile(r"/o/acme/content/\d+/$"))

    assert _decoded_width(page, "img.post-image") == 40
    source = page.locator("img.post-image").first.get_attribute("src")
    assert source and source.startswith("/o/acme/media/posts/")

    page.goto(f"{base}/o/acme/content/")
    assert _decoded_width(page, "img.post-thumb") == 40

    outsider = new_page()
    sign_in(outsider, base, personas.outsider.email, DEFAULT_PASSWORD)
    outsider.wait_for_url(re.compile(r"/($|\?)"))
    assert outsider.goto(f"{base}{source}").status == 404
