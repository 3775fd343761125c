"""Residents' own reports (我要投诉 / 我要咨询 / 我要建议), from the kiosk, the phone page or the API,
and the report's own page (我的上报) behind its QR code.

A report is a Submission that opens a Case at 开放说事 (hall/cases.py open_case) in the same
transaction: the kind (complaint, inquiry, suggestion), a category from the dispute categories,
a short description, optionally the resident's name and mobile number (the applicant party) and,
from a phone, up to three photos checked by their content and stored without metadata
(hall/images.py). The same request_key twice gives the same report (a double tap, a retried
request). The reference number is the case's number; the page's token is the case's token
(128 random bits), so a case opened at the desk has the same page.

Everything is checked before anything is saved: bad input raises FieldsInvalid, whose `errors`
map each wrong field to a message in the reader's language, and saves nothing.

The page shows where the case stands (the six steps), its public timeline, the photos, and lets
the resident add a remark while it is open and rate it once it reaches 群众评事. It never shows a
phone number or a full name: mobile and identity numbers typed into any text are masked too.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable, Sequence

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from . import cases, queue
from .api_tickets import Allowance, spend_allowance
from .categories import CATEGORIES, category_label
from .errors import AlreadyRated, FieldsInvalid, Invalid, NotFound
from .extensions import db
from .images import clean_image
from .models import (
    Case, CaseEvent, CaseKind, CasePhoto, CaseSource, CaseStep, Hall, Submission,
    SubmissionKind, User,
)
from .people import clean_phone, mask_addresses_in, mask_name, mask_phone

DESCRIPTION_MAX = 1000
NAME_MAX = 40
TITLE_MAX = 60
PHOTOS_MAX = 3
PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_MAX_SIDE = 1600
# The phone form's whole request: the photos at their limit and the fields around them.
REQUEST_MAX = PHOTOS_MAX * PHOTO_MAX_BYTES + 256 * 1024

TOKEN = re.compile(r"[A-Za-z0-9_-]{16,43}")

KINDS: dict[SubmissionKind, CaseKind] = {
    SubmissionKind.complaint: CaseKind.complaint,
    SubmissionKind.inquiry: CaseKind.inquiry,
    SubmissionKind.suggestion: CaseKind.suggestion,
}
# What the resident taps: 我要投诉 / 我要咨询 / 我要建议.
KIND_ACTIONS = {
    SubmissionKind.complaint: _l("I want to complain"),
    SubmissionKind.inquiry: _l("I have a question"),
    SubmissionKind.suggestion: _l("I have a suggestion"),
}
KIND_HINTS = {
    SubmissionKind.complaint: _l("Something is wrong: a service, a neighbour, the neighbourhood"),
    SubmissionKind.inquiry: _l("Ask about the law, a policy or how to get something done"),
    SubmissionKind.suggestion: _l("An idea to make the neighbourhood or this hall better"),
}
# Where a report came in, and the case's source: the API is a phone app's.
CHANNELS = {"kiosk": CaseSource.kiosk, "phone": CaseSource.phone, "api": CaseSource.phone}
# The rate limit's name per channel (the hall's API limit, counted apart): the kiosk stands in
# the hall and is not limited.
LIMITED = {"phone": "phone-reports", "api": "api-submissions"}

# Common phrases a kiosk offers as big buttons (no keyboard, no pinyin): each tap adds one to the
# description. Per category, then a few for the kind of report.
PHRASES: dict[str, tuple] = {
    "family": (_l("Quarrels between husband and wife"), _l("Divorce and child custody"),
               _l("Supporting elderly parents"), _l("Dividing an inheritance")),
    "neighbour": (_l("Noise from neighbours"), _l("Water leaking from upstairs"),
                  _l("Things piled up in the corridor"), _l("Pets causing trouble")),
    "housing": (_l("Rent or deposit"), _l("Repairs and quality of the house"), _l("Boundary of a homestead"),
                _l("Buying or selling a home")),
    "contract": (_l("Money owed to me"), _l("The other side broke the contract"),
                 _l("Decoration or repair work"), _l("A loan between people")),
    "business": (_l("A shop disturbs residents"), _l("Dispute between business partners"),
                 _l("Order at a stall or market"), _l("Farming or breeding")),
    "damages": (_l("I was injured"), _l("My things were damaged"), _l("Hurt by a pet"),
                _l("Who pays for the repair")),
    "land": (_l("Boundary of a field or forest"), _l("Land contract"), _l("Use of collective land"),
             _l("Trees or crops damaged")),
    "demolition": (_l("Amount of compensation"), _l("Resettlement housing"), _l("How the demolition is done"),
                   _l("Moving costs")),
    "pollution": (_l("Noise from a factory or building site"), _l("Smoke, smell or dust"),
                  _l("Dirty water or rubbish"), _l("Glaring lights at night")),
    "labour": (_l("Unpaid wages"), _l("Injured at work"), _l("No labour contract"), _l("Dismissed unfairly"),
               _l("Social insurance not paid")),
    "consumer": (_l("Poor quality goods"), _l("Refund refused"), _l("Prepaid card: the shop closed"),
                 _l("Misleading advertising")),
    "medical": (_l("Treatment went wrong"), _l("Medical bills"), _l("Attitude of medical staff"),
                _l("Medical records")),
    "traffic": (_l("Collision with a car"), _l("E-bike or bicycle accident"), _l("Compensation after an accident"),
                _l("Insurance claim")),
    "property": (_l("Property management fees"), _l("Parking"), _l("Lift, water or power out of order"),
                 _l("Security and cleaning")),
    "cityscape": (_l("Illegal building"), _l("Stalls blocking the road"), _l("Rubbish not cleared"),
                  _l("Broken street lamp or road")),
    "other": (_l("A problem in daily life"), _l("About this hall's service"), _l("About a government office")),
}
KIND_PHRASES: dict[SubmissionKind, tuple] = {
    SubmissionKind.complaint: (_l("It has gone on for a long time"), _l("I reported it before; nothing changed"),
                               _l("Please send someone to look"), _l("Please call me back")),
    SubmissionKind.inquiry: (_l("How do I go about it?"), _l("Which office is in charge?"),
                             _l("What are my rights?"), _l("Please call me back")),
    SubmissionKind.suggestion: (_l("It would help many residents"), _l("Please consider it"),
                                _l("I am willing to help")),
}


@dataclass(frozen=True)
class Phrase:
    code: str   # neighbour.1, complaint.0: what a form sends
    label: str


def kind_of(raw) -> SubmissionKind:
    try:
        return SubmissionKind(str(raw or ""))
    except ValueError:
        raise NotFound() from None


def category_of(raw) -> str:
    code = str(raw or "")
    if code not in CATEGORIES:
        raise NotFound()
    return code


def phrases(kind: SubmissionKind | str, category: str) -> list[Phrase]:
    """The phrases a kiosk offers for this kind and category, in the reader's language."""
    kind = SubmissionKind(kind)
    found = [Phrase(f"{category}.{i}", str(label)) for i, label in enumerate(PHRASES.get(category, ()))]
    found += [Phrase(f"{kind.value}.{i}", str(label)) for i, label in enumerate(KIND_PHRASES[kind])]
    return found


def compose(kind: SubmissionKind | str, category: str, codes: Iterable[str], text: str = "") -> str:
    """The description from the phrases tapped (in the order offered, each once; unknown codes
    are ignored) and whatever was written, in the reader's language: 楼上漏水；请给我回电话；…"""
    try:
        offered = phrases(kind, category)
    except ValueError:
        offered = []
    chosen = set(codes or ())
    parts = [p.label for p in offered if p.code in chosen]
    written = _plain(text)
    if written:
        parts.append(written)
    return _("; ").join(parts)


# ---- checking what residents send ------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # keeps \t and \n


def _plain(raw) -> str:
    """Text as typed, without control characters (a NUL makes PostgreSQL fail) or outer space."""
    return _CONTROL.sub("", str(raw or "").replace("\r\n", "\n").replace("\r", "\n")).strip()


def _one_line(raw) -> str:
    return " ".join(_plain(raw).split())


def clean_key(raw) -> str | None:
    """A request_key worth remembering: 8 to 64 visible ASCII characters, else none."""
    key = str(raw or "").strip()
    return key if queue.REQUEST_KEY.fullmatch(key) else None


@dataclass
class Draft:
    """A report checked and ready to file."""
    kind: SubmissionKind
    category: str
    description: str
    name: str = ""
    phone: str | None = None
    photos: list[tuple[bytes, str]] = field(default_factory=list)


def clean(kind, category, description, name="", phone="", photos: Sequence[bytes | None] = ()) -> Draft:
    """Check every field at once; FieldsInvalid maps each wrong one to its message."""
    errors: dict[str, object] = {}
    try:
        kind = SubmissionKind(str(kind or ""))
    except ValueError:
        errors["kind"] = _l("Please choose: a complaint, a question or a suggestion.")
    category = str(category or "").strip()
    if category not in CATEGORIES:
        errors["category"] = _l("Please choose a category from the list.")
    description = _plain(description)
    if not description:
        errors["description"] = _l("Please tell us in a few words what it is about.")
    elif len(description) > DESCRIPTION_MAX:
        errors["description"] = _l("At most %(n)s characters, please.", n=DESCRIPTION_MAX)
    name = _one_line(name)
    if len(name) > NAME_MAX:
        errors["name"] = _l("At most %(n)s characters, please.", n=NAME_MAX)
    try:
        phone = clean_phone(_one_line(phone))
    except Invalid as error:
        errors["phone"] = error.message
    cleaned: list[tuple[bytes, str]] = []
    given = [data for data in photos or () if data]  # an empty file input sends nothing
    if len(given) > PHOTOS_MAX:
        errors["photos"] = _l("At most %(n)s photos, please.", n=PHOTOS_MAX)
    else:
        for number, data in enumerate(given, 1):
            try:
                cleaned.append(clean_image(data, max_bytes=PHOTO_MAX_BYTES, max_side=PHOTO_MAX_SIDE))
            except Invalid as error:
                problem = _l("Photo %(n)s: %(problem)s", n=number, problem=error.message)
                errors["photos"] = problem if "photos" not in errors else f"{errors['photos']} {problem}"
    if errors:
        raise FieldsInvalid(errors, _summary(errors))
    return Draft(kind=kind, category=category, description=description, name=name, phone=phone, photos=cleaned)


def _summary(errors: dict) -> str:
    """One sentence for a reader who sees no form (the API): every problem, in field order."""
    return " ".join(str(message) for message in errors.values())


# ---- filing --------------------------------------------------------------------------------

@dataclass
class Filed:
    submission: Submission
    created: bool
    allowance: Allowance | None = None

    @property
    def case(self) -> Case:
        return self.submission.case


def existing(hall: Hall, request_key: str | None) -> Submission | None:
    key = clean_key(request_key)
    if key is None:
        return None
    return db.session.scalar(select(Submission).where(Submission.hall_id == hall.id, Submission.request_key == key))


def _title(description: str) -> str:
    first = description.split("\n", 1)[0].strip()
    return first if len(first) <= TITLE_MAX else first[:TITLE_MAX - 1] + "…"


def _spend(hall: Hall, channel: str, client: str | None) -> Allowance | None:
    if client is None or channel not in LIMITED:
        return None
    return spend_allowance(hall, client, LIMITED[channel])


def file(hall: Hall, draft: Draft, *, channel: str = "kiosk", request_key: str | None = None) -> Filed:
    """Open the case and save the report and its photos, in one transaction (one commit). The
    caller (take) has looked for an earlier report of the same key; one filed meanwhile by
    another worker is found when the key's unique index refuses this one."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    key = clean_key(request_key)
    parties = ([{"role": "applicant", "name": draft.name, "phone": draft.phone or ""}]
               if draft.name or draft.phone else [])
    case = cases.open_case(hall, source=CHANNELS[channel], kind=KINDS[draft.kind], category=draft.category,
                           title=_title(draft.description), facts=draft.description, parties=parties,
                           commit=False)
    submission = Submission(hall_id=hall.id, case=case, kind=draft.kind, channel=channel, token=case.token,
                            request_key=key, created_at=case.created_at)
    db.session.add(submission)
    for data, content_type in draft.photos:
        db.session.add(CasePhoto(case_id=case.id, submission=submission, token=secrets.token_urlsafe(16),
                                 data=data, content_type=content_type, created_at=case.created_at))
    try:
        db.session.commit()
    except IntegrityError:
        # The same key from a second worker at the same moment: the first one's report.
        db.session.rollback()
        earlier = existing(hall, key)
        if earlier is None:
            raise
        return Filed(earlier, False)
    return Filed(submission, True)


@dataclass
class Checked:
    """A report checked outside any transaction (check): the draft, or why it is refused."""
    draft: Draft | None = None
    refusal: FieldsInvalid | None = None

    def ready(self) -> Draft:
        if self.refusal is not None:
            raise self.refusal
        return self.draft


def check(kind, category, description, name="", phone="", photos: Sequence[bytes | None] = ()) -> Checked:
    """clean() without raising and without the database: the photos are decoded and re-encoded
    here (a second of CPU for large ones), so a caller calls it before its request's first query,
    which on SQLite takes the write lock (hall/engine.py): the hall's tickets never wait for it."""
    try:
        return Checked(draft=clean(kind, category, description, name, phone, photos))
    except FieldsInvalid as refusal:
        return Checked(refusal=refusal)


def take(hall: Hall, *, kind=None, category=None, description=None, name="", phone="",
         photos: Sequence[bytes | None] = (), channel: str = "kiosk", request_key: str | None = None,
         client: str | None = None, checked: Checked | None = None) -> Filed:
    """Check and file a report; `checked` (check's answer) instead of the fields when they were
    checked before the transaction. A request_key seen before in this hall gives that earlier
    report, whatever else the repeat says. With `client` (an address), a phone or API report
    counts against the hall's API limit once it is known to be well-formed (a refused one spends
    nothing); over the limit: TooManyTickets (429)."""
    if checked is None:
        checked = check(kind, category, description, name, phone, photos)
    earlier = existing(hall, request_key)
    if earlier is not None:
        return Filed(earlier, False, _spend(hall, channel, client))
    draft = checked.ready()
    allowance = _spend(hall, channel, client)
    filed = file(hall, draft, channel=channel, request_key=request_key)
    filed.allowance = allowance
    return filed


def submit(hall: Hall, kind, category, description, name="", phone="", photos: Sequence[bytes | None] = (),
           channel: str = "kiosk", request_key: str | None = None) -> Submission:
    """A report filed (or the earlier one of the same request_key)."""
    return take(hall, kind=kind, category=category, description=description, name=name, phone=phone,
                photos=photos, channel=channel, request_key=request_key).submission


# ---- reading a report ----------------------------------------------------------------------

def _token(raw) -> str:
    token = str(raw or "")
    if not TOKEN.fullmatch(token):
        raise NotFound(_l("There is no such case."))
    return token


def case_by_token(token: str) -> Case:
    return cases.by_token(_token(token))


def submission_by_token(token: str) -> Submission:
    found = db.session.scalar(select(Submission).where(Submission.token == _token(token)))
    if found is None:
        raise NotFound(_l("There is no such case."))
    return found


def stamp(token: str) -> str:
    """What the page depends on, in one indexed read: its step, whether it is closed or rated,
    and its latest timeline entry. The poll answers 304 while it stays the same."""
    latest = select(func.max(CaseEvent.id)).where(CaseEvent.case_id == Case.id).scalar_subquery()
    row = db.session.execute(
        select(Case.id, Case.step, Case.closed_at, Case.rating, latest).where(Case.token == _token(token))).first()
    if row is None:
        raise NotFound(_l("There is no such case."))
    case_id, step, closed_at, rating, event = row
    return f"r{case_id}.{CaseStep(step).value}.{int(closed_at is not None)}.{rating.value if rating else ''}.{event or 0}"


_MOBILE_IN_TEXT = re.compile(r"(?<![0-9])(1[3-9][0-9])[0-9]{4}([0-9]{4})(?![0-9])")
_ID_IN_TEXT = re.compile(r"(?<![0-9])([0-9]{6})[0-9]{8}([0-9]{3}[0-9Xx])(?![0-9A-Za-z])")


def mask_text(text: str) -> str:
    """Free text for a public page: mobile numbers as 138****1234, identity numbers as
    330102********1234, an address's building and door as ****."""
    text = _ID_IN_TEXT.sub(lambda m: m.group(1) + "*" * 8 + m.group(2), text or "")
    return mask_addresses_in(_MOBILE_IN_TEXT.sub(lambda m: m.group(1) + "****" + m.group(2), text))


@dataclass
class Entry:
    """One public timeline entry as the resident reads it."""
    at: datetime
    step: CaseStep
    step_label: str
    action: str
    heading: str
    text: str
    by_resident: bool




def _heading(event: CaseEvent) -> str:
    headings = {
        "opened": _l("Received"), "reply": _l("Reply from the hall"), "remark": _l("Your remark"),
        "outcome": _l("Outcome"), "declined": _l("Not accepted"), "withdrawn": _l("Withdrawn"),
        "rated": _l("Your rating"), "closed": _l("Closed"),
    }
    if event.action == "moved":
        return _("Moved on to %(step)s", step=cases.step_label(event.step))
    return str(headings.get(event.action, _l("Update")))


def _entry_text(event: CaseEvent) -> str:
    text = event.text or ""
    if event.action == "opened":
        return ""  # the channel's name, as staff read it; the heading says enough
    if event.action == "moved":
        text = text.split("\n", 1)[1] if "\n" in text else ""  # "A → B" is the heading, in the reader's language
    return mask_text(text.strip())


def timeline(case: Case) -> list[Entry]:
    """The public timeline (cases.public_timeline), newest first."""
    return [Entry(at=e.at, step=e.step, step_label=cases.step_label(e.step), action=e.action,
                  heading=_heading(e), text=_entry_text(e), by_resident=e.user_id is None and e.action != "opened")
            for e in reversed(cases.public_timeline(case))]


@dataclass
class ReportPage:
    case: Case
    submission: Submission | None
    steps: list[cases.StepView]
    timeline: list[Entry]
    photos: list[CasePhoto]

    @property
    def hall(self) -> Hall:
        return self.case.hall

    @property
    def token(self) -> str:
        return self.case.token

    @property
    def number(self) -> str:
        return self.case.number

    @property
    def kind_label(self) -> str:
        return str(cases.KIND_LABELS[self.case.kind])

    @property
    def category_label(self) -> str:
        return category_label(self.case.category)

    @property
    def step_label(self) -> str:
        return cases.step_label(self.case.step)

    @property
    def is_open(self) -> bool:
        return self.case.is_open

    @property
    def outcome_label(self) -> str:
        return str(cases.OUTCOME_LABELS[self.case.outcome]) if self.case.outcome else ""

    @property
    def description(self) -> str:
        return mask_text(self.case.facts)

    @property
    def can_remark(self) -> bool:
        return self.case.is_open

    @property
    def can_rate(self) -> bool:
        """群众评事: the last step reached, not rated yet (cases.rate closes the case)."""
        return self.case.is_open and self.case.step == CaseStep.rated and self.case.rating is None

    @property
    def rated(self) -> bool:
        return self.case.rating is not None

    @property
    def rating_label(self) -> str:
        return cases.rating_label(self.case.rating)

    @property
    def rating_comment(self) -> str:
        return mask_text(self.case.rating_comment)

    @property
    def applicant(self) -> str:
        """张* 138****5678: who filed it, masked; empty for an anonymous report."""
        for party in self.case.parties:
            if party.role.value == "applicant":
                phone = mask_phone(party.phone) if len(party.phone) == 11 else ("****" if party.phone else "")
                return " ".join(part for part in (mask_name(party.name), phone) if part)
        return ""


def page(token: str) -> ReportPage:
    case = case_by_token(token)
    submission = case.submission
    photos = list(db.session.scalars(select(CasePhoto).where(CasePhoto.case_id == case.id).order_by(CasePhoto.id)))
    return ReportPage(case=case, submission=submission, steps=cases.progress(case), timeline=timeline(case), photos=photos)


def add_remark(token: str, text: str) -> ReportPage:
    """The resident's remark while the case is open (cases.remark: Invalid, WrongState)."""
    case = case_by_token(token)
    cases.remark(case, _plain(text))
    return page(token)


def give_rating(token: str, rating, comment: str = "") -> ReportPage:
    """群众评事 on the resident's own page: only at the last step, once (WrongState otherwise)."""
    case = case_by_token(token)
    if case.rating is not None:
        raise AlreadyRated(_l("You have rated this already. Thank you!"))
    cases.rate(case, rating, _plain(comment))
    return page(token)


# ---- photos --------------------------------------------------------------------------------

def _photo(photo_token: str) -> CasePhoto:
    found = db.session.scalar(select(CasePhoto).where(CasePhoto.token == _token(photo_token)))
    if found is None:
        raise NotFound()
    return found


def photo_for_holder(token: str, photo_token: str) -> tuple[bytes, str]:
    """A report's photo for whoever holds the report's token; NotFound for any other pairing."""
    case = case_by_token(token)
    photo = _photo(photo_token)
    if photo.case_id != case.id:
        raise NotFound()
    return photo.data, photo.content_type


def photo_for_staff(user: User, photo_token: str) -> tuple[bytes, str]:
    """A report's photo for staff who may see its case (cases.case_for: NotFound for another
    hall's, Forbidden for a colleague's)."""
    photo = _photo(photo_token)
    cases.case_for(user, photo.case_id)
    return photo.data, photo.content_type


# ---- the API's view --------------------------------------------------------------------------

def status_of(case: Case) -> str:
    return "open" if case.is_open else "closed"
