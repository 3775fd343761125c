"""The hall's mark in the browser's tab: /favicon.ico answers (it was a 404 on every page) and every
page links the SVG mark."""
import re

import pytest


def test_favicon_ico_is_the_halls_mark_kept_in_cache(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert response.mimetype in ("image/vnd.microsoft.icon", "image/x-icon")
    assert "max-age=604800" in response.headers["Cache-Control"]


@pytest.mark.parametrize("path", ["/k/demo", "/b/demo", "/t/not-a-ticket", "/r/not-a-report", "/admin/login"])
def test_every_kind_of_page_links_the_mark_and_it_is_served(client, demo, path):
    html = client.get(path).get_data(as_text=True)
    icons = re.findall(r'<link rel="icon" href="([^"]+)"', html)
    assert icons and "/favicon.ico" in icons
    svg = client.get(next(i for i in icons if i.endswith(".svg")))
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
