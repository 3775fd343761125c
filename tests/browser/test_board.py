"""The call board in a real Chromium at 1920×1080: calls appear within 2 s and are announced
one after another, chime first, in Chinese; without a Chinese voice the chime and flash remain.

Speech and sound are stubbed in the page (add_init_script): every speak() and play() is logged
with its time, and an utterance "ends" a fixed time after it started, as a real voice would."""
from pathlib import Path

import pytest
from conftest import BOARD, counter

from hall import queue

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / "screenshots"
SPEECH_MS = 1500  # how long each stubbed utterance "talks"

STUB = """
(() => {
  const log = window.__log = [];
  const config = window.__speechConfig = %(config)s;
  HTMLMediaElement.prototype.play = function () {
    log.push({type: 'play', src: this.currentSrc || this.src, volume: this.volume, at: performance.now()});
    if (config.refusePlay) {
      return Promise.reject(new DOMException('no user gesture', 'NotAllowedError'));
    }
    setTimeout(() => this.dispatchEvent(new Event('ended')), 150);
    return Promise.resolve();
  };
  HTMLMediaElement.prototype.pause = function () {};
  if (config.voices === null) {
    Object.defineProperty(window, 'speechSynthesis', {value: undefined, configurable: true});
    return;
  }
  window.SpeechSynthesisUtterance = function (text) {
    this.text = text; this.lang = ''; this.voice = null; this.rate = 1; this.onend = null; this.onerror = null;
  };
  Object.defineProperty(window, 'speechSynthesis', {configurable: true, value: {
    getVoices: () => config.voices.map((lang) => ({lang, name: 'stub ' + lang, voiceURI: lang, localService: true})),
    speak(utterance) {
      log.push({type: 'speak', text: utterance.text, lang: utterance.lang,
                voice: utterance.voice && utterance.voice.lang, at: performance.now()});
      setTimeout(() => {
        log.push({type: 'end', text: utterance.text, at: performance.now()});
        if (utterance.onend) utterance.onend({});
      }, config.speechMs);
    },
    cancel() {}, pause() {}, resume() {}, addEventListener() {}, removeEventListener() {},
  }});
})();
"""


def open_board(browser, live_server, voices=("zh-CN", "en-US"), refuse_play=False):
    import json
    context = browser.new_context(viewport=BOARD)
    page = context.new_page()
    config = {"voices": list(voices) if voices is not None else None, "speechMs": SPEECH_MS,
              "refusePlay": refuse_play}
    page.add_init_script(STUB % {"config": json.dumps(config)})
    page.goto(f"{live_server.url}/b/demo")
    page.wait_for_selector("#board")
    page.wait_for_function("document.querySelector('#board').getAttribute('data-etag') !== null")
    page.wait_for_timeout(300)  # board.js has read the calls present at load
    return context, page


def log(page, kind=None):
    entries = page.evaluate("window.__log")
    return [e for e in entries if kind is None or e["type"] == kind]


def chimes(page):
    return [e for e in log(page, "play") if e["volume"] > 0 and e["src"].endswith("/static/sounds/chime.wav")]



def test_calls_appear_within_2s_and_are_spoken_one_after_another(browser, live_server, demo):
    a = queue.issue_ticket(demo, queue.service_by_code(demo, "A"))
    queue.issue_ticket(demo, queue.service_by_code(demo, "B"))
    old = queue.issue_ticket(demo, queue.service_by_code(demo, "D"))
    queue.call_ticket(old, counter(demo, 2))  # called before the board opened: shown, not spoken
    context, page = open_board(browser, live_server)
    try:
        page.locator(".call-number", has_text="D001").wait_for()
        queue.call_next(counter(demo, 1))
        queue.call_next(counter(demo, 3))
        page.locator(".call-number", has_text="A001").wait_for(timeout=2000)
        page.locator(".call-number", has_text="B001").wait_for(timeout=2000)
        numbers = page.locator(".calls .call-number").all_inner_texts()
        assert numbers[0] in ("B001", "A001") and numbers[-1] == "D001"
        assert page.locator(".call.flash").count() >= 1  # the entry being announced flashes

        page.wait_for_function("window.__log.filter(e => e.type === 'end').length >= 2", timeout=10000)
        speaks = log(page, "speak")
        ends = log(page, "end")
        assert [s["text"] for s in speaks] == ["请 A001 号 到 1 号窗口", "请 B001 号 到 3 号 老傅调解室"]
        assert all(s["lang"] == "zh-CN" and s["voice"] == "zh-CN" for s in speaks)
        # Never two at once: the second starts only after the first ended.
        assert speaks[1]["at"] >= ends[0]["at"]
        # The chime before each: one chime between the first's end and the second's start.
        rings = [c["at"] for c in chimes(page)]
        assert any(r <= speaks[0]["at"] for r in rings)
        assert any(ends[0]["at"] <= r <= speaks[1]["at"] for r in rings)
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / "board-calls.png"))

        # A recall is spoken again, chime first.
        before = len(chimes(page))
        queue.recall(a)
        page.wait_for_function("window.__log.filter(e => e.type === 'speak').length >= 3", timeout=4000)
        third = log(page, "speak")[2]
        assert third["text"] == "请 A001 号 到 1 号窗口"
        assert len(chimes(page)) == before + 1 and chimes(page)[-1]["at"] <= third["at"]
        assert page.locator(".calls .call").first.locator(".call-number").inner_text() == "A001"
        assert "D001" not in [s["text"][2:6] for s in log(page, "speak")]

        # Every call finished: the board keeps the last number of each window, as past, and
        # says nothing again (issue 9: it said 暂时还没有叫号).
        spoken = len(log(page, "speak"))
        for ticket in queue.active_at_counter(counter(demo, 1)) + queue.active_at_counter(counter(demo, 3)):
            queue.finish(ticket)
        queue.no_show(old)
        page.locator(".call.past").first.wait_for(timeout=4000)
        assert page.locator(".call.past .call-number").all_inner_texts() == ["A001", "B001", "D001"]
        assert page.locator(".now-calling").inner_text().count("暂时还没有叫号") == 0
        assert page.locator(".last-caption").inner_text() == "刚才叫过的号"
        page.screenshot(path=str(SHOTS / "board-after-calls.png"))
        page.wait_for_timeout(2500)
        assert len(log(page, "speak")) == spoken
    finally:
        context.close()


@pytest.mark.parametrize("voices", [("en-US",), None], ids=["no-chinese-voice", "no-speech-at-all"])
def test_without_a_chinese_voice_the_chime_and_flash_still_mark_the_call(browser, live_server, demo, voices):
    queue.issue_ticket(demo, queue.service_by_code(demo, "A"))
    context, page = open_board(browser, live_server, voices=voices)
    statuses = []
    page.on("response", lambda r: statuses.append(r.status) if "/b/demo" in r.url else None)
    try:
        page.wait_for_timeout(1500)
        assert 304 in statuses  # an idle board's polls are answered "nothing changed"
        queue.call_next(counter(demo, 1))
        entry = page.locator(".call", has=page.locator(".call-number", has_text="A001"))
        entry.wait_for(timeout=2000)
        page.wait_for_function("document.querySelector('.call.flash') !== null", timeout=2000)
        assert "flash" in entry.get_attribute("class")
        page.wait_for_function(
            "window.__log.some(e => e.type === 'play' && e.volume > 0)", timeout=2000)
        assert log(page, "speak") == []
    finally:
        context.close()


def test_blocked_sound_asks_for_a_tap_then_speaks(browser, live_server, demo):
    queue.issue_ticket(demo, queue.service_by_code(demo, "A"))
    context, page = open_board(browser, live_server, refuse_play=True)
    try:
        overlay = page.locator("#sound-overlay")
        overlay.wait_for(state="visible", timeout=3000)
        assert "点击开启语音播报" in overlay.inner_text() and "Tap to turn on announcements" in overlay.inner_text()
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / "board-sound-overlay.png"))
        # Calls still show (and flash) behind it.
        queue.call_next(counter(demo, 1))
        page.locator(".call-number", has_text="A001").wait_for(timeout=2000)
        page.evaluate("window.__speechConfig.refusePlay = false")
        page.locator("#sound-on").click()
        overlay.wait_for(state="hidden")
        page.wait_for_function(
            "window.__log.some(e => e.type === 'speak' && e.text === '语音播报已开启')", timeout=8000)
    finally:
        context.close()
