"""The kiosk when the server blips: its own calm "reconnecting" screen, never the browser's
error page, and home again by itself once the server answers. A server of this test's own,
stopped and started again on the same port (the shared live server stays up for the others)."""
import re
import signal
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from browser.screens import FAKE_PRINT, shoot
from browser.test_kiosk import tickets
from conftest import KIOSK, start_gunicorn
from hall.extensions import db

pytestmark = pytest.mark.browser

HOME = re.compile(r"/k/demo\?lang=zh$")


def stop(server) -> None:
    """gunicorn's quick shutdown (SIGINT): the server is gone at once, as in a blip."""
    if server is not None and server.process.poll() is None:
        server.process.send_signal(signal.SIGINT)
        try:
            server.process.wait(15)
        except Exception:  # noqa: BLE001 - a worker that will not stop is killed
            server.process.kill()
            server.process.wait(5)


def test_the_kiosk_waits_on_its_own_screen_while_the_server_is_away_and_comes_home(browser, db_url, demo):
    demo.kiosk_idle_seconds = 5
    db.session.commit()
    server = start_gunicorn(db_url, workers=1, threads=2)
    port = urlsplit(server.url).port
    context = browser.new_context(viewport=KIOSK, has_touch=True, base_url=server.url, locale="zh-CN")
    context.add_init_script(FAKE_PRINT)
    page = context.new_page()
    reconnect = page.locator("#reconnect")
    try:
        # Left alone on a step while the server is away: the idle reset finds no server.
        page.goto("/k/demo/s/A")
        assert reconnect.is_hidden()
        stop(server)
        page.touchscreen.tap(540, 60)  # a touch (on the header, or on the idle warning): the idle time restarts
        reconnect.wait_for(state="visible", timeout=15000)
        assert page.url.endswith("/k/demo/s/A")  # still the kiosk's own page, not chrome-error://
        assert "正在重新连接" in reconnect.inner_text()
        assert "Reconnecting" not in reconnect.inner_text()  # a Chinese screen stays in Chinese
        shoot(page, "kiosk-reconnecting.png")

        server = start_gunicorn(db_url, workers=1, threads=2, port=port)
        page.wait_for_url(HOME, timeout=20000)  # home by itself, nobody touched it
        expect(page.locator("[data-service=A]")).to_be_visible()
        assert reconnect.is_hidden()

        # A tap on "take a number" while the server is away: the same screen, nothing sent.
        demo.kiosk_idle_seconds = 600  # no idle reset in the way this time
        db.session.commit()
        page.locator("[data-service=A]").tap()
        page.wait_for_url(re.compile(r"/k/demo/s/A$"))
        stop(server)
        page.locator("#take-button").tap()
        reconnect.wait_for(state="visible", timeout=15000)
        assert page.url.endswith("/k/demo/s/A")
        server = start_gunicorn(db_url, workers=1, threads=2, port=port)
        page.wait_for_url(HOME, timeout=20000)
        assert tickets() == []
    finally:
        context.close()
        stop(server)
