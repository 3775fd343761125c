"""A kiosk and a phone, each a fresh Chromium context on the live server (tests/conftest.py)."""
import pytest

from browser.screens import FAKE_PRINT
from conftest import KIOSK, PHONE


@pytest.fixture
def kiosk(browser, live_server):
    """The kiosk at its real size: portrait 1080×1920, touch, Chinese; window.print counted."""
    context = browser.new_context(viewport=KIOSK, has_touch=True, base_url=live_server.url, locale="zh-CN")
    context.add_init_script(FAKE_PRINT)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def phone(browser, live_server):
    """A resident's phone: 390×844 at 2×, touch, Chinese."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2,
                                  base_url=live_server.url, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()
