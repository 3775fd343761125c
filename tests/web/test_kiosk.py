"""The kiosk through the test client: tiles, taking a number, the ticket screen."""
import re
from datetime import time

import pytest
from flask_babel import refresh
from sqlalchemy import func, select

from hall import clock, kiosk_flow, queue
from hall.extensions import db
from hall.models import Ticket

TILE = re.compile(r'<(a|div) class="tile [^"]*"[^>]*data-service="(\w+)" data-state="(\w+)"')


def tiles(html):
    """{code: (tag, state)} of the home screen's tiles."""
    return {code: (tag, state) for tag, code, state in TILE.findall(html)}


def tile_html(html, code):
    start = html.index(f'data-service="{code}"')
    return html[start:html.index("</li>", start)]


def request_key(html):
    return re.search(r'name="request_key" value="([^"]+)"', html).group(1)


def count_tickets():
    return db.session.scalar(select(func.count()).select_from(Ticket))


def take(client, code="A", **form):
    page = client.get(f"/k/demo/s/{code}")
    data = {"request_key": request_key(page.text), **form}
    return client.post(f"/k/demo/s/{code}", data=data)


def test_home_has_a_tile_per_service_with_names_notice_and_waiting_counts(client, demo):
    queue.issue_ticket(demo, queue.service_by_code(demo, "A"))
    queue.issue_ticket(demo, queue.service_by_code(demo, "A"))
    response = client.get("/k/demo")
    assert response.status_code == 200
    html = response.text
    assert tiles(html) == {c: ("a", "open") for c in "ABCD"}
    assert 'href="/k/demo/s/B"' in html
    a = tile_html(html, "A")
    assert "法律咨询" in a and "Legal advice" in a
    assert a.index("法律咨询") < a.index("Legal advice")  # Chinese first
    assert "等候 2 人" in a and "等候 0 人" in tile_html(html, "B")
    assert demo.name in html and "矛盾不上交" in html  # the hall's name and notice
    assert "<svg" in a  # the service's icon, inline
    assert "maximum-scale=1" in html and "user-scalable=no" in html
    assert "现在不在办公时间" not in html


def test_english_toggle_puts_english_first_and_chinese_comes_back(client, demo):
    html = client.get("/k/demo?lang=en").text
    assert "Please choose a service" in html
    a = tile_html(html, "A")
    assert a.index("Legal advice") < a.index("法律咨询")
    assert "Waiting: 0" in a
    # The choice is kept for the next screens of this visit…
    assert "Take a number" in client.get("/k/demo/s/A").text
    # …until the idle reset (or the toggle) asks for Chinese again.
    html = client.get("/k/demo?lang=zh").text
    assert "请选择您要办理的事项" in html and "Please choose a service" not in html


def test_a_paused_service_is_shown_disabled_and_issues_nothing(client, demo):
    mediation = queue.service_by_code(demo, "B")
    mediation.paused = True
    db.session.commit()
    html = client.get("/k/demo").text
    assert tiles(html)["B"] == ("div", "paused")
    assert 'href="/k/demo/s/B"' not in html
    assert "暂停取号，请到前台咨询" in tile_html(html, "B")
    assert tiles(html)["A"] == ("a", "open")

    step = client.get("/k/demo/s/B")
    assert "该事项暂停取号" in step.text and 'id="take-form"' not in step.text
    refused = client.post("/k/demo/s/B", data={"request_key": "k" * 22})
    assert refused.status_code == 409
    assert "暂停" in refused.text
    assert count_tickets() == 0


def test_outside_opening_hours_a_closed_banner_shows_the_hours_and_nothing_is_issued(client, demo):
    today = clock.local(demo).isoweekday()
    demo.open_weekdays = "".join(d for d in "1234567" if int(d) != today)
    demo.opens_at, demo.closes_at = time(8, 30), time(17, 30)
    db.session.commit()
    html = client.get("/k/demo").text
    assert "现在不在办公时间" in html
    assert "08:30–17:30" in html
    assert "请选择您要办理的事项" not in html and "点一下要办理的事项就能取号" not in html
    assert set(state for _, state in tiles(html).values()) == {"closed"}
    assert 'href="/k/demo/s/A"' not in html

    refused = client.post("/k/demo/s/A", data={"request_key": "k" * 22})
    assert refused.status_code == 409
    assert "现在不在办公时间" in refused.text
    assert count_tickets() == 0


def test_opening_hours_read_naturally(app, demo):
    refresh()
    demo.open_weekdays, demo.opens_at, demo.closes_at = "12345", time(8, 30), time(17, 30)
    assert kiosk_flow.opening_hours(demo) == "周一至周五 08:30–17:30"
    demo.open_weekdays = "136"
    assert kiosk_flow.opening_hours(demo) == "周一、周三、周六 08:30–17:30"


def test_taking_a_number_redirects_to_the_ticket_screen(client, demo):
    response = take(client, "A", phone="138 1234 1234")
    assert response.status_code == 303
    ticket = db.session.scalar(select(Ticket))
    assert response.headers["Location"].endswith(f"/k/demo/ticket/{ticket.token}")
    assert ticket.phone == "13812341234" and ticket.channel == "kiosk" and not ticket.priority

    html = client.get(response.headers["Location"]).text
    assert ">A001<" in html
    assert "法律咨询" in html
    assert "您前面没有人在等候" in html
    assert "扫码查看排队进度" in html
    assert html.count('class="qr"') == 2  # on screen and on the print-out
    assert "打印号票" in html and "完成" in html
    assert demo.name in html


def test_the_ticket_screen_shows_people_ahead_and_the_wait(client, demo):
    for _ in range(3):
        queue.issue_ticket(demo, queue.service_by_code(demo, "B"))
    html = client.get(take(client, "B").headers["Location"]).text
    assert ">B004<" in html
    assert "您前面还有 3 人" in html
    assert "预计等候约" in html


def test_the_ticket_screen_never_shows_the_phone_number(client, demo):
    html = client.get(take(client, "A", phone="13812341234").headers["Location"]).text
    for shown in ("13812341234", "138 1234 1234", "138****1234", "1381234"):
        assert shown not in html


def test_the_priority_lane_is_kept_and_shown(client, demo):
    html = client.get(take(client, "A", priority="1").headers["Location"]).text
    assert db.session.scalar(select(Ticket)).priority is True
    assert "绿色通道" in html


def test_a_bad_phone_number_re_renders_the_step_with_the_message_and_saves_nothing(client, demo):
    page = client.get("/k/demo/s/A")
    key = request_key(page.text)
    response = client.post("/k/demo/s/A", data={"request_key": key, "phone": "138 12", "priority": "1"})
    assert response.status_code == 422
    assert "11 位" in response.text  # the message, in Chinese
    assert 'value="13812"' in response.text  # the digits typed are kept
    assert re.search(r'id="priority"[^>]*checked', response.text)
    assert request_key(response.text) == key
    assert count_tickets() == 0


def test_the_same_request_key_gives_the_same_ticket(client, demo):
    key = request_key(client.get("/k/demo/s/A").text)
    first = client.post("/k/demo/s/A", data={"request_key": key})
    second = client.post("/k/demo/s/A", data={"request_key": key})
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert count_tickets() == 1
    # A new visit to the step page carries a new key: the next person gets the next number.
    assert take(client, "A").headers["Location"] != first.headers["Location"]
    assert count_tickets() == 2


def test_each_render_of_the_step_page_carries_a_fresh_random_key(client, demo):
    keys = {request_key(client.get("/k/demo/s/A").text) for _ in range(3)}
    assert len(keys) == 3 and all(len(k) >= 22 for k in keys)


@pytest.mark.parametrize("path", ["/k/nowhere", "/k/nowhere/s/A", "/k/demo/s/Z", "/k/demo/ticket/no-such-token"])
def test_unknown_hall_service_or_ticket_gets_a_friendly_404(client, demo, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "抱歉，没有找到这个页面" in response.text
    if path.startswith("/k/demo/"):
        assert 'href="/k/demo"' in response.text  # a way back to the start
    else:
        assert 'href="/k/demo"' not in response.text


def test_a_ticket_is_not_shown_on_another_halls_kiosk(client, demo):
    from hall.setup import create_hall
    create_hall("other", "另一个大厅")
    location = take(client, "A").headers["Location"]
    token = location.rsplit("/", 1)[1]
    assert client.get(f"/k/other/ticket/{token}").status_code == 404


def test_autoprint_is_remembered_and_prints_a_ticket_only_on_its_first_showing(client, demo):
    plain = client.get(take(client, "A").headers["Location"]).text
    assert 'data-autoprint="0"' in plain

    client.get("/k/demo?autoprint=1")
    location = take(client, "A").headers["Location"]
    assert 'data-autoprint="1"' in client.get(location).text
    assert 'data-autoprint="0"' in client.get(location).text  # a reload does not print again

    client.get("/k/demo?autoprint=0")
    assert 'data-autoprint="0"' in client.get(take(client, "A").headers["Location"]).text


def test_idle_times_come_from_the_halls_settings(client, demo):
    demo.kiosk_idle_seconds, demo.ticket_idle_seconds = 45, 12
    db.session.commit()
    assert 'data-idle-seconds="45"' in client.get("/k/demo/s/A").text
    assert 'data-idle-seconds="12"' in client.get(take(client, "A").headers["Location"]).text
    assert 'data-home-url="/k/demo?lang=zh"' in client.get("/k/demo").text


def reconnect_box(html):
    start = html.index('id="reconnect"')
    return html[html.rindex("<div", 0, start):html.index("</div>\n</div>", start)]


@pytest.mark.parametrize("path", ["/k/demo", "/k/demo/s/A", "/k/demo/arrive", "/k/demo/book", "/k/demo/report"])
def test_every_kiosk_screen_carries_its_reconnecting_screen_hidden_and_where_to_ask(client, demo, path):
    html = client.get(path, follow_redirects=True).text
    assert 'data-health-url="/healthz"' in html
    box = reconnect_box(html)
    assert " hidden " in box and "正在重新连接" in box and "自动回到首页" in box
    assert "Reconnecting" not in box


def test_an_english_kiosk_screen_says_it_in_chinese_first_then_in_english(client, demo):
    box = reconnect_box(client.get("/k/demo/s/A?lang=en").text)
    assert box.index("正在重新连接") < box.index("Reconnecting…")
    assert 'lang="zh-CN"' in box and 'lang="en"' in box


def test_the_home_tiles_poll_as_a_fragment_answering_304_while_nothing_changed(client, demo):
    htmx = {"HX-Request": "true"}
    first = client.get("/k/demo", headers=htmx)
    assert first.status_code == 200
    assert "<html" not in first.text and 'id="tiles"' in first.text
    assert "HX-Request" in first.headers["Vary"]
    tag = first.headers["ETag"]
    assert client.get("/k/demo", headers={**htmx, "If-None-Match": tag}).status_code == 304

    queue.issue_ticket(demo, queue.service_by_code(demo, "A"))
    changed = client.get("/k/demo", headers={**htmx, "If-None-Match": tag})
    assert changed.status_code == 200 and "等候 1 人" in changed.text

    # A pause does not bump the queue's version, but the tiles still change.
    tag = changed.headers["ETag"]
    queue.service_by_code(demo, "C").paused = True
    db.session.commit()
    paused = client.get("/k/demo", headers={**htmx, "If-None-Match": tag})
    assert paused.status_code == 200 and tiles(paused.text)["C"] == ("div", "paused")
