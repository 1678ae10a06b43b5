"""The post editor and the post page: variants per network, field errors that keep what was typed, images, dates
in the organisation's time zone, stale edits, the link preview card, escaping (W6) and who may open what."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from advocacy.roles import Role
from advocacy.tenancy import organization_scope
from content import services
from content.models import LinkPreview, Post
from content.services import VariantInput
from tests.conftest import org_url
from tests.images import animated_gif, png

pytestmark = pytest.mark.django_db

PNG = png()
GIF = animated_gif()


def _management(network: str, total: int) -> dict[str, str]:
    return {f"{network}-TOTAL_FORMS": str(total), f"{network}-INITIAL_FORMS": "0"}


def editor_data(**overrides) -> dict:
    """A complete editor submission: 2 LinkedIn texts, 1 X text, no generic one."""
    data = {
        "title": "Our new plant opens",
        "link": "https://news.example.com/plant",
        "note": "Share it with your network.",
        "languages": ["fr", "en"],
        "publish_at": "2030-03-10T09:00",
        "expires_at": "2030-04-10T09:00",
        "editable_by_ambassadors": "on",
        **_management("linkedin", 2),
        "linkedin-0-text": "LinkedIn text one",
        "linkedin-1-text": "LinkedIn text two",
        **_management("x", 1),
        "x-0-text": "Short X text",
        **_management("generic", 1),
        "generic-0-text": "",
    }
    data.update(overrides)
    return data


def make_post(personas, **fields) -> Post:
    with organization_scope(personas.organization):
        variants = fields.pop("variants", [VariantInput(network="linkedin", text="Hello LinkedIn")])
        return services.post_create(
            organization=personas.organization,
            author=personas.editor,
            title=fields.pop("title", "A post"),
            variants=variants,
            **fields,
        )


@pytest.fixture
def editor_client(client, personas):
    client.force_login(personas.editor)
    return client


# --- Creating ---------------------------------------------------------------------------------------------------


def test_an_editor_creates_a_post_with_two_linkedin_texts_and_one_x_text(editor_client, personas):
    response = editor_client.post(org_url("post_create", personas), editor_data())

    assert response.status_code == 302, response.content.decode()[:2000]
    with organization_scope(personas.organization):
        post = Post.objects.get(title="Our new plant opens")
        texts = [(v.network, v.text) for v in post.variants.order_by("network", "position", "pk")]
        assert texts == [("linkedin", "LinkedIn text one"), ("linkedin", "LinkedIn text two"), ("x", "Short X text")]
        assert post.author == personas.editor
        assert sorted(post.languages) == ["en", "fr"]
        assert post.editable_by_ambassadors and not post.featured
    assert response["Location"] == org_url("post_detail", personas, post.pk)


def test_dates_are_typed_in_the_organisations_time_zone(editor_client, personas):
    personas.organization.time_zone = "Europe/Paris"
    personas.organization.save()
    editor_client.post(org_url("post_create", personas), editor_data())
    with organization_scope(personas.organization):
        post = Post.objects.get(title="Our new plant opens")
    assert post.publish_at == dt.datetime(2030, 3, 10, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))
    page = editor_client.get(org_url("post_edit", personas, post.pk)).content.decode()
    assert 'value="2030-03-10T09:00"' in page


def test_a_post_can_be_kept_confidential_until_a_date(editor_client, personas):
    personas.organization.time_zone = "Europe/Paris"
    personas.organization.save()
    editor_client.post(org_url("post_create", personas), editor_data(confidential_until="2030-03-09T18:00"))
    with organization_scope(personas.organization):
        post = Post.objects.get(title="Our new plant opens")
    assert post.confidential_until == dt.datetime(2030, 3, 9, 18, 0, tzinfo=ZoneInfo("Europe/Paris"))
    page = editor_client.get(org_url("post_detail", personas, post.pk)).content.decode()
    assert "Confidential until" in page


def test_an_x_text_over_280_characters_is_refused_by_name_and_everything_typed_is_kept(editor_client, personas):
    long_text = "word " * 59 + "toolong"  # 302 characters
    response = editor_client.post(
        org_url("post_create", personas),
        editor_data(**_management("x", 2), **{"x-0-text": "Fine", "x-1-text": long_text}),
    )

    assert response.status_code == 400
    body = response.content.decode()
    assert "X variant 2: X allows 280 characters; this variant has 302." in body
    for typed in (
        "Our new plant opens",
        "https://news.example.com/plant",
        "Share it with your network.",
        "LinkedIn text one",
        "LinkedIn text two",
        "Fine",
        long_text.strip(),
        "2030-03-10T09:00",
    ):
        assert typed in body, typed
    assert 'value="fr" id="id_languages_0" checked' in body or re.search(r'value="fr"[^>]*checked', body)
    with organization_scope(personas.organization):
        assert not Post.objects.exists()


def test_every_textarea_carries_its_network_and_limit_for_the_live_counter(editor_client, personas):
    body = editor_client.get(org_url("post_create", personas)).content.decode()
    assert re.search(r'<textarea[^>]*data-network="x"[^>]*data-limit="280"', body)
    assert re.search(r'<textarea[^>]*data-network="linkedin"[^>]*data-limit="3000"', body)
    assert "data-over-message" in body and "js/counter.js" in body


def test_adding_a_variant_without_javascript_saves_nothing_and_keeps_what_was_typed(editor_client, personas):
    response = editor_client.post(org_url("post_create", personas), editor_data(add_variant="x"))

    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="x-1-text"' in body and "Short X text" in body and "Our new plant opens" in body
    assert 'name="x-TOTAL_FORMS" value="2"' in body
    with organization_scope(personas.organization):
        assert not Post.objects.exists()


def test_expiry_before_publish_is_a_field_error(editor_client, personas):
    response = editor_client.post(org_url("post_create", personas), editor_data(expires_at="2030-03-01T09:00"))
    assert response.status_code == 400
    assert "The expiry must come after the publish date." in response.content.decode()


@pytest.mark.parametrize("link", ["ftp://files.example.com/a", "javascript:alert(1)", "not a link"])
def test_a_link_that_is_not_http_is_a_field_error(editor_client, personas, link):
    response = editor_client.post(org_url("post_create", personas), editor_data(link=link))
    assert response.status_code == 400
    assert "Enter a" in response.content.decode()
    assert "LinkedIn text one" in response.content.decode()


def test_an_image_is_checked_by_its_content(editor_client, personas):
    fake = SimpleUploadedFile("photo.png", b"<html>not an image</html>", content_type="image/png")
    response = editor_client.post(org_url("post_create", personas), {**editor_data(), "image": fake})
    assert response.status_code == 400
    assert "not a PNG, JPEG, WebP or GIF image" in response.content.decode()
    assert "5.0" in response.content.decode()  # the limit is stated


def test_an_image_over_5_mb_is_refused_with_the_limit(editor_client, personas):
    big = SimpleUploadedFile("big.png", PNG + b"\x00" * (5 * 1024 * 1024), content_type="image/png")
    response = editor_client.post(org_url("post_create", personas), {**editor_data(), "image": big})
    assert response.status_code == 400
    assert "too large" in response.content.decode()


def test_a_gif_is_stored_under_a_name_that_follows_its_content(editor_client, personas):
    gif = SimpleUploadedFile("page.html", GIF, content_type="text/html")
    response = editor_client.post(org_url("post_create", personas), {**editor_data(), "image": gif})
    assert response.status_code == 302
    with organization_scope(personas.organization):
        post = Post.objects.get()
    assert post.image.name.endswith("/image.gif")
    assert post.image.name.startswith(f"org/{personas.organization.pk}/")


# --- Editing --------------------------------------------------------------------------------------------------


def test_the_edit_form_shows_the_post_and_its_revision(editor_client, personas):
    post = make_post(personas, title="Edit me")
    body = editor_client.get(org_url("post_edit", personas, post.pk)).content.decode()
    assert "Edit me" in body and "Hello LinkedIn" in body
    assert f'name="expected_revision" value="{post.revision}"' in body


def test_a_stale_edit_is_refused_with_a_link_to_the_new_revision_and_keeps_what_was_typed(editor_client, personas):
    post = make_post(personas, title="Original")
    opened_at = post.revision
    with organization_scope(personas.organization):
        services.post_update(post=post, by=personas.admin, title="Changed by the admin")
        post.refresh_from_db()

    response = editor_client.post(
        org_url("post_edit", personas, post.pk),
        editor_data(title="My version", expected_revision=str(opened_at)),
    )

    assert response.status_code == 400
    body = response.content.decode()
    assert "My version" in body and "LinkedIn text two" in body
    assert org_url("post_detail", personas, post.pk) in body
    assert f'name="expected_revision" value="{post.revision}"' in body  # saving again is a deliberate overwrite
    with organization_scope(personas.organization):
        post.refresh_from_db()
    assert post.title == "Changed by the admin"


def test_an_edit_saves_and_replaces_the_variants(editor_client, personas):
    post = make_post(personas, title="Original")
    response = editor_client.post(
        org_url("post_edit", personas, post.pk), editor_data(title="Renamed", expected_revision=str(post.revision))
    )
    assert response.status_code == 302
    with organization_scope(personas.organization):
        post.refresh_from_db()
        assert post.title == "Renamed"
        assert post.variants.count() == 3


# --- The post page -----------------------------------------------------------------------------------------------


def test_the_post_page_shows_variants_with_their_counts(editor_client, personas):
    post = make_post(
        personas,
        variants=[VariantInput(network="x", text="Hello X"), VariantInput(network="linkedin", text="Hi LinkedIn")],
    )
    body = editor_client.get(org_url("post_detail", personas, post.pk)).content.decode()
    assert "Hello X" in body and "Hi LinkedIn" in body
    assert "7 of 280 characters" in body
    assert "11 of 3000 characters" in body or "11 of 3,000 characters" in body


def test_titles_and_previews_are_shown_as_text_w6(editor_client, personas):
    post = make_post(personas, title="<script>alert(1)</script>", link="https://news.example.com/x")
    with organization_scope(personas.organization):
        preview = LinkPreview.objects.create(
            organization=personas.organization,
            url=post.link,
            url_hash="w6",
            status=LinkPreview.Status.OK,
            title='<img src=x onerror="alert(2)">',
            description="<b>bold</b>",
        )
        Post.objects.filter(pk=post.pk).update(link_preview=preview)

    for name in ("post_detail", "post_edit"):
        body = editor_client.get(org_url(name, personas, post.pk)).content.decode()
        assert "<script>alert(1)</script>" not in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    body = editor_client.get(org_url("post_detail", personas, post.pk)).content.decode()
    assert "<img src=x onerror" not in body and "&lt;img src=x onerror=" in body
    assert "<b>bold</b>" not in body
    library = editor_client.get(org_url("content_library", personas)).content.decode()
    assert "<script>alert(1)</script>" not in library


def test_the_preview_card_polls_while_pending_and_stops_when_done(editor_client, personas):
    post = make_post(personas, link="https://news.example.com/poll")
    with organization_scope(personas.organization):
        preview = LinkPreview.objects.create(
            organization=personas.organization, url=post.link, url_hash="poll", status=LinkPreview.Status.PENDING
        )
        Post.objects.filter(pk=post.pk).update(link_preview=preview)
    url = org_url("post_preview", personas, post.pk)

    pending = editor_client.get(url, headers={"HX-Request": "true"})
    assert pending.status_code == 200 and 'hx-trigger="every 3s"' in pending.content.decode()

    with organization_scope(personas.organization):
        LinkPreview.objects.filter(pk=preview.pk).update(status=LinkPreview.Status.REFUSED, error="private address")
    refused = editor_client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in refused and "private address" in refused
    assert editor_client.get(url).status_code == 302  # without htmx: the post page


# --- Transitions -----------------------------------------------------------------------------------------------


def test_withdraw_asks_for_confirmation_then_withdraws(editor_client, personas):
    post = make_post(personas)
    with organization_scope(personas.organization):
        Post.objects.filter(pk=post.pk).update(status=Post.Status.APPROVED, approved_revision=post.revision)
    url = org_url("post_withdraw", personas, post.pk)
    assert editor_client.get(url).status_code == 200
    assert editor_client.post(url).status_code == 302
    with organization_scope(personas.organization):
        post.refresh_from_db()
    assert post.status == Post.Status.WITHDRAWN


def test_submit_is_post_only(editor_client, personas):
    post = make_post(personas)
    assert editor_client.get(org_url("post_submit", personas, post.pk)).status_code == 405
    response = editor_client.post(org_url("post_submit", personas, post.pk))
    assert response.status_code == 302


# --- Who may open what ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
@pytest.mark.parametrize("name", ["post_create", "post_edit", "post_detail", "post_withdraw"])
def test_only_admins_and_editors_open_the_editor_and_post_pages(client, personas, role, name):
    post = make_post(personas)
    client.force_login(getattr(personas, role.value))
    args = [] if name == "post_create" else [post.pk]
    response = client.get(org_url(name, personas, *args))
    # An approver may open a post's page, but not a draft's: it answers as a missing post.
    expected = 404 if (role, name) == (Role.APPROVER, "post_detail") else 403
    assert response.status_code == (200 if role in (Role.ADMIN, Role.EDITOR) else expected)


@pytest.mark.parametrize("name", ["post_create", "post_edit", "post_detail", "post_preview", "post_withdraw"])
def test_an_outsider_gets_404_and_an_anonymous_visitor_is_sent_to_sign_in(client, personas, name):
    post = make_post(personas)
    args = [] if name == "post_create" else [post.pk]
    url = org_url(name, personas, *args)
    assert client.get(url).status_code == 302
    client.force_login(personas.outsider)
    assert client.get(url).status_code == 404


def test_a_post_of_another_organisation_is_404_even_to_an_admin(admin_client, personas):
    with organization_scope(personas.other_organization):
        foreign = services.post_create(organization=personas.other_organization, author=None, title="Globex secret")
    assert admin_client.get(org_url("post_detail", personas, foreign.pk)).status_code == 404
    assert admin_client.get(org_url("post_edit", personas, foreign.pk)).status_code == 404


def test_the_current_image_links_to_its_members_only_address(editor_client, personas, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    post = make_post(personas, image=SimpleUploadedFile("plant.png", PNG, content_type="image/png"))

    body = editor_client.get(org_url("post_edit", personas, post.pk)).content.decode()

    # Nothing is served under MEDIA_URL: a link there would lead nowhere.
    assert 'href="/media/' not in body
    address = f"/o/{personas.organization.slug}/media/{post.image.name.split('/', 2)[2]}"
    assert f'href="{address}"' in body
    assert editor_client.get(address).status_code == 200


def test_the_changes_since_the_last_approval_name_each_field_in_the_members_language(editor_client, personas):
    post = make_post(personas, title="Plant opening", note="Say it your way.")
    with organization_scope(personas.organization):
        Post.objects.filter(pk=post.pk).update(status=Post.Status.APPROVED, approved_revision=post.revision)
        post.refresh_from_db()
        services.post_update(
            post=post, by=personas.editor, title="Plant opening in Lyon", editable_by_ambassadors=False
        )
    personas.editor.language = "fr"
    personas.editor.save(update_fields=["language"])

    body = editor_client.get(org_url("post_detail", personas, post.pk)).content.decode()

    assert "<dt>Titre</dt>" in body
    assert "<dt>Les ambassadeurs peuvent modifier le texte</dt>" in body
    assert "Editable_by_ambassadors" not in body


def test_the_add_a_text_buttons_read_well_for_every_network(editor_client, personas):
    body = editor_client.get(org_url("post_create", personas)).content.decode()
    assert "Add a text for X" in body and "Add a text for Other networks (copy and open)" in body

    personas.editor.language = "fr"
    personas.editor.save(update_fields=["language"])
    body = editor_client.get(org_url("post_create", personas)).content.decode()
    assert "Ajouter un texte pour X" in body and "Ajouter un texte pour Autres réseaux (copier et ouvrir)" in body
