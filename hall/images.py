"""Pictures people upload (an adviser's photo, a resident's photos of a report): checked by their
content, never by their name or declared type, and re-encoded from the pixels alone so that no
EXIF (camera, place, time), XMP, ICC profile or text chunk is kept.

    clean_image(data, max_bytes=…, max_side=…) → (bytes, "image/jpeg" | "image/png")

raises Invalid with a message in the reader's language: nothing given, too large, not a JPEG or
PNG (a script named photo.jpg, an SVG, a GIF, a truncated file), too many pixels (more than about
12 megapixels, a phone camera's photo, read from the header: refused before its pixels are
decoded) or a decompression bomb (a few KB that would unpack into more pixels than Pillow's own
MAX_IMAGE_PIXELS), which has its own message.

Decoding costs a second of CPU for a large photo: do it before a request's write transaction
begins (hall/reports.py check), never while the database's write lock is held.

Uploads are read strictly whatever else the process did: WeasyPrint, once imported (the first
PDF a worker prints), turns on Pillow's ImageFile.LOAD_TRUNCATED_IMAGES for the whole process,
which would let a truncated JPEG through padded with grey. clean_image turns it off again for
its decode (our documents embed no pictures Pillow decodes: they load only their own fonts).
"""
from __future__ import annotations

import io
import math

from flask_babel import lazy_gettext as _l

from .errors import Invalid

TYPES = {"JPEG": "image/jpeg", "PNG": "image/png"}
# About 12 megapixels: a phone camera's photo (4000×3000, 4032×3024, 4080×3072) passes.
MAX_PIXELS = 12_600_000


def megabytes(size: int) -> str:
    """2097152 → "2", 5767168 → "5.5": how a limit reads in a message."""
    return f"{size / (1024 * 1024):g}"


def clean_image(data: bytes | None, *, max_bytes: int, max_side: int, max_pixels: int = MAX_PIXELS) -> tuple[bytes, str]:
    """A JPEG or PNG of at most `max_bytes`, turned upright (its EXIF orientation), shrunk to at
    most `max_side` pixels wide and high, and saved anew without any metadata. Returns (bytes,
    MIME type); a JPEG stays a JPEG and a PNG a PNG (transparency kept)."""
    from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

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
            if Image.MAX_IMAGE_PIXELS and width * height > Image.MAX_IMAGE_PIXELS:
                raise Image.DecompressionBombError(f"{width}×{height}")  # Pillow only warned
            if width * height > max_pixels:
                raise Invalid(_l("The photo is too large: please choose a smaller photo (at most about "
                                 "%(mp)s megapixels).", mp=max_pixels // 1_000_000))
            probe.verify()
        while True:
            ImageFile.LOAD_TRUNCATED_IMAGES = False  # strict, whatever WeasyPrint set (above)
            with Image.open(io.BytesIO(data)) as image:
                if kind == "JPEG":
                    # Let the decoder scale down by 1/2, 1/4 or 1/8 while it reads: a phone's 12
                    # megapixels never sit in memory whole. Never below what the thumbnail needs.
                    ratio = min(1.0, max_side / max(width, height, 1))
                    image.draft("RGB", (math.ceil(width * ratio), math.ceil(height * ratio)))
                image.load()
                image = ImageOps.exif_transpose(image)
            if not ImageFile.LOAD_TRUNCATED_IMAGES:
                break  # else WeasyPrint was imported meanwhile, in another thread: read it again
    except Invalid:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):  # a warning: under -W error
        raise Invalid(_l("This file would unpack into a gigantic picture, as files made to harm a computer "
                         "do: please choose an ordinary photo.")) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
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
