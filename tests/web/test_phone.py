"""The phone page behind a ticket's QR code, through the test client."""
import re

import pytest
from conftest import counter, svc

from hall import queue
from hall.extensions import db
from hall.models import TicketEvent, TicketStatus

HX = {"HX-Request": "true"}




def etag_of(response):
    return response.headers["ETag"].strip('"')


def text(html):
    """What a reader sees: the markup without its tags."""
    return re.sub(r"<[^>]+>", "", html)


def polls(html):
    return 'hx-trigger="every' in html


def test_waiting_page_shows_number_service_people_ahead_and_wait(client, demo):
    queue.issue_ticket(demo, svc(demo, "A"))
    mine = queue.issue_ticket(demo, svc(demo, "A"))
    response = client.get(f"/t/{mine.token}")
    html = response.text
    assert response.status_code == 200
    assert "A002" in html and "法律咨询" in html
    assert "等候中" in html
    assert "您前面还有 1 人" in html
    assert re.search(r"预计等候约 \d+ 分钟", html)
    assert polls(html) and f'hx-get="/t/{mine.token}"' in html
    assert "HX-Request" in response.headers["Vary"]
    assert "<html" in html


def test_next_in_line_is_told_so(client, demo):
    mine = queue.issue_ticket(demo, svc(demo, "A"))
    assert "下一位就是您" in client.get(f"/t/{mine.token}").text


def test_fragment_answers_304_until_something_changes(client, demo):
    queue.issue_ticket(demo, svc(demo, "A"))
    mine = queue.issue_ticket(demo, svc(demo, "A"))
    url = f"/t/{mine.token}"
    first = client.get(url, headers=HX)
    assert first.status_code == 200
    assert "<html" not in first.text and 'id="ticket"' in first.text
    assert "HX-Request" in first.headers["Vary"]
    tag = etag_of(first)
    assert f'data-etag="{tag}"' in first.text

    again = client.get(url, headers={**HX, "If-None-Match": f'"{tag}"'})
    assert again.status_code == 304 and again.data == b""
    # The full page is never answered with 304: a reload shows the page.
    assert client.get(url, headers={"If-None-Match": f'"{tag}"'}).status_code == 200

    queue.call_next(counter(demo, 1))  # the one ahead is called
    changed = client.get(url, headers={**HX, "If-None-Match": f'"{tag}"'})
    assert changed.status_code == 200
    assert "下一位就是您" in changed.text
    assert etag_of(changed) != tag


def test_called_ticket_shows_where_to_go_with_the_room(client, demo):
    ticket = queue.issue_ticket(demo, svc(demo, "B"))
    queue.call_next(counter(demo, 3))
    html = client.get(f"/t/{ticket.token}").text
    assert "请到 3 号窗口（老傅调解室）" in text(html)
    assert "轮到您了" in html
    assert 'data-title="请到 3 号窗口（老傅调解室）"' in html


def test_called_to_a_plain_window_has_no_room_and_recall_is_a_new_call_event(client, demo):
    ticket = queue.issue_ticket(demo, svc(demo, "A"))
    queue.call_next(counter(demo, 1))
    html = client.get(f"/t/{ticket.token}", headers=HX).text
    assert "请到 1 号窗口" in html and "（" not in html.split("请到 1 号窗口")[1][:3]
    first_event = re.search(r'data-call-event="(\d+)"', html).group(1)
    queue.recall(ticket)
    html = client.get(f"/t/{ticket.token}", headers=HX).text
    second_event = re.search(r'data-call-event="(\d+)"', html).group(1)
    assert int(second_event) > int(first_event)
    assert polls(html)  # a called ticket still moves on


def test_english_reader(client, demo):
    queue.issue_ticket(demo, svc(demo, "A"))
    mine = queue.issue_ticket(demo, svc(demo, "A"))
    html = client.get(f"/t/{mine.token}?lang=en").text
    assert "People ahead of you: 1" in html and "Legal advice" in html


def test_cancel_while_waiting(client, demo):
    ticket = queue.issue_ticket(demo, svc(demo, "A"))
    html = client.get(f"/t/{ticket.token}").text
    assert "取消排队" in html and "确认取消" in html  # the second, clear step is on the page
    response = client.post(f"/t/{ticket.token}/cancel", headers=HX)
    assert response.status_code == 200
    assert "您已取消排队" in response.text and "重新取号" in response.text
    assert not polls(response.text)
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.cancelled
    page = client.get(f"/t/{ticket.token}").text
    assert "已取消" in page and "data-cancel-ask" not in page


def test_cancel_without_htmx_redirects_to_the_page(client, demo):
    ticket = queue.issue_ticket(demo, svc(demo, "A"))
    response = client.post(f"/t/{ticket.token}/cancel")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/t/{ticket.token}")


def test_cancel_after_the_call_is_refused_and_changes_nothing(client, demo):
    ticket = queue.issue_ticket(demo, svc(demo, "A"))
    queue.call_next(counter(demo, 1))
    response = client.post(f"/t/{ticket.token}/cancel", headers=HX)
    assert response.status_code == 409
    assert "不能取消" in response.text
    assert response.headers["HX-Retarget"] == "#flash"
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.called


def test_called_page_offers_no_cancel(client, demo):
    ticket = queue.issue_ticket(demo, svc(demo, "A"))
    queue.call_next(counter(demo, 1))
    assert "取消排队" not in client.get(f"/t/{ticket.token}").text


def test_rating_once_after_service(client, demo):
    ticket = queue.issue_ticket(demo, svc(demo, "A"))
    queue.call_next(counter(demo, 1))
    queue.finish(ticket)
    html = client.get(f"/t/{ticket.token}").text
    assert "满意" in html and "基本满意" in html and "不满意" in html
    assert not polls(html)  # a finished ticket no longer polls: the comment box stays as typed

    response = client.post(f"/t/{ticket.token}/rate", headers=HX,
                           data={"rating": "fairly_satisfied", "comment": "等得有点久"})
    assert response.status_code == 200
    assert "谢谢您的评价" in response.text and "基本满意" in response.text and "等得有点久" in response.text
    db.session.refresh(ticket)
    assert ticket.rating.value == "fairly_satisfied" and ticket.rating_comment == "等得有点久"

    again = client.post(f"/t/{ticket.token}/rate", headers=HX, data={"rating": "dissatisfied"})
    assert again.status_code == 409
    assert "已经评价过了" in again.text
    db.session.refresh(ticket)
    assert ticket.rating.value == "fairly_satisfied"
    assert 'name="rating"' not in client.get(f"/t/{ticket.token}").text


@pytest.mark.parametrize("rating", ["", "great", None])
def test_rating_needs_one_of_the_three_answers(client, demo, rating):
    ticket = queue.issue_ticket(demo, svc(demo, "A"))
    queue.call_next(counter(demo, 1))
    queue.finish(ticket)
    data = {} if rating is None else {"rating": rating}
    response = client.post(f"/t/{ticket.token}/rate", headers=HX, data=data)
    assert response.status_code == 422
    assert "请选择一项" in response.text
    db.session.refresh(ticket)
    assert ticket.rating is None


def test_rating_before_the_visit_is_finished_is_refused(client, demo):
    ticket = queue.issue_ticket(demo, svc(demo, "A"))
    response = client.post(f"/t/{ticket.token}/rate", headers=HX, data={"rating": "satisfied"})
    assert response.status_code == 409
    assert "办理完毕后才能评价" in response.text
    db.session.refresh(ticket)
    assert ticket.rating is None


def test_no_show_is_explained_and_stops_polling(client, demo):
    ticket = queue.issue_ticket(demo, svc(demo, "A"))
    queue.call_next(counter(demo, 1))
    queue.no_show(ticket)
    html = client.get(f"/t/{ticket.token}").text
    assert "已过号" in html and "这个号已经作废" in html and "重新取号" in html
    assert not polls(html)


def test_serving_shows_the_counter(client, demo):
    ticket = queue.issue_ticket(demo, svc(demo, "B"))
    queue.call_next(counter(demo, 3))
    queue.start(ticket)
    html = client.get(f"/t/{ticket.token}").text
    assert "办理中" in html and "3 号窗口（老傅调解室）" in html and polls(html)


@pytest.mark.parametrize("method,path", [("get", ""), ("post", "/cancel"), ("post", "/rate")])
def test_unknown_token_gets_a_friendly_404(client, demo, method, path):
    response = getattr(client, method)(f"/t/no-such-token{path}")
    assert response.status_code == 404
    assert "没有找到这张号票" in response.text
    assert "前台" in response.text and "重新取号" in response.text
    assert db.session.query(TicketEvent).count() == 0


def test_the_phone_number_never_appears(client, demo):
    ticket = queue.issue_ticket(demo, svc(demo, "A"), phone="13812345678")
    pages = [client.get(f"/t/{ticket.token}").text]
    queue.call_next(counter(demo, 1))
    pages.append(client.get(f"/t/{ticket.token}", headers=HX).text)
    queue.finish(ticket)
    pages.append(client.get(f"/t/{ticket.token}").text)
    for html in pages:
        assert "13812345678" not in html and "138****5678" not in html
