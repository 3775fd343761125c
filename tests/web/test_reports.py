"""Residents' own reports through the test client: the kiosk's steps (kind, category, phrases and
the keypad, the confirmation with its QR code and slip), the phone's form (htmx and plain, with
photos), the report's page (the six steps, the public timeline, a remark, a rating at the last
step, polling with 304), photos served only to the token's holder and to staff who may see the
case, and abuse: scripts named photo.jpg, oversized files, too many photos, markup in every
field, guessed tokens."""
from __future__ import annotations

import io
import re

import pytest
from flask_babel import force_locale, gettext
from markupsafe import escape
from PIL import Image
from sqlalchemy import func, select

from conftest import login
from hall import cases, reports
from hall.extensions import db
from hall.models import Case, CasePhoto, CaseStep as S, Submission
from hall.setup import create_hall, create_service, create_user
from report_data import PHP, has_gps, jpeg, oversized, plain_png, png, report, staff, walk

HX = {"HX-Request": "true"}
SCRIPT = "<script>alert('x')</script>"


def said(app, msgid, lang="zh_Hans_CN", **values):
    """A message as the reader sees it in a page: in their language, HTML-escaped."""
    with app.test_request_context(), force_locale(lang):
        return str(escape(gettext(msgid, **values)))


def count(model=Submission) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def only_submission() -> Submission:
    db.session.rollback()
    return db.session.scalars(select(Submission)).one()


def form_value(html, name):
    return re.search(rf'name="{name}" value="([^"]*)"', html).group(1)


def upload(*files):
    return [(io.BytesIO(data), name) for data, name in files]


def phone_post(client, headers=None, photos=(), **fields):
    data = {"kind": "complaint", "category": "neighbour", "description": "楼上漏水，天花板发霉。", "name": "张三丰",
            "phone": "13812345678", **fields}
    if photos:
        data["photos"] = upload(*photos)
    return client.post("/p/demo/report", data=data, content_type="multipart/form-data", headers=headers or {})


# ---- the kiosk -------------------------------------------------------------------------------------

def test_the_kiosk_home_has_the_report_entry_beside_the_appointment_ones(client, demo):
    html = client.get("/k/demo").get_data(as_text=True)
    assert 'data-testid="report-entry"' in html and 'href="/k/demo/report"' in html
    assert 'class="entries entries-3"' in html
    plain = create_hall("plain", "别的大厅", "Asia/Shanghai")
    create_service(plain, "A", "法律咨询", "Legal advice")
    html = client.get("/k/plain").get_data(as_text=True)
    assert 'class="entries entries-1"' in html and "book-entry" not in html and 'href="/k/plain/report"' in html


def test_kiosk_kind_then_category_then_phrases_and_keypad(client, demo, app):
    kinds = client.get("/k/demo/report").get_data(as_text=True)
    for kind in ("complaint", "inquiry", "suggestion"):
        assert f'href="/k/demo/report/{kind}"' in kinds
    assert 'href="/k/demo"' in kinds  # the header's Back goes home
    assert 'data-idle-seconds="60"' in kinds, "the idle reset as on every kiosk screen"

    categories = client.get("/k/demo/report/inquiry").get_data(as_text=True)
    assert len(re.findall(r'data-testid="category-', categories)) == 16
    assert 'href="/k/demo/report/inquiry/labour"' in categories

    page = client.get("/k/demo/report/inquiry/labour")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'value="labour.0"' in html and 'value="inquiry.0"' in html
    assert re.search(r'<input class="phone-display" id="phone"[^>]*readonly inputmode="none"', html)
    assert html.count('name="surname"') == 40 and 'name="address" value="ms"' in html
    assert len(form_value(html, "request_key")) >= 16
    assert 'href="/k/demo/report/inquiry"' in html  # Back: the categories
    # No way to type on a plain kiosk: no box to write in, and who can help instead.
    assert "<textarea" not in html and 'data-testid="ask-staff"' in html
    assert "手写" not in html and "拼音" not in html


def test_a_kiosk_set_up_with_a_keyboard_offers_the_box_to_write_in(client, demo):
    client.get("/k/demo?keyboard=1")
    html = client.get("/k/demo/report/inquiry/labour").get_data(as_text=True)
    assert '<textarea class="report-write" id="report-text" name="text"' in html
    assert 'data-testid="ask-staff"' not in html and "手写" not in html
    client.get("/k/demo?keyboard=0")
    assert "<textarea" not in client.get("/k/demo/report/inquiry/labour").get_data(as_text=True)


@pytest.mark.parametrize("url", ["/k/demo/report/praise", "/k/demo/report/complaint/aliens",
                                 "/k/nowhere/report", "/k/demo/report/done/AAAAAAAAAAAAAAAAAAAAAA"])
def test_unknown_kind_category_hall_or_report_gets_the_kiosks_own_404(client, demo, url):
    response = client.get(url)
    assert response.status_code == 404 and "kiosk-missing" in response.get_data(as_text=True)


def test_kiosk_sends_a_report_and_shows_its_number_qr_code_and_slip(client, demo, app):
    client.get("/k/demo?autoprint=1")
    sent = client.post("/k/demo/report/complaint/neighbour", data={
        "phrase": ["complaint.3", "neighbour.1", "made.up"], "text": "  三楼  ", "phone": "138 1234 5678",
        "surname": "王", "address": "ms", "request_key": "kiosk-report-1"})

    assert sent.status_code == 303
    submission = only_submission()
    case = submission.case
    assert sent.headers["Location"] == f"/k/demo/report/done/{submission.token}"
    assert submission.channel == "kiosk" and case.source.value == "kiosk" and case.kind.value == "complaint"
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        expected = reports.compose("complaint", "neighbour", ["neighbour.1", "complaint.3"], "三楼")
    assert case.facts == expected and case.facts.endswith("三楼")
    assert [(p.name, p.phone) for p in case.parties] == [("王女士", "13812345678")]

    done = client.get(sent.headers["Location"])
    html = done.get_data(as_text=True)
    assert done.status_code == 200 and case.number in html
    assert 'data-autoprint="1"' in html, "this kiosk prints its slip by itself, once"
    assert html.count("<svg") >= 2 and 'class="qr"' in html  # on screen and on the slip
    assert 'class="print-ticket print-report print-only"' in html
    assert "13812345678" not in html and "1234 5678" not in html and "王女士" not in html
    assert done.headers["Referrer-Policy"] == "no-referrer"
    again = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert 'data-autoprint="0"' in again, "never again on a reload"


def test_kiosk_a_family_name_without_mr_or_ms_is_kept_on_the_report(client, demo):
    sent = client.post("/k/demo/report/complaint/neighbour", data={
        "phrase": ["complaint.3"], "phone": "", "surname": "李", "request_key": "kiosk-report-surname"})
    assert sent.status_code == 303
    assert [p.name for p in only_submission().case.parties] == ["李"]


def test_kiosk_a_double_tap_sends_once(client, demo):
    data = {"phrase": ["neighbour.0"], "request_key": "kiosk-twice-1"}
    first = client.post("/k/demo/report/complaint/neighbour", data=data)
    second = client.post("/k/demo/report/complaint/neighbour", data=data)
    assert first.headers["Location"] == second.headers["Location"] and count() == 1


def test_kiosk_an_empty_description_is_refused_on_the_first_panel_keeping_the_rest(client, demo, app):
    response = client.post("/k/demo/report/complaint/neighbour", data={
        "text": "   ", "phone": "13812345678", "surname": "李", "address": "mr", "request_key": "kiosk-empty-1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and count() == 0
    assert 'data-panel="describe"' in html and 'data-testid="error-description"' in html
    assert said(app, "Please tell us in a few words what it is about.") in html
    assert 'value="13812345678"' in html and 'value="李" checked' in html and 'value="mr" checked' in html
    assert form_value(html, "request_key") == "kiosk-empty-1"


def test_kiosk_a_wrong_phone_is_refused_on_the_second_panel_keeping_the_phrases(client, demo, app):
    response = client.post("/k/demo/report/complaint/neighbour", data={
        "phrase": ["neighbour.2"], "text": SCRIPT, "phone": "123", "request_key": "kiosk-phone-1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and count() == 0
    assert 'data-panel="contact"' in html and 'data-testid="error-phone"' in html
    assert said(app, "Please enter an 11-digit mobile number starting with 1.") in html
    assert 'value="neighbour.2" checked' in html
    assert SCRIPT not in html and str(escape(SCRIPT)) in html, "the written line comes back as text"


# ---- the phone's form ---------------------------------------------------------------------------------

def test_the_phone_form_offers_kind_category_description_photos_name_and_phone(client, demo):
    page = client.get("/p/demo/report?kind=inquiry")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'class="phone-head"' in html
    assert 'value="inquiry" required checked' in html
    assert re.search(r'<input[^>]*id="photos" name="photos" type="file"\s+accept="image/\*" capture="environment" multiple', html)
    assert 'enctype="multipart/form-data"' in html and 'hx-encoding="multipart/form-data"' in html
    assert html.count("<option ") == 17  # please choose + 16 categories
    assert 'id="name"' in html and 'id="phone"' in html and 'type="tel"' in html
    assert client.get("/p/nowhere/report").status_code == 404


def test_the_phone_sends_a_report_with_photos_under_htmx_and_goes_to_its_page(client, demo):
    response = phone_post(client, HX, photos=[(jpeg(gps=True), "IMG_0001.JPG"), (png(gps=True), "screen.png")],
                          request_key="phone-report-1")

    assert response.status_code == 200, response.get_data(as_text=True)
    submission = only_submission()
    assert response.headers["HX-Redirect"] == f"/r/{submission.token}"
    assert submission.channel == "phone" and submission.case.source.value == "phone"
    photos = db.session.scalars(select(CasePhoto).order_by(CasePhoto.id)).all()
    assert [p.content_type for p in photos] == ["image/jpeg", "image/png"]
    assert not any(has_gps(p.data) for p in photos), "no place nor time kept"


def test_the_phone_form_without_htmx_redirects_and_a_repeat_is_the_same_report(client, demo):
    first = phone_post(client, request_key="phone-plain-1")
    again = phone_post(client, request_key="phone-plain-1")
    assert first.status_code == 303 and first.headers["Location"] == again.headers["Location"]
    assert count() == 1


def test_the_phone_form_comes_back_with_each_problem_beside_its_field(client, demo, app):
    response = phone_post(client, HX, kind="", category="aliens", description=" ", phone="12",
                          name=SCRIPT, request_key="phone-bad-1")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and count() == 0
    assert html.startswith('\n<section id="report-form"') or '<section id="report-form"' in html[:600]
    assert "<html" not in html, "a fragment under htmx"
    for field in ("kind", "category", "description", "phone"):
        assert f'id="err-{field}"' in html
    assert said(app, "Please enter an 11-digit mobile number starting with 1.") in html
    assert SCRIPT not in html and str(escape(SCRIPT)) in html
    assert 'hx-preserve="true"' in html, "the chosen photos stay chosen"
    assert form_value(html, "request_key") == "phone-bad-1"


@pytest.mark.parametrize("photos, words", [
    ([(PHP, "photo.jpg")], "JPEG or PNG"),
    ([(b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "x.png")], "JPEG or PNG"),
    ([(oversized(6), "big.jpg")], "at most 5 MB"),
    ([(jpeg(), f"{n}.jpg") for n in range(4)], "At most 3 photos"),
])
def test_bad_photos_are_refused_and_nothing_is_saved(client, demo, photos, words):
    response = client.post("/p/demo/report?lang=en", data={
        "kind": "complaint", "category": "neighbour", "description": "x", "photos": upload(*photos)},
        content_type="multipart/form-data", headers=HX)
    assert response.status_code == 422 and words in response.get_data(as_text=True)
    assert count() == 0 and count(CasePhoto) == 0


def test_a_huge_photo_of_a_few_kb_is_refused_in_chinese_and_nothing_is_saved(client, demo):
    response = phone_post(client, HX, photos=[(jpeg(), "a.jpg"), (plain_png(6300, 6300), "huge.png")])
    assert response.status_code == 422
    assert "第 2 张照片：照片太大，请换一张较小的照片" in response.get_data(as_text=True)
    assert count() == 0 and count(CasePhoto) == 0


def test_the_photos_are_decoded_before_the_write_transaction_begins(client, demo, app, monkeypatch):
    """On SQLite a POST's first query takes the database's write lock (BEGIN IMMEDIATE,
    hall/engine.py): decoding photos after it would make every ticket of the hall wait."""
    from sqlalchemy import event
    happened = []
    decode = reports.clean_image

    def clean_image(*args, **kwargs):
        cleaned = decode(*args, **kwargs)
        happened.append("photo ready")
        return cleaned

    def began(_connection):
        happened.append("transaction")

    monkeypatch.setattr(reports, "clean_image", clean_image)
    event.listen(db.engine, "begin", began)
    try:
        response = phone_post(client, HX, photos=[(jpeg(), "a.jpg"), (png(), "b.png")])
    finally:
        event.remove(db.engine, "begin", began)
    assert response.status_code == 200 and response.headers["HX-Redirect"].startswith("/r/")
    assert happened[:3] == ["photo ready", "photo ready", "transaction"], happened


def test_a_request_over_the_whole_limit_is_refused_in_words(client, demo, app):
    many = [(oversized(5.9), f"{n}.jpg") for n in range(3)]
    response = client.post("/p/demo/report", data={"kind": "complaint", "category": "other", "description": "x",
                                                   "photos": upload(*many)},
                           content_type="multipart/form-data", headers=HX)
    assert response.status_code == 413 and response.headers["HX-Retarget"] == "#flash"
    assert "5 MB" in response.get_data(as_text=True)
    plain = client.post("/p/demo/report", data={"kind": "complaint", "photos": upload(*many)},
                        content_type="multipart/form-data")
    assert plain.status_code == 413 and 'id="report-form"' in plain.get_data(as_text=True)
    assert count() == 0
    elsewhere = client.post("/k/demo/report/complaint/other", data={"text": "x" * 70_000})
    assert elsewhere.status_code == 413, "other routes keep the app's 64 KB"


def test_phone_reports_count_against_the_halls_limit_the_kiosk_does_not(client, demo):
    demo.api_ticket_limit = "1 per minute"
    db.session.commit()
    assert phone_post(client, phone="12").status_code == 422  # spends nothing
    assert phone_post(client).status_code == 303
    refused = phone_post(client, HX)
    assert refused.status_code == 429 and refused.headers["HX-Retarget"] == "#flash"
    for _ in range(2):
        assert client.post("/k/demo/report/complaint/other", data={"phrase": ["other.0"]}).status_code == 303
    assert count() == 3


# ---- the report's page ----------------------------------------------------------------------------------

def test_the_page_shows_number_kind_category_six_steps_and_no_personal_data(client, demo, app):
    submission = report(demo, description=f"{SCRIPT} 请打 13812345678", photos=[jpeg()])
    page = client.get(f"/r/{submission.token}")
    html = page.get_data(as_text=True)

    assert page.status_code == 200 and submission.case.number in html
    assert said(app, "Complaint") in html and said(app, "Neighbours") in html
    assert len(re.findall(r'class="loop-step loop-', html)) == 6
    assert re.search(r'loop-current" data-step="intake" aria-current="step"', html)
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        labels = [cases.step_label(step) for step in S]
    assert all(label in html for label in labels)
    assert "张**" in html and "138****5678" in html
    assert "13812345678" not in html and "张三丰" not in html
    assert SCRIPT not in html and str(escape(SCRIPT)) in html
    assert page.headers["Referrer-Policy"] == "no-referrer" and "noindex" in page.headers["X-Robots-Tag"]
    assert page.headers["ETag"] and "HX-Request" in page.headers["Vary"]
    assert 'id="remark"' in html and 'id="rating"' not in html
    photo = db.session.scalar(select(CasePhoto))
    assert f"/r/{submission.token}/photos/{photo.token}" in html


def test_the_page_polls_with_its_etag_and_answers_304_until_something_changes(client, demo):
    submission = report(demo)
    first = client.get(f"/r/{submission.token}", headers=HX)
    tag = first.headers["ETag"]
    assert "<html" not in first.get_data(as_text=True) and 'hx-trigger="every 30s"' in first.get_data(as_text=True)
    assert client.get(f"/r/{submission.token}", headers={**HX, "If-None-Match": tag}).status_code == 304
    cases.reply(staff(demo)["admin"], db.session.get(Case, submission.case_id), "已收到，我们会尽快联系物业。", public=True)
    changed = client.get(f"/r/{submission.token}", headers={**HX, "If-None-Match": tag})
    assert changed.status_code == 200 and "已收到，我们会尽快联系物业。" in changed.get_data(as_text=True)


def test_a_reply_shows_an_address_phone_and_id_number_masked_on_the_residents_page(client, demo):
    submission = report(demo, description="漏水的是和睦新村12-3-401")
    case = db.session.get(Case, submission.case_id)
    cases.reply(staff(demo)["admin"], case, "已联系拱墅区和睦街道 3 幢 201 室的住户（13912345678，"
                "身份证11010519491231002X），请于12月3号到3号窗口。", public=True)
    for headers in ({}, HX):
        html = client.get(f"/r/{submission.token}", headers=headers).get_data(as_text=True)
        assert "已联系拱墅区和睦街道 ****的住户（139****5678，身份证110105********002X）" in html
        assert "3 幢" not in html and "201 室" not in html and "12-3-401" not in html
        assert "和睦新村****" in html, "the description too"
        assert "请于12月3号到3号窗口" in html, "a date and a window are no address"
    api = client.get(f"/api/v1/submissions/{submission.token}").get_json()
    assert "201 室" not in str(api) and "和睦街道 ****" in str(api)


def test_only_public_entries_reach_the_page(client, demo):
    submission = report(demo)
    case = db.session.get(Case, submission.case_id)
    cases.reply(staff(demo)["admin"], case, "内部备注：此人多次来访", public=False)
    html = client.get(f"/r/{submission.token}").get_data(as_text=True)
    assert "内部备注" not in html


@pytest.mark.parametrize("token", ["AAAAAAAAAAAAAAAAAAAAAA", "x", "A" * 43, "1 OR 1=1"])
def test_guessed_tokens_get_the_friendly_404(client, demo, token):
    report(demo)
    response = client.get(f"/r/{token}")
    assert response.status_code == 404 and 'data-testid="unknown"' in response.get_data(as_text=True)
    assert client.post(f"/r/{token}/remark", data={"text": "x"}).status_code == 404
    assert client.post(f"/r/{token}/rate", data={"rating": "satisfied"}).status_code == 404
    assert count(Case.__table__) == 1


def test_the_404_of_a_report_speaks_of_the_report_not_of_an_appointment_slip(client, demo):
    html = client.get("/r/AAAAAAAAAAAAAAAAAAAAAA").get_data(as_text=True)
    assert "预约单" not in html and "预约" not in html
    assert "回执" in html and "事项办理摘要" in html  # where its QR code was printed
    client.get("/k/demo?lang=en")
    html = client.get("/r/AAAAAAAAAAAAAAAAAAAAAA").get_data(as_text=True)
    assert "slip" not in html and "receipt" in html


def test_a_visit_case_has_the_same_page_by_its_token(client, demo):
    case = cases.open_case(demo, source=cases.CaseSource.staff, category="family", facts="家事",
                           parties=[{"role": "applicant", "name": "李四", "phone": "13900001111"}])
    html = client.get(f"/r/{case.token}").get_data(as_text=True)
    assert case.number in html and "李*" in html and "139****1111" in html and "13900001111" not in html


def test_a_remark_under_htmx_and_a_plain_post(client, demo, app):
    submission = report(demo)
    added = client.post(f"/r/{submission.token}/remark", data={"text": f"{SCRIPT}越来越严重了"}, headers=HX)
    html = added.get_data(as_text=True)
    assert added.status_code == 200 and "<html" not in html and 'id="report"' in html
    assert str(escape(SCRIPT)) + "越来越严重了" in html and SCRIPT not in html
    plain = client.post(f"/r/{submission.token}/remark", data={"text": "补充：三楼也漏"})
    assert plain.status_code == 303 and plain.headers["Location"] == f"/r/{submission.token}#timeline"
    empty = client.post(f"/r/{submission.token}/remark", data={"text": "  "}, headers=HX)
    assert empty.status_code == 422 and said(app, "Please write your remark.") in empty.get_data(as_text=True)
    remarks = [e for e in db.session.get(Case, submission.case_id).events if e.action == "remark"]
    assert len(remarks) == 2 and all(e.public and e.user_id is None for e in remarks)


def test_the_rating_form_only_at_the_last_step_then_the_thanks(client, demo, app):
    submission = report(demo)
    token = submission.token
    early = client.post(f"/r/{token}/rate", data={"rating": "satisfied"}, headers=HX)
    assert early.status_code == 409

    walk(db.session.get(Case, submission.case_id), staff(demo), S.rated)
    html = client.get(f"/r/{token}").get_data(as_text=True)
    assert 'id="rating"' in html and 'name="rating" value="fairly_satisfied"' in html
    wrong = client.post(f"/r/{token}/rate", data={"rating": "great"}, headers=HX)
    assert wrong.status_code == 422 and 'data-testid="rate-error"' in wrong.get_data(as_text=True)
    rated = client.post(f"/r/{token}/rate", data={"rating": "dissatisfied", "comment": f"{SCRIPT}太慢"}, headers=HX)
    html = rated.get_data(as_text=True)
    assert rated.status_code == 200 and 'data-testid="rated"' in html and said(app, "Thank you for your rating!") in html
    assert str(escape(SCRIPT)) in html and SCRIPT not in html
    assert 'id="remark"' not in html and 'hx-trigger=' not in html, "closed: no remark, no more polling"
    case = db.session.get(Case, submission.case_id)
    assert not case.is_open and case.rating.value == "dissatisfied"
    again = client.post(f"/r/{token}/rate", data={"rating": "satisfied"}, headers=HX)
    assert again.status_code == 409 and db.session.get(Case, submission.case_id).rating.value == "dissatisfied"


def test_english_on_the_page_when_chosen(client, demo):
    submission = report(demo)
    html = client.get(f"/r/{submission.token}?lang=en").get_data(as_text=True)
    assert "Reference number" in html and "Open talk" in html and "Neighbours" in html


# ---- photos ---------------------------------------------------------------------------------------------

def test_photos_go_to_the_token_holder_only(client, demo):
    mine = report(demo, photos=[jpeg(gps=True)])
    theirs = report(demo, photos=[png()])
    photo = db.session.scalar(select(CasePhoto).where(CasePhoto.case_id == mine.case_id))

    shown = client.get(f"/r/{mine.token}/photos/{photo.token}")
    assert shown.status_code == 200 and shown.mimetype == "image/jpeg"
    assert shown.headers["X-Content-Type-Options"] == "nosniff" and "sandbox" in shown.headers["Content-Security-Policy"]
    assert "private" in shown.headers["Cache-Control"]
    with Image.open(io.BytesIO(shown.data)) as image:
        assert image.format == "JPEG" and not image.getexif()
    assert client.get(f"/r/{theirs.token}/photos/{photo.token}").status_code == 404
    assert client.get(f"/r/AAAAAAAAAAAAAAAAAAAAAA/photos/{photo.token}").status_code == 404
    assert client.get(f"/r/{mine.token}/photos/AAAAAAAAAAAAAAAAAAAAAA").status_code == 404


def test_photos_go_to_staff_who_may_see_the_case(client, demo):
    submission = report(demo, photos=[jpeg()])
    photo = db.session.scalar(select(CasePhoto))
    url = f"/staff/case-photos/{photo.token}"

    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/admin/login" in anonymous.headers["Location"]
    assert client.get(url, headers=HX).status_code == 401
    login(client, "admin")
    assert client.get(url).status_code == 200
    client.post("/admin/logout")

    case = db.session.get(Case, submission.case_id)
    cases.assign(staff(demo)["admin"], case, staff(demo)["mediator"])
    create_user(demo, "mediator2", "hall-demo-2", "mediator", "老潘")
    login(client, "mediator2", "hall-demo-2")
    assert client.get(url).status_code == 403, "a colleague's case"
    client.post("/admin/logout")
    login(client, "mediator")
    assert client.get(url).status_code == 200, "the case's handler"
    client.post("/admin/logout")

    other = create_hall("other", "别的大厅", "Asia/Shanghai")
    create_user(other, "zhao", "secret-pass", "admin")
    login(client, "zhao", "secret-pass")
    assert client.get(url).status_code == 404, "another hall's"
