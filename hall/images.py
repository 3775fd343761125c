"""Pictures people upload (an adviser's photo, a resident's photos of a report): checked by their
content, never by their name or declared type, and re-encoded from the pixels alone so that no
EXIF (camera, place, time), XMP, ICC profile or text chunk is kept.

    clean_image(data, max_bytes=…, max_side=…) → (bytes, "image/jpeg" | "image/png")

raises Invalid with a message in the reader's language: nothing given, too large, not a JPEG or
PNG (a script named photo.jpg, an SVG, a GIF, a truncated file), or too many pixels (a
decompression bomb is refused before its pixels are decoded).
"""
from __future__ import annotations

import io
import math

from flask_babel import lazy_gettext as _l

from .errors import Invalid

TYPES = {"JPEG": "image/jpeg", "PNG": "image/png"}
MAX_PIXELS = 40_000_000


def megabytes(size: int) -> str:
    """2097152 → "2", 5767168 → "5.5": how a limit reads in a message."""
    return f"{size / (1024 * 1024):g}"


def clean_image(data: bytes | None, *, max_bytes: int, max_side: int, max_pixels: int = MAX_PIXELS) -> tuple[bytes, str]:
    """A JPEG or PNG of at most `max_bytes`, turned upright (its EXIF orientation), shrunk to at
    most `max_side` pixels wide and high, and saved anew without any metadata. Returns (bytes,
    MIME type); a JPEG stays a JPEG and a PNG a PNG (transparency kept)."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if not data:
        raise Invalid(_l("Please choose a photo (JPEG or PNG)."))
    if len(data) > max_bytes:
        raise Invalid(_l("The photo can be at most %(size)s MB.", size=megabytes(max_bytes)))
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = probe.format
            if kind not in TYPES:
                raise Invalid(_l("Please choose a JPEG or PNG photo."))
            width, height = probe.size
            if width * height > max_pixels:
                raise Invalid(_l("The photo has too many pixels."))
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            if kind == "JPEG":
                # Let the decoder scale down by 1/2, 1/4 or 1/8 while it reads: a phone's 12
                # megapixels never sit in memory whole. Never below what the thumbnail needs.
                ratio = min(1.0, max_side / max(width, height, 1))
                image.draft("RGB", (math.ceil(width * ratio), math.ceil(height * ratio)))
            image.load()
            image = ImageOps.exif_transpose(image)
    except Invalid:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError):
        raise Invalid(_l("Please choose a JPEG or PNG photo.")) from None
    if kind == "JPEG":
        image = image.convert("RGB")
    elif image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA")
    image.thumbnail((max_side, max_side))
    # A fresh image from the pixels alone: no info, EXIF, XMP, ICC or text chunks come along.
    bare = Image.frombytes(image.mode, image.size, image.tobytes())
    out = io.BytesIO()
    if kind == "JPEG":
        bare.save(out, "JPEG", quality=85, optimize=True)
    else:
        bare.save(out, "PNG", optimize=True)
    return out.getvalue(), TYPES[kind]
