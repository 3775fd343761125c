"""Residents' reports for tests: pictures (with and without a GPS position in their EXIF, and
things that only pretend to be pictures), a report filed, the hall's staff, and a report's case
walked along the loop."""
from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from hall import cases, reports
from hall.extensions import db
from hall.models import CaseStep as S, User

GPS = {1: "N", 2: (30.0, 16.0, 12.0), 3: "E", 4: (120.0, 9.0, 36.0)}  # 杭州, roughly
PHP = b"<?php system($_GET['c']); ?>\n"


def exif_with_gps() -> Image.Exif:
    data = Image.Exif()
    data[0x010F] = "PhoneMaker"  # Make
    data[0x0132] = "2026:12:07 09:30:00"  # DateTime
    data[0x8825] = GPS
    return data


def jpeg(size=(64, 48), gps=True, colour=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, colour)
    if gps:
        image.save(out, "JPEG", exif=exif_with_gps().tobytes())
    else:
        image.save(out, "JPEG")
    return out.getvalue()


def png(size=(64, 48), gps=True) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGBA", size, (30, 120, 200, 255))
    if gps:
        image.save(out, "PNG", exif=exif_with_gps().tobytes())
    else:
        image.save(out, "PNG")
    return out.getvalue()


def has_gps(data: bytes) -> bool:
    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        return bool(exif.get_ifd(0x8825)) or 0x8825 in exif or "exif" in image.info


def oversized(megabytes: float = 6) -> bytes:
    """A real JPEG padded past the limit: refused by its size, before anything decodes it."""
    return jpeg() + b"\0" * int(megabytes * 1024 * 1024)


def staff(hall) -> dict[str, User]:
    return {u.username: u for u in db.session.scalars(select(User).where(User.hall_id == hall.id))}


def report(hall, **values):
    """A report as a resident on a phone files it (override any field)."""
    fields = {"kind": "complaint", "category": "neighbour", "description": "楼上漏水，天花板发霉。",
              "name": "张三丰", "phone": "13812345678", "channel": "phone", **values}
    return reports.submit(hall, **fields)


def walk(case, users, to, outcome="answered"):
    """Walk an open case along the loop up to the step `to`, doing what each step needs."""
    mediator = users["mediator"]
    if case.step == S.intake and case.handler_id is None:
        cases.assign(users["admin"], case, mediator)
    while case.step != to:
        if case.step == S.deliberating:
            cases.record_session(mediator, case, "与物业和楼上住户沟通。")
        if case.step == S.acting:
            cases.record_outcome(mediator, case, {"outcome": outcome, "outcome_note": "物业已安排维修。"})
        if case.step == S.following_up and outcome in ("success", "referred"):
            cases.add_follow_up(mediator, case, {"method": "call", "honoured": "yes", "note": "已修好。"})
        cases.move(mediator, case, cases.next_step(case.step))
    return case


def plain_png(width: int, height: int) -> bytes:
    """A single-colour PNG of any size, made row by row (never the whole picture in memory):
    6300×6300 pixels, 40 megapixels, fit in a few KB."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    packer, row, parts = zlib.compressobj(9), b"\0" + b"\x50\x90\xd0" * width, []
    for _ in range(height):
        parts.append(packer.compress(row))
    parts.append(packer.flush())
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"".join(parts))
            + chunk(b"IEND", b""))


def png_header(width: int, height: int) -> bytes:
    """A PNG's signature and header claiming width×height pixels and no pixels at all: what a
    decompression bomb shows before anything is decoded."""
    import struct
    import zlib
    body = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    ihdr = struct.pack(">I", len(body)) + b"IHDR" + body + struct.pack(">I", zlib.crc32(b"IHDR" + body))
    return b"\x89PNG\r\n\x1a\n" + ihdr + struct.pack(">I", 0) + b"IEND" + struct.pack(">I", zlib.crc32(b"IEND"))


def truncated_jpeg() -> bytes:
    """A noisy JPEG cut in the middle of its pixels: its header is whole, its picture is not."""
    import random
    rng = random.Random(7)
    image = Image.frombytes("RGB", (240, 160), bytes(rng.randrange(256) for _ in range(240 * 160 * 3)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    data = out.getvalue()
    return data[:len(data) // 2]
