"""Residents' own reports and their pictures, called directly: a report opens a case at 开放说事
with the resident as applicant; every field is checked and a refusal saves nothing; the same
request_key gives the same report; photos are checked by their content and kept without EXIF;
the report's page shows the six steps, the public timeline only, masked personal data, and
takes a remark while open and a rating at 群众评事; photos go only to the token holder and to
staff who may see the case."""
from __future__ import annotations

import io

import pytest
from flask_babel import force_locale
from PIL import Image
from sqlalchemy import func, select

from hall import cases, images, reports
from hall.errors import AlreadyRated, FieldsInvalid, Forbidden, Invalid, NotFound, WrongState
from hall.extensions import db
from hall.models import Case, CaseKind, CasePhoto, CaseSource, CaseStep as S, Rating, Submission
from hall.setup import create_hall, create_user
from report_data import (
    PHP, has_gps, jpeg, oversized, plain_png, png, png_header, report, staff, truncated_jpeg, walk,
)


@pytest.fixture
def english(app):
    """Messages in English (the catalogue may not have a new message's Chinese yet)."""
    with force_locale("en"):
        yield


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# ---- pictures (hall/images.py) -----------------------------------------------------------------

def test_a_jpeg_with_a_gps_position_is_kept_without_any_exif(app):
    original = jpeg(gps=True)
    assert has_gps(original) and b"PhoneMaker" in original
    data, mimetype = images.clean_image(original, max_bytes=5 << 20, max_side=1600)
    assert mimetype == "image/jpeg" and b"PhoneMaker" not in data and not has_gps(data)
    with Image.open(io.BytesIO(data)) as stored:
        assert stored.format == "JPEG" and stored.size == (64, 48) and not stored.getexif()


def test_a_png_with_exif_stays_a_png_without_it(app):
    original = png(gps=True)
    assert has_gps(original)
    data, mimetype = images.clean_image(original, max_bytes=5 << 20, max_side=1600)
    assert mimetype == "image/png" and not has_gps(data)
    with Image.open(io.BytesIO(data)) as stored:
        assert stored.format == "PNG" and stored.mode == "RGBA"


def test_a_photo_is_turned_upright_and_shrunk(app):
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to show
    Image.new("RGB", (4000, 3000), (10, 200, 10)).save(out, "JPEG", exif=exif.tobytes())
    data, _ = images.clean_image(out.getvalue(), max_bytes=5 << 20, max_side=1600)
    with Image.open(io.BytesIO(data)) as stored:
        assert stored.size == (1200, 1600), "upright (portrait) and at most 1600 pixels"
        assert not stored.getexif()


@pytest.mark.parametrize("data", [
    PHP,                                                  # a script named photo.jpg
    b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'></svg>",
    b"GIF89a" + b"\0" * 100,
    b"\xff\xd8\xff\xe0" + b"not really a jpeg" * 10,      # a JPEG's first bytes, then nonsense
    jpeg()[:200],                                         # cut short
])
def test_anything_but_a_whole_jpeg_or_png_is_refused_by_its_content(english, data):
    with pytest.raises(Invalid) as caught:
        images.clean_image(data, max_bytes=5 << 20, max_side=1600)
    assert "JPEG or PNG" in str(caught.value.message)


def test_too_large_too_many_pixels_or_nothing_is_refused_with_a_clear_message(english):
    with pytest.raises(Invalid, match="at most 5 MB"):
        images.clean_image(oversized(6), max_bytes=5 << 20, max_side=1600)
    with pytest.raises(Invalid, match="too large: please choose a smaller photo"):
        images.clean_image(jpeg((200, 200)), max_bytes=5 << 20, max_side=1600, max_pixels=10_000)
    with pytest.raises(Invalid, match="choose a photo"):
        images.clean_image(b"", max_bytes=5 << 20, max_side=1600)
    assert images.megabytes(2 * 1024 * 1024) == "2" and images.megabytes(5767168) == "5.5"


def test_a_phone_cameras_12_megapixels_pass_a_6300_by_6300_png_of_a_few_kb_does_not(app):
    data, _ = images.clean_image(plain_png(4080, 3072), max_bytes=5 << 20, max_side=1600)
    with Image.open(io.BytesIO(data)) as stored:
        assert stored.size == (1600, 1205)
    big = plain_png(6300, 6300)
    assert len(big) < 200_000, "small on the wire, 40 megapixels once decoded"
    with pytest.raises(Invalid) as caught:
        images.clean_image(big, max_bytes=5 << 20, max_side=1600)
    assert "照片太大，请换一张较小的照片" in str(caught.value.message)
    with force_locale("en"):
        assert "at most about 12 megapixels" in str(caught.value.message)


@pytest.mark.parametrize("size", [(10_000, 10_000), (20_000, 20_000)], ids=["pillow-warns", "pillow-refuses"])
def test_a_decompression_bomb_gets_its_own_message(english, size):
    """Pillow warns above MAX_IMAGE_PIXELS (89 megapixels) and raises DecompressionBombError
    above twice that: either way the resident reads what it is, not "not a JPEG or PNG"."""
    with pytest.raises(Invalid) as caught:
        images.clean_image(png_header(*size), max_bytes=5 << 20, max_side=1600)
    assert "gigantic picture" in str(caught.value.message)


def test_a_truncated_photo_is_refused_even_after_a_pdf_was_printed(app, monkeypatch):
    """WeasyPrint's import switches Pillow's LOAD_TRUNCATED_IMAGES on for the whole process; the
    first PDF a worker prints imports it. Uploads stay strict all the same."""
    from PIL import ImageFile
    from hall import documents
    cut = truncated_jpeg()
    out = io.BytesIO()
    Image.effect_noise((240, 160), 60).save(out, "PNG")
    noisy_png = out.getvalue()
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", ImageFile.LOAD_TRUNCATED_IMAGES)  # restored after
    assert documents.html_to_pdf("<p>调解</p>").startswith(b"%PDF")
    import weasyprint.images  # noqa: F401  (what switched it on, when this process printed first)
    ImageFile.LOAD_TRUNCATED_IMAGES = True  # as WeasyPrint left it, whichever test printed first
    with Image.open(io.BytesIO(cut)) as lenient:
        lenient.load()  # Pillow alone now takes it, padded with grey
    with force_locale("en"), pytest.raises(Invalid, match="JPEG or PNG"):
        images.clean_image(cut, max_bytes=5 << 20, max_side=1600)
    with force_locale("en"), pytest.raises(Invalid, match="JPEG or PNG"):
        images.clean_image(noisy_png[:len(noisy_png) // 2], max_bytes=5 << 20, max_side=1600)


# ---- filing a report ---------------------------------------------------------------------------

def test_a_report_opens_a_case_at_intake_with_the_resident_as_applicant(demo):
    submission = report(demo, photos=[jpeg(), png()])
    case = submission.case
    assert case.step == S.intake and case.is_open and case.number.startswith("DEMO-")
    assert (case.source, case.kind, case.category) == (CaseSource.phone, CaseKind.complaint, "neighbour")
    assert case.facts == "楼上漏水，天花板发霉。" and case.title == "楼上漏水，天花板发霉。"
    assert [(p.role.value, p.name, p.phone) for p in case.parties] == [("applicant", "张三丰", "13812345678")]
    assert submission.token == case.token and len(submission.token) >= 22 and submission.channel == "phone"
    assert [e.action for e in case.events] == ["opened"] and case.events[0].public
    photos = db.session.scalars(select(CasePhoto).where(CasePhoto.case_id == case.id)).all()
    assert [p.content_type for p in photos] == ["image/jpeg", "image/png"]
    assert all(p.submission_id == submission.id and len(p.token) >= 22 and not has_gps(p.data) for p in photos)


@pytest.mark.parametrize("channel, source, kind, case_kind", [
    ("kiosk", CaseSource.kiosk, "inquiry", CaseKind.inquiry),
    ("api", CaseSource.phone, "suggestion", CaseKind.suggestion),
    ("phone", CaseSource.phone, "complaint", CaseKind.complaint),
])
def test_each_channel_and_kind_maps_to_the_case(demo, channel, source, kind, case_kind):
    case = report(demo, channel=channel, kind=kind).case
    assert (case.source, case.kind) == (source, case_kind)


def test_a_report_without_name_or_phone_has_no_party(demo):
    case = report(demo, name="", phone="").case
    assert case.parties == []


def test_the_same_request_key_gives_the_same_report_in_its_hall(demo):
    first = report(demo, request_key="report-key-1")
    again = report(demo, request_key="report-key-1", description="别的内容")
    other_hall = create_hall("other", "别的大厅", "Asia/Shanghai")
    elsewhere = report(other_hall, request_key="report-key-1")
    assert again.id == first.id and again.case.facts == "楼上漏水，天花板发霉。"
    assert elsewhere.id != first.id
    assert count(Submission) == 2 and count(Case) == 2
    filed = reports.take(demo, kind="complaint", category="other", description="x", request_key="report-key-1")
    assert not filed.created and filed.submission.id == first.id


@pytest.mark.parametrize("values, fields", [
    ({"kind": "praise"}, {"kind"}),
    ({"category": "aliens"}, {"category"}),
    ({"description": "   \n "}, {"description"}),
    ({"description": "长" * 1001}, {"description"}),
    ({"phone": "12345"}, {"phone"}),
    ({"phone": "０１３８１２３４５６７８"}, {"phone"}),  # full-width digits are not a number here
    ({"name": "名" * 41}, {"name"}),
    ({"photos": [jpeg()] * 4}, {"photos"}),
    ({"photos": [jpeg(), PHP]}, {"photos"}),
    ({"photos": [oversized(6)]}, {"photos"}),
    ({"kind": "", "category": "", "description": ""}, {"kind", "category", "description"}),
])
def test_bad_fields_are_refused_each_with_its_message_and_nothing_is_saved(english, demo, values, fields):
    with pytest.raises(FieldsInvalid) as caught:
        report(demo, **values)
    assert set(caught.value.errors) == fields
    assert all(str(m) in str(caught.value.message) for m in caught.value.errors.values())
    db.session.rollback()
    assert count(Submission) == 0 and count(Case) == 0 and count(CasePhoto) == 0


def test_which_photo_is_wrong_is_said(english, demo):
    with pytest.raises(FieldsInvalid) as caught:
        report(demo, photos=[jpeg(), PHP])
    assert str(caught.value.errors["photos"]).startswith("Photo 2:")


def test_control_characters_are_dropped_and_markup_is_kept_as_text(demo):
    case = report(demo, description="<script>alert(1)</script>\x00楼上\r\n漏水", name="<b>王</b>\x07").case
    assert case.facts == "<script>alert(1)</script>楼上\n漏水"
    assert case.parties[0].name == "<b>王</b>"


def test_phrases_compose_the_description_in_the_order_offered(english, demo):
    offered = reports.phrases("complaint", "neighbour")
    codes = [p.code for p in offered]
    assert codes[:4] == ["neighbour.0", "neighbour.1", "neighbour.2", "neighbour.3"] and "complaint.3" in codes
    text = reports.compose("complaint", "neighbour", ["complaint.3", "neighbour.1", "nonsense"], "  三楼  ")
    assert text == "Water leaking from upstairs; Please call me back; 三楼"
    assert reports.compose("complaint", "neighbour", [], "") == ""
    assert all(reports.phrases(k, c) for k in ("complaint", "inquiry", "suggestion") for c in reports.PHRASES)


def test_mobile_and_identity_numbers_in_free_text_are_masked():
    assert reports.mask_text("请打13812345678或 0571-88886666") == "请打138****5678或 0571-88886666"
    assert reports.mask_text("身份证11010519491231002X") == "身份证110105********002X"
    assert reports.mask_text("订单号 213812345678 不是手机") == "订单号 213812345678 不是手机"


# ---- the report's page ---------------------------------------------------------------------------

def test_the_page_shows_six_steps_the_public_timeline_and_masked_data(demo):
    submission = report(demo, description="请联系13812345678")
    users = staff(demo)
    case = submission.case
    cases.reply(users["admin"], case, "内部备注：先打电话", public=False)
    cases.reply(users["admin"], case, "已收到，我们会联系物业。", public=True)
    screen = reports.page(submission.token)
    assert [s.state for s in screen.steps] == ["current", "todo", "todo", "todo", "todo", "todo"]
    assert [e.action for e in screen.timeline] == ["reply", "opened"], "newest first, no private note"
    assert screen.timeline[0].text == "已收到，我们会联系物业。" and not screen.timeline[0].by_resident
    assert screen.applicant == "张** 138****5678"
    assert screen.description == "请联系138****5678"
    assert screen.can_remark and not screen.can_rate and not screen.rated


def test_a_remark_while_open_a_rating_only_at_the_last_step_then_closed(demo):
    submission = report(demo)
    users = staff(demo)
    token = submission.token
    before = reports.stamp(token)
    screen = reports.add_remark(token, "  漏水越来越严重了  ")
    assert screen.timeline[0].action == "remark" and screen.timeline[0].by_resident
    assert screen.timeline[0].text == "漏水越来越严重了"
    assert reports.stamp(token) != before, "the page's poll sees the change"
    with pytest.raises(Invalid):
        reports.add_remark(token, "   ")
    db.session.rollback()
    with pytest.raises(WrongState):
        reports.give_rating(token, "satisfied")
    db.session.rollback()

    walk(db.session.get(Case, submission.case_id), users, S.rated)
    screen = reports.page(token)
    assert screen.can_rate and [s.state for s in screen.steps][-1] == "current"
    assert [e.heading for e in screen.timeline if e.action == "moved"][0] == "进入“群众评事”"
    with pytest.raises(Invalid):
        reports.give_rating(token, "great")
    db.session.rollback()
    screen = reports.give_rating(token, "fairly_satisfied", "维修有点慢")
    assert screen.rated and not screen.is_open and not screen.can_rate and not screen.can_remark
    assert screen.case.rating == Rating.fairly_satisfied and screen.rating_comment == "维修有点慢"
    assert all(s.state == "done" for s in screen.steps)
    with pytest.raises(AlreadyRated):
        reports.give_rating(token, "satisfied")
    db.session.rollback()
    with pytest.raises(WrongState):
        reports.add_remark(token, "还有一件事")


@pytest.mark.parametrize("token", ["", "x", "A" * 22, "../../etc/passwd", "A" * 44])
def test_unknown_and_malformed_tokens_are_not_found(demo, token):
    report(demo)
    with pytest.raises(NotFound):
        reports.page(token)
    with pytest.raises(NotFound):
        reports.stamp(token)


def test_photos_go_to_the_token_holder_and_to_staff_who_may_see_the_case(demo):
    mine = report(demo, photos=[jpeg()])
    theirs = report(demo, photos=[png()])
    photo = db.session.scalar(select(CasePhoto).where(CasePhoto.case_id == mine.case_id))
    data, mimetype = reports.photo_for_holder(mine.token, photo.token)
    assert mimetype == "image/jpeg" and data == photo.data
    with pytest.raises(NotFound):
        reports.photo_for_holder(theirs.token, photo.token)  # another report's token
    users = staff(demo)
    assert reports.photo_for_staff(users["admin"], photo.token)[1] == "image/jpeg"
    assert reports.photo_for_staff(users["reception"], photo.token)[1] == "image/jpeg"  # unassigned: to route it
    colleague = create_user(demo, "mediator2", "hall-demo-2", "mediator", "老潘")
    with pytest.raises(Forbidden):
        reports.photo_for_staff(colleague, photo.token)
    other = create_hall("other", "别的大厅", "Asia/Shanghai")
    stranger = create_user(other, "zhao", "secret-pass", "admin")
    with pytest.raises(NotFound):
        reports.photo_for_staff(stranger, photo.token)
