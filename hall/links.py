"""Addresses that leave the hall on paper or a phone: QR codes and absolute public URLs."""
from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from flask import current_app, request, url_for
from markupsafe import Markup


def public_url(endpoint: str, **values) -> str:
    """An absolute URL as phones reach the hall: PUBLIC_BASE_URL when set, else the request's host."""
    path = url_for(endpoint, **values)
    base = (current_app.config.get("PUBLIC_BASE_URL") or request.host_url).rstrip("/")
    return base + path


def qr_svg(data: str, label: str = "") -> Markup:
    """An inline SVG QR code (no extra request, prints sharp on thermal paper)."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2,
                       image_factory=qrcode.image.svg.SvgPathImage)
    qr.add_data(data)
    qr.make(fit=True)
    buffer = io.BytesIO()
    qr.make_image().save(buffer)
    svg = buffer.getvalue().decode("utf-8")
    svg = svg[svg.index("<svg"):]  # drop the XML declaration: this goes inside HTML
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{Markup.escape(label)}" class="qr" ', 1)
    return Markup(svg)
