"""The one check for uploaded images (organisation logos, post images): decode with Pillow, re-encode, rename.

A file is an image only if Pillow decodes all of it; a few magic bytes prove nothing (``GIF89a`` followed by HTML is
a valid start of a GIF and a valid web page). Re-encoding keeps the pixels and drops everything else: metadata
(EXIF, GPS, comments), trailing bytes and any payload a polyglot carried.
"""

from __future__ import annotations

import io
import posixpath
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db.models.fields.files import FieldFile
from django.template.defaultfilters import filesizeformat
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from advocacy.models import Organization
from advocacy.tenancy import TenantModel

# Pillow's format name → (stored extension, content type, label shown to people).
FORMATS: dict[str, tuple[str, str, str]] = {
    "PNG": ("png", "image/png", "PNG"),
    "JPEG": ("jpg", "image/jpeg", "JPEG"),
    "WEBP": ("webp", "image/webp", "WebP"),
    "GIF": ("gif", "image/gif", "GIF"),
}
CONTENT_TYPES = {extension: content_type for extension, content_type, _label in FORMATS.values()}


@dataclass(frozen=True)
class ImageRules:
    """What one kind of upload accepts. ``max_side`` bounds each dimension, which also bounds the memory a decode
    takes (a 1 KB file can declare 50,000 × 50,000 pixels)."""

    formats: tuple[str, ...]
    labels: StrOrPromise  # the formats as people read them, "PNG, JPEG or WebP"
    max_bytes: int
    max_side: int
    stem: str

    @property
    def accept(self) -> str:
        return ",".join(FORMATS[name][1] for name in self.formats)

    @property
    def help_text(self) -> str:
        return gettext("%(formats)s, at most %(size)s and %(side)s pixels a side.") % self._limit_values()

    def limits(self) -> str:
        return gettext("Use a %(formats)s image of at most %(size)s and %(side)s pixels a side.") % self._limit_values()

    def _limit_values(self) -> dict[str, Any]:
        return {"formats": self.labels, "size": filesizeformat(self.max_bytes), "side": self.max_side}


LOGO = ImageRules(
    formats=("PNG", "JPEG", "WEBP"), labels=_("PNG, JPEG or WebP"), max_bytes=1024 * 1024, max_side=2000, stem="logo"
)
POST_IMAGE = ImageRules(
    formats=("PNG", "JPEG", "WEBP", "GIF"),
    labels=_("PNG, JPEG, WebP or GIF"),
    max_bytes=5 * 1024 * 1024,
    max_side=8000,
    stem="image",
)


def clean_image(upload: UploadedFile[Any], *, rules: ImageRules) -> SimpleUploadedFile:
    """The upload decoded and re-encoded in its own format, named ``<stem>.<extension>`` after its content.

    Raises ``forms.ValidationError`` (in the active language, limits stated) for anything that is not a whole image
    of an accepted format within the limits; nothing is stored then.
    """
    if upload.size is None or upload.size > rules.max_bytes:
        raise _too_large(upload.size or 0, rules)
    not_an_image = forms.ValidationError(
        gettext("This file is not a %(formats)s image. %(limits)s")
        % {"formats": rules.labels, "limits": rules.limits()},
        code="not_an_image",
    )
    upload.seek(0)
    try:
        with Image.open(upload, formats=rules.formats) as image:
            width, height = image.size
            if max(width, height) > rules.max_side:
                raise forms.ValidationError(
                    gettext("This image is too large (%(width)s × %(height)s pixels). %(limits)s")
                    % {"width": width, "height": height, "limits": rules.limits()},
                    code="too_many_pixels",
                )
            image_format = str(image.format)
            data = _reencode(image, image_format)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError, EOFError) as exc:
        # Pillow reports a truncated, corrupt or trailing-garbage file through any of these.
        raise not_an_image from exc
    if len(data) > rules.max_bytes:
        raise _too_large(len(data), rules)  # re-encoding can outgrow a compact original
    extension, content_type, _label = FORMATS[image_format]
    return SimpleUploadedFile(f"{rules.stem}.{extension}", data, content_type=content_type)


def _too_large(size: int, rules: ImageRules) -> forms.ValidationError:
    return forms.ValidationError(
        gettext("This file is too large (%(size)s). %(limits)s")
        % {"size": filesizeformat(size), "limits": rules.limits()},
        code="too_large",
    )


def _reencode(image: Image.Image, image_format: str) -> bytes:
    """Every frame decoded (a corrupt one raises here), written anew without the source's metadata."""
    output = io.BytesIO()
    if image_format == "GIF" and getattr(image, "n_frames", 1) > 1:
        frames = [frame.copy() for frame in ImageSequence.Iterator(image)]
        frames[0].save(
            output,
            format="GIF",
            save_all=True,
            append_images=frames[1:],
            loop=image.info.get("loop", 0),
            duration=image.info.get("duration", 100),
            disposal=2,
        )
        return output.getvalue()
    image.load()
    # Phones record the camera's orientation in EXIF; apply it to the pixels before EXIF is dropped.
    upright = ImageOps.exif_transpose(image)
    if image_format == "JPEG":
        upright.convert("RGB").save(output, format="JPEG", quality=90, optimize=True)
    elif image_format == "WEBP":
        upright.save(output, format="WEBP", quality=90)
    else:
        upright.save(output, format=image_format)
    return output.getvalue()


@dataclass(frozen=True)
class StoredImage:
    """The current image as the clearable input shows it: its file name, linked to its members-only address."""

    name: str
    url: str

    def __str__(self) -> str:
        return self.name


class ImageClearableInput(forms.ClearableFileInput):
    """Django's clearable input links the current file to the storage's URL, which nothing serves (uploads are
    private to their organisation): this one links it through ``/o/<org>/media/``."""

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        if context["widget"]["is_initial"] and isinstance(value, FieldFile):
            from advocacy.media import media_url  # advocacy.media imports this module

            owner = value.instance
            organization = owner.organization if isinstance(owner, TenantModel) else owner
            assert isinstance(organization, Organization), "an image belongs to an organisation or to one of its rows"
            context["widget"]["value"] = StoredImage(
                name=posixpath.basename(value.name or ""), url=media_url(organization, value.name or "")
            )
        return context


class ImageUploadField(forms.FileField):
    """A file input that accepts only images within ``rules``; a new upload comes out re-encoded by
    ``clean_image``. ``None`` (nothing sent) and ``False`` (the "clear" box) pass through unchanged."""

    def __init__(self, *, rules: ImageRules, **kwargs: Any) -> None:
        self.rules = rules
        kwargs.setdefault("widget", ImageClearableInput(attrs={"accept": rules.accept}))
        # Lazy: the field is built at import, the help text is read in the language of each request.
        kwargs.setdefault("help_text", lazy(lambda: rules.help_text, str)())
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        value = super().clean(data, initial)
        if isinstance(value, UploadedFile):
            return clean_image(value, rules=self.rules)
        return value
