"""One check for every uploaded image, logos and post images alike: decoded by Pillow, re-encoded, within limits,
refused with the limits stated in the member's language; nothing stored when refused."""

import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from advocacy.images import LOGO, POST_IMAGE, clean_image
from advocacy.tenancy import organization_scope
from content.models import Post
from tests.advocacy.test_settings_pages import fresh, settings_data
from tests.conftest import org_url
from tests.content.test_editor_pages import editor_data
from tests.images import POLYGLOT_GIF, animated_gif, decode, image_bytes, jpeg_with_exif, png, webp

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def editor_client(client, personas):
    client.force_login(personas.editor)
    return client


def upload(data: bytes, name: str = "upload.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/png")


def _stored_post_image(personas) -> bytes:
    with organization_scope(personas.organization):
        post = Post.objects.get()
    with default_storage.open(post.image.name, "rb") as file:
        return file.read()


# --- The polyglot of the review ---------------------------------------------------------------------------------


def test_a_gif_header_followed_by_html_is_refused_as_a_post_image(editor_client, personas):
    response = editor_client.post(
        org_url("post_create", personas), {**editor_data(), "image": upload(POLYGLOT_GIF, "cat.gif")}
    )
    assert response.status_code == 400
    assert "This file is not a PNG, JPEG, WebP or GIF image." in response.content.decode()
    with organization_scope(personas.organization):
        assert not Post.objects.exists()


def test_the_polyglot_is_refused_in_french_too(client, personas):
    personas.editor.language = "fr"
    personas.editor.save(update_fields=["language"])
    client.force_login(personas.editor)
    response = client.post(org_url("post_create", personas), {**editor_data(), "image": upload(POLYGLOT_GIF)})
    assert response.status_code == 400
    assert "Ce fichier n’est pas une image PNG, JPEG, WebP ou GIF." in response.content.decode()


def test_a_gif_header_followed_by_html_is_refused_as_a_logo(admin_client, personas):
    response = admin_client.post(
        org_url("org_settings", personas), {**settings_data(personas), "logo": upload(POLYGLOT_GIF)}
    )
    assert response.status_code == 400
    assert "not a PNG, JPEG or WebP image" in response.context["form"].errors["logo"][0]
    assert not fresh(personas.organization).logo


# --- Re-encoding ---------------------------------------------------------------------------------------------------


def test_an_uploaded_png_is_re_encoded_without_what_followed_or_annotated_it(editor_client, personas):
    """Text chunks and bytes after the image's end (where a polyglot keeps its payload) do not survive."""
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    original = image_bytes("PNG", (20, 10), pnginfo=info) + b"<html><script>alert(2)</script></html>"

    response = editor_client.post(org_url("post_create", personas), {**editor_data(), "image": upload(original)})

    assert response.status_code == 302
    stored = _stored_post_image(personas)
    assert stored != original
    assert b"<script>" not in stored and b"<html>" not in stored
    image = decode(stored)
    assert (image.format, image.size) == ("PNG", (20, 10))
    assert "Comment" not in image.info


def test_an_uploaded_jpeg_loses_its_exif_and_is_turned_upright(editor_client, personas):
    response = editor_client.post(
        org_url("post_create", personas), {**editor_data(), "image": upload(jpeg_with_exif(), "photo.jpg")}
    )

    assert response.status_code == 302
    stored = _stored_post_image(personas)
    assert b"PhoneMaker" not in stored
    image = decode(stored)
    assert image.format == "JPEG"
    assert not image.getexif()
    assert image.size == (12, 16)  # the orientation was applied to the pixels before EXIF went


@pytest.mark.parametrize(
    ("data", "extension", "image_format"),
    [(png(), "png", "PNG"), (jpeg_with_exif(), "jpg", "JPEG"), (webp(), "webp", "WEBP")],
)
def test_a_logo_is_re_encoded_and_named_after_its_content(admin_client, personas, data, extension, image_format):
    response = admin_client.post(
        org_url("org_settings", personas), {**settings_data(personas), "logo": upload(data, "logo.html")}
    )
    assert response.status_code == 302
    logo = fresh(personas.organization).logo
    assert logo.name.endswith(f"-logo.{extension}")
    with default_storage.open(logo.name, "rb") as file:
        assert decode(file.read()).format == image_format


def test_an_animated_gif_keeps_its_frames():
    cleaned = clean_image(upload(animated_gif(frames=3), "anim.gif"), rules=POST_IMAGE)
    image = Image.open(io.BytesIO(cleaned.read()))
    assert image.format == "GIF" and image.n_frames == 3
    assert cleaned.name == "image.gif"


# --- Refusals --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"<svg onload=alert(1)></svg>",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,  # a signature and nothing of an image
        png()[:-30],  # truncated
        image_bytes("BMP"),  # an image, but not an accepted format
    ],
    ids=["empty", "svg", "signature-only", "truncated", "bmp"],
)
def test_what_is_not_a_whole_image_of_an_accepted_format_is_refused(data):
    from django import forms

    with pytest.raises(forms.ValidationError) as refused:
        clean_image(upload(data), rules=POST_IMAGE)
    assert refused.value.code in ("not_an_image", "too_large")


def test_a_gif_is_not_a_logo():
    from django import forms

    with pytest.raises(forms.ValidationError, match="not a PNG, JPEG or WebP image"):
        clean_image(upload(animated_gif()), rules=LOGO)


def test_an_image_over_the_dimension_limit_is_refused_with_the_limit(admin_client, personas):
    wide = image_bytes("PNG", (LOGO.max_side + 1, 2))
    response = admin_client.post(org_url("org_settings", personas), {**settings_data(personas), "logo": upload(wide)})
    assert response.status_code == 400
    error = response.context["form"].errors["logo"][0]
    assert f"{LOGO.max_side + 1} × 2 pixels" in error and f"{LOGO.max_side} pixels a side" in error
    assert not fresh(personas.organization).logo


def test_a_decompression_bomb_is_refused_before_it_is_decoded():
    """A small file that declares a huge canvas: refused from its header, its pixels are never allocated."""
    from django import forms

    bomb = image_bytes("PNG", (POST_IMAGE.max_side * 3, 1))
    assert len(bomb) < 10_000
    with pytest.raises(forms.ValidationError) as refused:
        clean_image(upload(bomb), rules=POST_IMAGE)
    assert refused.value.code == "too_many_pixels"
