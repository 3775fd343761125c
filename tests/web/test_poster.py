"""The booking poster: an administrator prints a QR code of the phone's booking steps."""
from __future__ import annotations

import re

import pytest

from hall import queue
from hall.extensions import db
from hall.links import qr_svg


@pytest.fixture
def admin(demo, client):
    assert client.post("/admin/login", data={"username": "admin", "password": "hall-demo"}).status_code == 303
    return client


def drawn(svg: str) -> str:
    return re.search(r' d="([^"]+)"', svg).group(1)


def test_the_poster_holds_a_qr_code_of_the_phones_booking_steps(app, demo, admin):
    app.config["PUBLIC_BASE_URL"] = "http://192.168.1.20:5000"
    page = admin.get("/admin/poster").get_data(as_text=True)
    assert "扫码预约" in page and demo.name in page and "法律咨询" in page
    assert "http://192.168.1.20:5000/p/demo/book" in page
    with app.test_request_context():
        expected = drawn(str(qr_svg("http://192.168.1.20:5000/p/demo/book")))
    assert drawn(page) == expected, "the QR code is the public address of /p/demo/book"
    assert admin.get("/p/demo/book", follow_redirects=True).status_code == 200, "and that address answers"
    assert 'id="poster-link"' in admin.get("/admin/settings").get_data(as_text=True)


def test_with_nothing_bookable_the_poster_says_so_and_cannot_print(demo, admin):
    queue.service_by_code(demo, "A").bookable = False
    db.session.commit()
    page = admin.get("/admin/poster").get_data(as_text=True)
    assert 'id="poster-none"' in page and "还没有可预约的事项" in page
    assert re.search(r'<button type="button" onclick="window.print\(\)"\s+disabled', page)


def test_the_report_poster_holds_a_qr_code_of_the_phones_report_form(app, demo, admin):
    app.config["PUBLIC_BASE_URL"] = "http://192.168.1.20:5000"
    page = admin.get("/admin/poster/report").get_data(as_text=True)
    assert "扫码反映问题" in page and demo.name in page and "我要投诉" in page and "“我要反映”" in page
    assert "扫码预约" not in page and 'id="poster-none"' not in page
    with app.test_request_context():
        expected = drawn(str(qr_svg("http://192.168.1.20:5000/p/demo/report")))
    assert drawn(page) == expected, "the QR code is the public address of /p/demo/report"
    assert admin.get("/p/demo/report").status_code == 200, "and that address answers"
    assert 'id="report-poster-link"' in admin.get("/admin/settings").get_data(as_text=True)
