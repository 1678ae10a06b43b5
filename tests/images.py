"""Real images made with Pillow for upload tests, and the files that only pretend to be images."""

import io

from PIL import Image


def image_bytes(image_format: str = "PNG", size: tuple[int, int] = (16, 12), **save) -> bytes:
    image = Image.new("RGB", size, (200, 30, 60))
    output = io.BytesIO()
    image.save(output, format=image_format, **save)
    return output.getvalue()


def png(size: tuple[int, int] = (16, 12)) -> bytes:
    return image_bytes("PNG", size)


def jpeg_with_exif() -> bytes:
    """A JPEG whose EXIF names a camera and an orientation (rotate 90°), as a phone writes it."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = 6  # Orientation: the pixels must be turned 90° clockwise
    return image_bytes("JPEG", (16, 12), exif=exif.tobytes())


def webp() -> bytes:
    return image_bytes("WEBP")


def animated_gif(frames: int = 3) -> bytes:
    images = [Image.new("RGB", (10, 10), (40 * n, 200 - 40 * n, 90)) for n in range(frames)]
    output = io.BytesIO()
    images[0].save(output, format="GIF", save_all=True, append_images=images[1:], duration=80, loop=0)
    return output.getvalue()


# A GIF header followed by a web page: a browser sniffing the content, or a server trusting the first bytes, takes it
# for either (the review's finding).
POLYGLOT_GIF = b"GIF89a/*\x0a\x00\x0a\x00\x00\x00\x00\x00*/=1;<html><script>alert(document.domain)</script></html>"


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image
