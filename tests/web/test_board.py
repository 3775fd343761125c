"""The call board (叫号屏) through the test client."""
import re

from conftest import counter, svc

from hall import board as calls
from hall import queue

HX = {"HX-Request": "true"}




def current(html):
    """[(number, counter text)] of the "now calling" entries, top first."""
    return [(number, re.sub(r"\s+", " ", where).strip()) for number, where in re.findall(
        r'<li class="call[^"]*" data-event="\d+">\s*<span class="call-number">(\w+)</span>.*?'
        r'<span class="call-where">(.*?)</span>\s*</li>', html, re.S)]


def strip_tags(text):
    return re.sub(r"<[^>]+>", " ", text)


def announcements(html):
    return [(int(i), say) for i, say in re.findall(r'data-announce="(\d+)" data-say="([^"]*)"', html)]


def test_board_shows_current_calls_newest_first_with_rooms(client, demo):
    queue.issue_ticket(demo, svc(demo, "A"))
    queue.issue_ticket(demo, svc(demo, "B"))
    queue.issue_ticket(demo, svc(demo, "A"))
    queue.call_next(counter(demo, 1))  # A001
    queue.call_next(counter(demo, 3))  # B001 to 老傅调解室
    response = client.get("/b/demo")
    html = response.text
    assert response.status_code == 200
    assert demo.name in html
    rows = [(n, strip_tags(w).split()) for n, w in current(html)]
    assert rows == [("B001", ["3", "号窗口", "老傅调解室"]), ("A001", ["1", "号窗口"])]
    assert 'hx-trigger="every 1s"' in html
    # Waiting counts per service: A002 still waits.
    waiting = dict(re.findall(r'<span class="w-name">(\S+)</span>\s*<span class="w-count">([^<]+)</span>', html))
    assert waiting == {"法律咨询": "1 人", "矛盾调解": "0 人", "信访接待": "0 人", "投诉建议": "0 人"}


def test_the_spoken_texts_are_chinese_and_oldest_first(client, demo):
    queue.issue_ticket(demo, svc(demo, "A"))
    queue.issue_ticket(demo, svc(demo, "B"))
    queue.call_next(counter(demo, 1))
    queue.call_next(counter(demo, 3))
    for url in ("/b/demo", "/b/demo?lang=en"):  # an English screen still speaks Chinese
        said = [text for _, text in announcements(client.get(url).text)]
        assert said == ["请 A001 号 到 1 号窗口", "请 B001 号 到 3 号 老傅调解室"]


def test_one_current_call_per_counter_and_a_finished_one_leaves(client, demo):
    first = queue.issue_ticket(demo, svc(demo, "A"))
    queue.issue_ticket(demo, svc(demo, "A"))
    one = counter(demo, 1)
    queue.call_next(one)
    queue.call_next(one)  # A002 called to the same window before A001 finished
    html = client.get("/b/demo").text
    assert [n for n, _ in current(html)] == ["A002"]
    recent = re.findall(r'<span class="r-number">(\w+)</span>', html)
    assert recent == ["A002", "A001"]
    queue.finish(first)
    queue.finish(queue.active_at_counter(one)[0])
    html = client.get("/b/demo").text
    assert current(html) == []
    assert re.findall(r'<span class="r-number">(\w+)</span>', html) == ["A002", "A001"]


def last_called(html):
    """[(number, counter text)] of the day's last calls the big panel keeps once they are done."""
    return [(number, re.sub(r"\s+", " ", strip_tags(where)).strip()) for number, where in re.findall(
        r'<li class="call past" data-last-event="\d+">\s*<span class="call-number">(\w+)</span>.*?'
        r'<span class="call-where">(.*?)</span>\s*</li>', html, re.S)]


def test_once_the_calls_are_finished_the_board_still_shows_the_days_last_calls(client, demo):
    """Issue 9: the board said 暂时还没有叫号 (no number called yet) after calls were made and
    finished. The big panel keeps the last number called at each window, marked as past."""
    a = queue.issue_ticket(demo, svc(demo, "A"))
    b = queue.issue_ticket(demo, svc(demo, "B"))
    queue.call_next(counter(demo, 1))
    queue.call_next(counter(demo, 3))
    queue.finish(a)
    queue.no_show(b)
    html = client.get("/b/demo").text
    assert "暂时还没有叫号" not in html and "今天还没有叫号" not in html
    assert current(html) == [] and "刚才叫过的号" in html
    assert last_called(html) == [("B001", "3 号窗口 老傅调解室"), ("A001", "1 号窗口")]
    # Nothing is announced again, and a new call takes the panel back.
    assert [i for i, _ in announcements(html)] == [i for i, _ in announcements(client.get("/b/demo").text)]
    queue.issue_ticket(demo, svc(demo, "A"))
    queue.call_next(counter(demo, 1))
    html = client.get("/b/demo").text
    assert [n for n, _ in current(html)] == ["A002"] and last_called(html) == []


def test_a_recall_comes_to_the_top_and_is_announced_again(client, demo):
    a = queue.issue_ticket(demo, svc(demo, "A"))
    queue.issue_ticket(demo, svc(demo, "B"))
    queue.call_next(counter(demo, 1))
    queue.call_next(counter(demo, 3))
    before = announcements(client.get("/b/demo").text)
    queue.recall(a)
    html = client.get("/b/demo").text
    assert [n for n, _ in current(html)] == ["A001", "B001"]
    after = announcements(html)
    assert after[-1][0] > before[-1][0] and after[-1][1] == "请 A001 号 到 1 号窗口"
    # The recall does not repeat a line in the recent calls.
    assert re.findall(r'<span class="r-number">(\w+)</span>', html) == ["A001", "B001"]


def test_fragment_answers_304_until_a_call(client, demo):
    queue.issue_ticket(demo, svc(demo, "A"))
    first = client.get("/b/demo", headers=HX)
    assert first.status_code == 200
    assert "<html" not in first.text and 'id="board"' in first.text
    assert "HX-Request" in first.headers["Vary"]
    tag = first.headers["ETag"].strip('"')
    assert f'data-etag="{tag}"' in first.text
    idle = client.get("/b/demo", headers={**HX, "If-None-Match": f'"{tag}"'})
    assert idle.status_code == 304 and idle.data == b""
    page = client.get("/b/demo", headers={"If-None-Match": f'"{tag}"'})
    assert page.status_code == 200 and "<html" in page.text
    queue.call_next(counter(demo, 1))
    changed = client.get("/b/demo", headers={**HX, "If-None-Match": f'"{tag}"'})
    assert changed.status_code == 200 and "A001" in changed.text


def test_unknown_hall_is_404(client, demo):
    response = client.get("/b/nowhere")
    assert response.status_code == 404


def test_no_phone_number_on_the_board(client, demo):
    ticket = queue.issue_ticket(demo, svc(demo, "A"), phone="13812345678")
    queue.call_next(counter(demo, 1))
    queue.recall(ticket)
    html = client.get("/b/demo").text
    assert "13812345678" not in html and "138****5678" not in html


def test_a_transferred_ticket_leaves_the_board_until_called_again(app, demo):
    ticket = queue.issue_ticket(demo, svc(demo, "A"))
    queue.call_next(counter(demo, 1))
    assert [c.number for c in calls.current_calls(demo)] == ["A001"]
    queue.transfer(ticket, service=svc(demo, "D"))
    assert calls.current_calls(demo) == []
    queue.call_next(counter(demo, 2))
    state = calls.board_state(demo)
    assert [(c.number, c.counter_number) for c in state.current] == [("A001", 2)]
    assert [c.speech for c in state.announcements][-1] == "请 A001 号 到 2 号窗口"


def test_yesterdays_calls_are_not_shown(client, demo):
    from datetime import timedelta

    from hall.extensions import db
    from hall.models import TicketEvent
    queue.issue_ticket(demo, svc(demo, "A"))
    queue.call_next(counter(demo, 1))
    for event in db.session.query(TicketEvent):
        event.at -= timedelta(days=1)
    db.session.commit()
    html = client.get("/b/demo").text
    assert current(html) == [] and announcements(html) == [] and "今天还没有叫号" in html
