"""Cases (事项) and the six-step closed loop: opening a case from any channel, its numbers, the
moves from step to step and what each needs, declining, withdrawing, sessions, the outcome and
the agreement, follow-ups, the resident's rating, reassigning, who may see what, overdue steps,
and the audit log of every move and every view of personal data.

The loop (DESIGN.md): 开放说事 intake → 分类理事 sorted → 多方议事 deliberating → 党群办事 acting →
跟踪督事 following_up → 群众评事 rated. A case moves one step at a time, forward only; each move
needs what its step is for, and leaves a timeline entry (who, when, what). It closes with an
outcome: at the last step (rated by the resident, or closed by staff), declined at the first two
steps (with the reason and the other channels told), or withdrawn at any step.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, Mapping

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload

from . import clock, inputs, queue
from .categories import CATEGORIES
from .errors import FieldsInvalid, Forbidden, Invalid, NotFound, WrongState
from .extensions import db
from .models import (
    CASE_STEPS, Appointment, AuditEntry, Case, CaseEvent, CaseKind, CaseOutcome, CaseParty, CaseSequence,
    CaseSource, CaseStep, FollowUp, Hall, PartyRole, Rating, Role, Ticket, TicketStatus, User,
)
from .people import clean_contact_phone, clean_id_number, mask_address, mask_id_number, mask_phone, printed_name

S = CaseStep

# ---- words ---------------------------------------------------------------------------------

STEP_LABELS = {
    S.intake: _l("Open talk"),                 # 开放说事
    S.sorted: _l("Sorting"),                   # 分类理事
    S.deliberating: _l("Deliberation"),        # 多方议事
    S.acting: _l("Action"),                    # 党群办事
    S.following_up: _l("Follow-up"),           # 跟踪督事
    S.rated: _l("Residents' rating"),          # 群众评事
}
OUTCOME_LABELS = {
    CaseOutcome.success: _l("Mediated successfully"),   # 调解成功
    CaseOutcome.failed: _l("Mediation failed"),          # 调解不成
    CaseOutcome.withdrawn: _l("Withdrawn"),              # 撤回
    CaseOutcome.referred: _l("Referred"),                # 转办
    CaseOutcome.declined: _l("Not accepted"),            # 不予受理
    CaseOutcome.answered: _l("Answered"),                # 已答复
}
SOURCE_LABELS = {
    CaseSource.visit: _l("Visit"), CaseSource.appointment: _l("Appointment"),
    CaseSource.kiosk: _l("Kiosk report"), CaseSource.phone: _l("Phone report"),
    CaseSource.staff: _l("Staff entry"), CaseSource.police: _l("Referred by the police"),
    CaseSource.court: _l("Referred by the court"), CaseSource.government: _l("Referred by the government"),
}
KIND_LABELS = {
    CaseKind.dispute: _l("Dispute"), CaseKind.petition: _l("Petition"), CaseKind.complaint: _l("Complaint"),
    CaseKind.inquiry: _l("Inquiry"), CaseKind.suggestion: _l("Suggestion"),
}
ROLE_LABELS = {
    PartyRole.applicant: _l("Applicant"),      # 申请人
    PartyRole.respondent: _l("Respondent"),    # 被申请人
    PartyRole.other: _l("Other party"),        # 其他
}
# The other ways a resident can go when mediation cannot help (told when declining or failing).
CHANNELS = {
    "litigation": _l("a lawsuit at the people's court"),          # 诉讼
    "arbitration": _l("arbitration"),                               # 仲裁
    "labour_arbitration": _l("labour dispute arbitration"),         # 劳动仲裁
    "administrative_review": _l("administrative reconsideration"),  # 行政复议
    "petition": _l("a letter or visit to the petition office"),     # 信访
    "legal_aid": _l("legal aid"),                                   # 法律援助
}

# A step open longer than this many days is overdue, unless the hall sets its own (Hall.case_step_days).
STEP_DAYS = {S.intake: 1, S.sorted: 3, S.deliberating: 15, S.acting: 15, S.following_up: 30, S.rated: 7}
TEXT_MAX = 5000
SHORT_MAX = 200


def step_label(step: CaseStep | str) -> str:
    return str(STEP_LABELS[CaseStep(step)])


def step_number(step: CaseStep | str) -> int:
    """1 … 6."""
    return CASE_STEPS.index(CaseStep(step)) + 1


def next_step(step: CaseStep) -> CaseStep | None:
    position = CASE_STEPS.index(step)
    return CASE_STEPS[position + 1] if position + 1 < len(CASE_STEPS) else None


def step_days(hall: Hall, step: CaseStep) -> int:
    own = (hall.case_step_days or {}).get(step.value)
    return int(own) if own else STEP_DAYS[step]


def case_code(hall: Hall) -> str:
    return (hall.case_code or hall.slug).upper()


# ---- checking what staff and residents type ----------------------------------------------

def _text(raw, limit: int, field: str, errors: dict | None = None, required=None) -> str:
    text = str(raw or "").replace("\r\n", "\n").strip()
    problem = None
    if required is not None and not text:
        problem = required
    elif len(text) > limit:
        problem = _l("At most %(n)s characters, please.", n=limit)
    if problem is not None:
        if errors is None:
            raise Invalid(problem)
        errors[field] = problem
    return text


def clean_category(raw) -> str:
    code = str(raw or "").strip()
    if code not in CATEGORIES:
        raise Invalid(_l("Please choose a category from the list."))
    return code


def clean_parties(rows: Iterable[Mapping]) -> list[dict]:
    """The parties as typed: a name (or, for an anonymous report, a phone) each; roles from the
    list; phone and identity number checked. Rows left wholly empty are dropped."""
    parties = []
    for index, row in enumerate(rows):
        values = {k: str(row.get(k) or "").strip() for k in ("name", "role", "phone", "id_number", "address")}
        if not any(values.values()) or values.keys() == {"role"}:
            continue
        if not values["name"] and not values["phone"]:
            if values["id_number"] or values["address"]:
                raise Invalid(_l("Please give each party a name or a phone number."))
            continue
        try:
            role = PartyRole(values["role"] or "applicant")
        except ValueError:
            raise Invalid(_l("Please choose each party's role from the list.")) from None
        parties.append({
            "position": index, "role": role, "name": _text(values["name"], 60, "name"),
            "phone": clean_contact_phone(values["phone"]), "id_number": clean_id_number(values["id_number"]),
            "address": _text(values["address"], SHORT_MAX, "address"),
        })
    return parties


# ---- the log of who did and saw what -------------------------------------------------------

def audit(hall_id: int, user: User | None, action: str, case: Case | None = None, detail: str = "") -> None:
    address = ""
    if has_request_context():
        address = (request.remote_addr or "")[:64]
    db.session.add(AuditEntry(hall_id=hall_id, at=clock.now(), user_id=user.id if user else None,
                              case_id=case.id if case is not None else None, action=action,
                              detail=detail[:2000], address=address))


def _event(case: Case, user: User | None, action: str, text: str = "", *, public: bool = False,
           step: CaseStep | None = None) -> CaseEvent:
    event = CaseEvent(case=case, at=clock.now(), user_id=user.id if user else None, step=step or case.step,
                      action=action, text=text, public=public)
    db.session.add(event)
    return event


# ---- who may see and do what ---------------------------------------------------------------

def can_see(user: User, case: Case) -> bool:
    """Admins see every case of their hall; a mediator their own; reception the cases they opened
    and those still waiting for a handler (to route them)."""
    if case.hall_id != user.hall_id:
        return False
    if user.role == Role.admin:
        return True
    if user.role == Role.mediator:
        return case.handler_id == user.id
    return case.created_by_id == user.id or case.handler_id is None or case.handler_id == user.id


def can_reveal(user: User, case: Case) -> bool:
    """Who may see a party's full phone and identity number: an admin, or the case's handler."""
    return case.hall_id == user.hall_id and (user.role == Role.admin or case.handler_id == user.id)


def can_work(user: User, case: Case) -> bool:
    """Who records a case's steps (moves, sessions, the outcome, follow-ups, closing): its
    handler or an administrator. Reception routes, corrects, notes and declines; it does not
    mediate."""
    return case.hall_id == user.hall_id and (user.role == Role.admin or case.handler_id == user.id)


def _must_work(user: User | None, case: Case) -> None:
    if user is not None and not can_work(user, case):
        raise Forbidden(_l("Only the case's handler or an administrator may record its steps."))


def case_for(user: User, case_id: int) -> Case:
    """A case the user may open: NotFound for another hall's, Forbidden for a colleague's."""
    case = db.session.get(Case, case_id)
    if case is None or case.hall_id != user.hall_id:
        raise NotFound(_l("There is no such case."))
    if not can_see(user, case):
        raise Forbidden(_l("This case is handled by a colleague. Ask an administrator to reassign it."))
    return case


def by_number(hall: Hall | None, number: str) -> Case:
    query = select(Case).where(Case.number == (number or "").strip().upper())
    if hall is not None:
        query = query.where(Case.hall_id == hall.id)
    case = db.session.scalar(query)
    if case is None:
        raise NotFound(_l("There is no such case."))
    return case


def by_token(token: str) -> Case:
    case = db.session.scalar(select(Case).where(Case.token == (token or "")))
    if case is None:
        raise NotFound(_l("There is no such case."))
    return case


@dataclass
class PartyView:
    """A party as a screen or a document shows it: phone, identity number and address masked
    unless the reader asked to see them (and that view was logged)."""
    party: CaseParty
    phone: str
    id_number: str
    address: str

    @property
    def name(self) -> str:
        return self.party.name

    @property
    def role(self) -> PartyRole:
        return self.party.role


def parties_for(case: Case, *, revealed: bool = False) -> list[PartyView]:
    if revealed:
        return [PartyView(p, p.phone, p.id_number, p.address) for p in case.parties]
    return [PartyView(p, mask_phone(p.phone) if len(p.phone) == 11 else _mask_landline(p.phone),
                      mask_id_number(p.id_number), mask_address(p.address)) for p in case.parties]


def _mask_landline(phone: str) -> str:
    return phone[:-4].rstrip("-")[:4] + "****" + phone[-2:] if len(phone) > 6 else ("****" if phone else "")


def reveal(user: User, case: Case) -> list[PartyView]:
    """The parties' full phone and identity numbers and addresses for a staff member allowed to see
    them; the
    view lands in the audit log."""
    if not can_reveal(user, case):
        raise Forbidden(_l("Only the case's handler or an administrator may see full personal data."))
    audit(case.hall_id, user, "case.view_personal", case, case.number)
    db.session.commit()
    return parties_for(case, revealed=True)


# ---- numbers -------------------------------------------------------------------------------

_sequences = CaseSequence.__table__


def _take_number_statement(dialect: str):
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    return upsert(_sequences).on_conflict_do_update(
        index_elements=["hall_id", "year"], set_={"last_number": _sequences.c.last_number + 1},
    ).returning(_sequences.c.last_number)


_TAKE_NUMBER = {name: _take_number_statement(name) for name in ("postgresql", "sqlite")}


def _next_number(hall: Hall, year: int) -> int:
    """Atomically the next sequence of (hall, year), in the caller's transaction: never reused,
    also when the case is later deleted or its transaction rolled back after commit elsewhere."""
    connection = db.session.connection()
    return connection.execute(_TAKE_NUMBER[connection.dialect.name],
                              {"hall_id": hall.id, "year": year, "last_number": 1}).scalar_one()


def format_number(hall: Hall, year: int, sequence: int) -> str:
    return f"{case_code(hall)}-{year}-{sequence:04d}"


# ---- opening -------------------------------------------------------------------------------

def open_case(hall: Hall, *, source: CaseSource, kind: CaseKind = CaseKind.dispute, category: str = "other",
              title: str = "", facts: str = "", parties: Iterable[Mapping] = (), user: User | None = None,
              handler: User | None = None, ticket: Ticket | None = None, appointment: Appointment | None = None,
              public_text: str = "", commit: bool = True) -> Case:
    """开放说事: register a case from any channel. Its number is taken in the same transaction."""
    category = clean_category(category)
    title = _text(title, 120, "title")
    facts = _text(facts, TEXT_MAX, "facts")
    cleaned = clean_parties(parties)
    if handler is not None and (handler.hall_id != hall.id or not handler.active):
        raise Invalid(_l("Please choose a handler from this hall's staff."))
    moment = clock.now()
    year = clock.local(hall, moment).year
    sequence = _next_number(hall, year)
    case = Case(hall_id=hall.id, number=format_number(hall, year, sequence), year=year, sequence=sequence,
                token=secrets.token_urlsafe(16), source=CaseSource(source), kind=CaseKind(kind), category=category,
                title=title, facts=facts, step=S.intake, step_since=moment, created_at=moment,
                created_by_id=user.id if user else None, handler_id=handler.id if handler else None,
                ticket_id=ticket.id if ticket else None, appointment_id=appointment.id if appointment else None)
    case.parties = [CaseParty(**p) for p in cleaned]
    db.session.add(case)
    db.session.flush()
    _event(case, user, "opened", public_text or str(SOURCE_LABELS[case.source]), public=True)
    if handler is not None:
        _event(case, user, "assigned", str(_l("Handled by %(name)s.", name=handler.display_name or handler.username)))
    audit(hall.id, user, "case.open", case,
          f"{case.number} {case.source.value}" + (f" -> {handler.username}" if handler is not None else ""))
    if commit:
        db.session.commit()
    return case


def _existing(column, value) -> Case | None:
    return db.session.scalar(select(Case).where(column == value))


def open_from_ticket(user: User, ticket: Ticket) -> tuple[Case, bool]:
    """One step at the console: a finished visit becomes a case, the resident as the applicant
    (phone from the ticket, or from its appointment with the name). Returns (case, created); a
    ticket already opened as a case gives that case."""
    if ticket.hall_id != user.hall_id:
        raise NotFound(_l("There is no such ticket."))
    existing = _existing(Case.ticket_id, ticket.id)
    if existing is not None:
        return existing, False
    if ticket.status not in (TicketStatus.called, TicketStatus.serving, TicketStatus.done):
        raise WrongState(_l("Only a visit called in, being served or finished can be opened as a case."))
    appointment = db.session.scalar(select(Appointment).where(Appointment.ticket_id == ticket.id))
    if appointment is not None:
        found = _existing(Case.appointment_id, appointment.id)
        if found is not None:
            return found, False
    name = appointment.name if appointment else ""
    phone = (appointment.phone if appointment else ticket.phone) or ""
    handler = _handler_for(user, appointment)
    queue.bump_version(ticket.hall_id)  # the ticket's phone page, still polling, shows the case
    case = open_case(
        ticket.hall, source=CaseSource.appointment if appointment else CaseSource.visit,
        kind=kind_of_service(ticket.service.code, ticket.service.name_zh), user=user, handler=handler,
        ticket=ticket, appointment=appointment,
        parties=[{"role": "applicant", "name": name, "phone": phone}] if name or phone else [])
    return case, True


def open_from_appointment(user: User, appointment: Appointment) -> tuple[Case, bool]:
    if appointment.hall_id != user.hall_id:
        raise NotFound(_l("There is no such appointment."))
    if appointment.ticket is not None:
        return open_from_ticket(user, appointment.ticket)
    existing = _existing(Case.appointment_id, appointment.id)
    if existing is not None:
        return existing, False
    case = open_case(appointment.hall, source=CaseSource.appointment, user=user,
                     handler=_handler_for(user, appointment), appointment=appointment,
                     parties=[{"role": "applicant", "name": appointment.name, "phone": appointment.phone}])
    return case, True


def _handler_for(user: User, appointment: Appointment | None) -> User | None:
    """Whoever opens it at their own desk handles it; an appointment goes to its adviser's login."""
    if appointment is not None and appointment.adviser.user_id:
        return appointment.adviser.user
    return user if user.role == Role.mediator else None


def kind_of_service(code: str, name: str) -> CaseKind:
    """A visit's kind of case from its service: 信访 → petition, 投诉 → complaint, 咨询 → inquiry,
    建议 → suggestion, anything else a dispute."""
    for word, kind in (("信访", CaseKind.petition), ("投诉", CaseKind.complaint),
                       ("咨询", CaseKind.inquiry), ("建议", CaseKind.suggestion)):
        if word in (name or ""):
            return kind
    return CaseKind.dispute


# ---- editing -------------------------------------------------------------------------------

def update_details(user: User, case: Case, values: Mapping, parties: Iterable[Mapping] | None = None) -> Case:
    """Category, kind, title, facts and the parties, while the case is open."""
    _must_be_open(case)
    errors: dict = {}
    category = str(values.get("category", case.category) or "").strip()
    if category not in CATEGORIES:
        errors["category"] = _l("Please choose a category from the list.")
    kind = _choice(CaseKind, values.get("kind"), case.kind.value)
    if kind is None:
        errors["kind"] = _l("Please choose a kind from the list.")
    title = _text(values.get("title", case.title), 120, "title", errors)
    facts = _text(values.get("facts", case.facts), TEXT_MAX, "facts", errors)
    if errors:
        raise FieldsInvalid(errors)
    cleaned = clean_parties(parties) if parties is not None else None
    case.category, case.kind, case.title, case.facts = category, kind, title, facts
    if cleaned is not None:
        case.parties = [CaseParty(**p) for p in cleaned]
    _event(case, user, "edited", str(_l("Details updated.")))
    audit(case.hall_id, user, "case.edit", case, case.number)
    db.session.commit()
    return case


# ---- moving along the loop -----------------------------------------------------------------

def _must_be_open(case: Case) -> None:
    if not case.is_open:
        raise WrongState(_l("This case is closed."))


def _need_step(case: Case, *steps: CaseStep) -> None:
    _must_be_open(case)
    if case.step not in steps:
        raise WrongState(_l("This cannot be done at the step %(step)s.", step=step_label(case.step)))


def _events_in(case: Case, step: CaseStep, *actions: str) -> list[CaseEvent]:
    return [e for e in case.events if e.step == step and e.action in actions]


def what_is_missing(case: Case) -> str | None:
    """Why the case cannot move on to the next step yet (None: it can)."""
    if not case.is_open:
        return str(_l("This case is closed."))
    if case.step == S.intake:
        if case.handler_id is None:
            return str(_l("Choose a handler first."))
        if not case.parties:
            return str(_l("Add at least one party first."))
    elif case.step == S.deliberating:
        if not _events_in(case, S.deliberating, "session", "reply"):
            return str(_l("Record at least one session (or a reply) first."))
    elif case.step == S.acting:
        if case.outcome is None:
            return str(_l("Record the outcome first."))
    elif case.step == S.following_up:
        if not case.follow_ups and case.outcome in (CaseOutcome.success, CaseOutcome.referred):
            return str(_l("Record at least one follow-up first."))
    elif case.step == S.rated:
        return str(_l("This is the last step: the resident's rating closes the case."))
    return None


def move(user: User, case: Case, to: CaseStep | str, note: str = "") -> Case:
    """Move a case to the next step. Only the next one: a move that skips a step or goes back is
    refused, and so is one whose step is not done yet (what_is_missing)."""
    try:
        target = CaseStep(to)
    except ValueError:
        raise Invalid(_l("There is no such step.")) from None
    _must_be_open(case)
    following = next_step(case.step)
    if target != following:
        raise WrongState(_l("A case moves one step at a time: from %(step)s the next step is %(next)s.",
                            step=step_label(case.step), next=step_label(following) if following else "—"))
    missing = what_is_missing(case)
    if missing:
        raise WrongState(missing)
    _must_work(user, case)
    note = _text(note, TEXT_MAX, "note")
    before = case.step
    case.step, case.step_since = target, clock.now()
    text = str(_l("%(from)s → %(to)s", **{"from": step_label(before), "to": step_label(target)}))
    _event(case, user, "moved", text + (f"\n{note}" if note else ""), public=True, step=target)
    audit(case.hall_id, user, "case.move", case, f"{before.value} -> {target.value}")
    db.session.commit()
    return case


def assign(user: User, case: Case, handler: User | None, note: str = "") -> Case:
    """分类理事: route the case to a handler. Anyone who may see an unassigned case may route it;
    changing an existing handler is an administrator's (reassigning)."""
    _must_be_open(case)
    if handler is None or handler.hall_id != case.hall_id or not handler.active:
        raise Invalid(_l("Please choose a handler from this hall's staff."))
    if case.handler_id is not None and case.handler_id != handler.id and user.role != Role.admin:
        raise Forbidden(_l("Only an administrator may reassign a case."))
    before = case.handler
    case.handler_id = handler.id
    name = printed_name(handler)  # the timeline is printed in the summary: full names
    if before is None:
        text = str(_l("Handled by %(name)s.", name=name))
    else:
        text = str(_l("Reassigned from %(before)s to %(after)s.", before=printed_name(before), after=name))
    note = _text(note, SHORT_MAX, "note")
    _event(case, user, "reassigned" if before else "assigned", text + (f" {note}" if note else ""))
    audit(case.hall_id, user, "case.reassign" if before else "case.assign", case, f"{case.number} -> {handler.username}")
    db.session.commit()
    return case


def _channels(raw) -> str:
    """The other channels told to the resident: codes from CHANNELS (a list) and/or free text."""
    if isinstance(raw, str):
        raw = [raw]
    named = [str(CHANNELS[c]) for c in raw or () if c in CHANNELS]
    free = [str(c).strip() for c in raw or () if c not in CHANNELS and str(c).strip()]
    return "；".join(named + free)[:SHORT_MAX * 5]


def _close(case: Case, user: User | None, outcome: CaseOutcome, text: str, action: str) -> None:
    case.outcome = case.outcome or outcome
    case.closed_at = clock.now()
    _event(case, user, action, text, public=True)
    audit(case.hall_id, user, f"case.{action}", case, f"{case.number} {case.outcome.value}")


def decline(user: User, case: Case, reason: str, channels) -> Case:
    """分类理事: not accepted, with the reason and the other channels the resident can take."""
    _need_step(case, S.intake, S.sorted)
    reason = _text(reason, TEXT_MAX, "reason", required=_l("Please give the reason: the resident will be told."))
    told = _channels(channels)
    if not told:
        raise Invalid(_l("Please name the other channels open to the resident."))
    case.outcome, case.outcome_note, case.other_channels = CaseOutcome.declined, reason, told
    _close(case, user, CaseOutcome.declined,
           str(_l("Not accepted: %(reason)s Other channels: %(channels)s", reason=reason, channels=told)), "declined")
    db.session.commit()
    return case


def withdraw(user: User | None, case: Case, note: str = "") -> Case:
    """撤回: the resident withdraws (told to staff, or on their own page)."""
    _must_be_open(case)
    note = _text(note, TEXT_MAX, "note")
    case.outcome, case.outcome_note = CaseOutcome.withdrawn, note
    _close(case, user, CaseOutcome.withdrawn, str(_l("Withdrawn.")) + (f" {note}" if note else ""), "withdrawn")
    db.session.commit()
    return case


def record_session(user: User, case: Case, text: str) -> CaseEvent:
    """多方议事: the record of one mediation session with the parties."""
    _need_step(case, S.deliberating)
    _must_work(user, case)
    text = _text(text, TEXT_MAX, "text", required=_l("Please write what was said and agreed in the session."))
    event = _event(case, user, "session", text)
    audit(case.hall_id, user, "case.session", case, case.number)
    db.session.commit()
    return event


def reply(user: User, case: Case, text: str, public: bool = False) -> CaseEvent:
    """A note in the timeline; public, it is a reply the resident reads on their page."""
    _must_be_open(case)
    text = _text(text, TEXT_MAX, "text", required=_l("Please write the note."))
    event = _event(case, user, "reply" if public else "note", text, public=public)
    audit(case.hall_id, user, "case.reply" if public else "case.note", case, case.number)
    db.session.commit()
    return event


def record_outcome(user: User, case: Case, values: Mapping) -> Case:
    """党群办事: how it ended, and for a successful mediation the agreement's terms (art. 29)."""
    _need_step(case, S.acting)
    _must_work(user, case)
    errors: dict = {}
    try:
        outcome = CaseOutcome(values.get("outcome") or "")
    except ValueError:
        outcome = None
    if outcome in (None, CaseOutcome.declined, CaseOutcome.withdrawn):
        raise Invalid(_l("Please choose the outcome."))
    note = _text(values.get("outcome_note"), TEXT_MAX, "outcome_note", errors)
    told = _channels(values.get("other_channels")) if outcome == CaseOutcome.failed else ""
    fields = {}
    if outcome == CaseOutcome.success:
        fields = {
            "disputed_matters": _text(values.get("disputed_matters"), TEXT_MAX, "disputed_matters", errors,
                                      required=_l("Please write the main facts and the matters in dispute.")),
            "responsibilities": _text(values.get("responsibilities"), TEXT_MAX, "responsibilities", errors),
            "agreement_terms": _text(values.get("agreement_terms"), TEXT_MAX, "agreement_terms", errors,
                                     required=_l("Please write what the parties agreed.")),
            "performance": _text(values.get("performance"), TEXT_MAX, "performance", errors,
                                 required=_l("Please write how and by when it is carried out.")),
        }
    elif outcome == CaseOutcome.failed and not told:
        errors["other_channels"] = _l("Please name the other channels open to the resident.")
    elif outcome == CaseOutcome.referred and not note:
        errors["outcome_note"] = _l("Please write to whom it was referred.")
    if errors:
        raise FieldsInvalid(errors)
    case.outcome, case.outcome_note, case.other_channels = outcome, note, told
    for field, value in fields.items():
        setattr(case, field, value)
    if outcome == CaseOutcome.success:
        case.agreed_at = clock.now()
    text = str(OUTCOME_LABELS[outcome]) + (f": {note}" if note else "")
    if told:
        text += " " + str(_l("Other channels: %(channels)s", channels=told))
    _event(case, user, "outcome", text, public=True)
    audit(case.hall_id, user, "case.outcome", case, f"{case.number} {outcome.value}")
    db.session.commit()
    return case


def add_follow_up(user: User, case: Case, values: Mapping) -> FollowUp:
    """跟踪督事: a visit or a call after the agreement."""
    _need_step(case, S.following_up)
    _must_work(user, case)
    method = values.get("method") or "call"
    if method not in ("call", "visit"):
        raise Invalid(_l("Please choose a call or a visit."))
    honoured = {"yes": True, "no": False}.get(str(values.get("honoured") or ""), None)
    note = _text(values.get("note"), TEXT_MAX, "note", required=_l("Please write what the follow-up found."))
    follow_up = FollowUp(case=case, at=clock.now(), user_id=user.id, method=method, honoured=honoured, note=note)
    db.session.add(follow_up)
    _event(case, user, "follow_up", note)
    audit(case.hall_id, user, "case.follow_up", case, case.number)
    db.session.commit()
    return follow_up


def rate(case: Case, rating: Rating | str, comment: str = "", user: User | None = None) -> Case:
    """群众评事: the resident rates the case on their page (or staff note the rating they heard on a
    follow-up call), and the case closes."""
    _need_step(case, S.rated)
    _must_work(user, case)
    try:
        rating = Rating(rating)
    except ValueError:
        raise Invalid(_l("Please choose one of the three answers.")) from None
    comment = _text(comment, 500, "comment")
    case.rating, case.rating_comment, case.rated_at = rating, comment, clock.now()
    _close(case, user, case.outcome or CaseOutcome.answered, comment, "rated")
    db.session.commit()
    return case


def close_unrated(user: User, case: Case) -> Case:
    """At the last step, staff close a case the resident did not rate in time."""
    _need_step(case, S.rated)
    _must_work(user, case)
    if not may_close_unrated(case):
        raise WrongState(_l("The resident has %(n)s days to rate it first.", n=step_days(case.hall, S.rated)))
    _close(case, user, case.outcome or CaseOutcome.answered, str(_l("Closed without a rating.")), "closed")
    db.session.commit()
    return case


def may_close_unrated(case: Case, at: datetime | None = None) -> bool:
    """The resident's time to rate is over (the last step's limit)."""
    return (at or clock.now()) - case.step_since >= timedelta(days=step_days(case.hall, S.rated))


def remark(case: Case, text: str) -> CaseEvent:
    """The resident adds a remark on their own page while the case is open."""
    _must_be_open(case)
    text = _text(text, 1000, "text", required=_l("Please write your remark."))
    event = _event(case, None, "remark", text, public=True)
    audit(case.hall_id, None, "case.remark", case, case.number)
    db.session.commit()
    return event


# ---- the desk: lists -----------------------------------------------------------------------

def overdue_clause(hall: Hall, at: datetime | None = None):
    moment = at or clock.now()
    return or_(*[and_(Case.step == step, Case.step_since < moment - timedelta(days=step_days(hall, step)))
                 for step in CASE_STEPS])


def is_overdue(case: Case, at: datetime | None = None) -> bool:
    moment = at or clock.now()
    return case.is_open and moment - case.step_since > timedelta(days=step_days(case.hall, case.step))


def visible_clause(user: User):
    if user.role == Role.admin:
        return Case.hall_id == user.hall_id
    if user.role == Role.mediator:
        return and_(Case.hall_id == user.hall_id, Case.handler_id == user.id)
    return and_(Case.hall_id == user.hall_id,
                or_(Case.created_by_id == user.id, Case.handler_id.is_(None), Case.handler_id == user.id))


def open_cases(user: User, *, handler_id: int | None = None, overdue: bool = False,
               at: datetime | None = None) -> list[Case]:
    query = select(Case).where(visible_clause(user), Case.closed_at.is_(None)).options(
        selectinload(Case.parties), selectinload(Case.handler))
    if handler_id is not None:
        query = query.where(Case.handler_id == handler_id)
    if overdue:
        query = query.where(overdue_clause(user.hall, at))
    return list(db.session.scalars(query.order_by(Case.step_since, Case.id)))


def by_step(cases: Iterable[Case]) -> dict[CaseStep, list[Case]]:
    grouped: dict[CaseStep, list[Case]] = {step: [] for step in CASE_STEPS}
    for case in cases:
        grouped[case.step].append(case)
    return grouped


def closed_between(hall: Hall, first: datetime, last: datetime) -> list[Case]:
    """Closed cases of a period (UTC instants), by number: what is archived (立卷归档)."""
    return list(db.session.scalars(
        select(Case).where(Case.hall_id == hall.id, Case.closed_at.is_not(None), Case.closed_at >= first,
                           Case.closed_at < last).order_by(Case.year, Case.sequence)))


def handlers(hall: Hall) -> list[User]:
    """Who can handle cases: the hall's active mediators and administrators."""
    return list(db.session.scalars(
        select(User).where(User.hall_id == hall.id, User.active.is_(True), User.role.in_([Role.mediator, Role.admin]))
        .order_by(User.role, User.display_name, User.id)))


def audit_log(hall: Hall, *, case_id: int | None = None, limit: int = 200, before_id: int | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.hall_id == hall.id)
    if case_id is not None:
        query = query.where(AuditEntry.case_id == case_id)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    query = query.options(selectinload(AuditEntry.user), selectinload(AuditEntry.case))
    return list(db.session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit)))


def public_timeline(case: Case) -> list[CaseEvent]:
    """What the resident's page shows: the moves, published replies and their own remarks."""
    return [e for e in case.events if e.public]



# ---- staff entry and the parties ---------------------------------------------------------------

# Where a case entered at the desk comes from: staff's own entry, or a referral (委托/移交) from
# 公安, 法院 or 政府.
STAFF_SOURCES = (CaseSource.staff, CaseSource.police, CaseSource.court, CaseSource.government)
PARTY_FIELDS = ("role", "name", "phone", "id_number", "address")


def check_parties(rows: Iterable[Mapping]) -> tuple[list[dict], dict]:
    """The parties as typed, checked field by field: (the parties to save, the problems keyed
    "parties.<row>.<field>"). Rows left empty are dropped; each party needs a name or a phone."""
    parties: list[dict] = []
    errors: dict = {}
    for index, row in enumerate(rows):
        values = {k: str(row.get(k) or "").strip() for k in PARTY_FIELDS}
        if not any(values[k] for k in PARTY_FIELDS if k != "role"):
            continue
        key = f"parties.{index}."
        if not values["name"] and not values["phone"]:
            errors[key + "name"] = _l("Please give each party a name or a phone number.")
        try:
            role = PartyRole(values["role"] or "applicant")
        except ValueError:
            errors[key + "role"] = _l("Please choose each party's role from the list.")
            role = PartyRole.other
        cleaned = {"role": role.value, "name": _text(values["name"], 60, key + "name", errors),
                   "address": _text(values["address"], SHORT_MAX, key + "address", errors)}
        for field, clean in (("phone", clean_contact_phone), ("id_number", clean_id_number)):
            try:
                cleaned[field] = clean(values[field])
            except Invalid as error:
                errors[key + field] = error.message
        parties.append(cleaned)
    return parties, errors


def _choice(enum, raw, default=None):
    try:
        return enum(str(raw or "").strip() or default)
    except ValueError:
        return None


def handler_of(hall: Hall, raw) -> User | None:
    """A handler chosen from a form (a user id among handlers(hall)); None for none; Invalid for
    anyone else."""
    text = str(raw or "").strip()
    if not text:
        return None
    found = next((u for u in handlers(hall) if str(u.id) == text), None)
    if found is None:
        raise Invalid(_l("Please choose a handler from this hall's staff."))
    return found


def staff_open(user: User, values: Mapping, rows: Iterable[Mapping]) -> Case:
    """开放说事 at the desk: a case entered by staff or referred by the police, a court or the
    government. Every field is checked before anything is saved (FieldsInvalid with every
    problem at once). A mediator who names no handler handles it."""
    hall = user.hall
    errors: dict = {}
    source = _choice(CaseSource, values.get("source"), "staff")
    if source not in STAFF_SOURCES:
        errors["source"] = _l("Please choose where the case comes from.")
    kind = _choice(CaseKind, values.get("kind"), "dispute")
    if kind is None:
        errors["kind"] = _l("Please choose a kind from the list.")
    category = str(values.get("category") or "").strip()
    if category not in CATEGORIES:
        errors["category"] = _l("Please choose a category from the list.")
    title = _text(values.get("title"), 120, "title", errors)
    facts = _text(values.get("facts"), TEXT_MAX, "facts", errors,
                  required=_l("Please write the main facts: what happened, between whom, what is asked."))
    handler = None
    try:
        handler = handler_of(hall, values.get("handler"))
    except Invalid as error:
        errors["handler"] = error.message
    parties, party_errors = check_parties(rows)
    errors.update(party_errors)
    if not parties and not party_errors:
        errors["parties"] = _l("Please add at least one party.")
    if errors:
        raise FieldsInvalid(errors)
    if handler is None and user.role == Role.mediator:
        handler = user
    return open_case(hall, source=source, kind=kind, category=category, title=title, facts=facts,
                     parties=parties, user=user, handler=handler)


def add_party(user: User, case: Case, row: Mapping) -> CaseParty:
    """Another party joins an open case (the others stay as they are, masked)."""
    _must_be_open(case)
    parties, errors = check_parties([row])
    if not parties and not errors:
        errors["parties.0.name"] = _l("Please give each party a name or a phone number.")
    if errors:
        raise FieldsInvalid(errors)
    position = max((p.position for p in case.parties), default=-1) + 1
    party = CaseParty(position=position, **{**parties[0], "role": PartyRole(parties[0]["role"])})
    case.parties.append(party)
    _event(case, user, "edited", str(_l("Party added: %(name)s (%(role)s)", name=party.name or "—",
                                         role=ROLE_LABELS[party.role])))
    audit(case.hall_id, user, "case.party_add", case, case.number)
    db.session.commit()
    return party


def replace_parties(user: User, case: Case, rows: Iterable[Mapping]) -> Case:
    """Correct the parties in full: only for who may see their full details (the form shows
    them), and at least one party stays."""
    if not can_reveal(user, case):
        raise Forbidden(_l("Only the case's handler or an administrator may see full personal data."))
    _must_be_open(case)
    parties, errors = check_parties(rows)
    if not parties and not errors:
        errors["parties"] = _l("Please add at least one party.")
    if errors:
        raise FieldsInvalid(errors)
    case.parties = [CaseParty(position=i, **{**p, "role": PartyRole(p["role"])}) for i, p in enumerate(parties)]
    _event(case, user, "edited", str(_l("Parties corrected.")))
    audit(case.hall_id, user, "case.parties", case, case.number)
    db.session.commit()
    return case


# ---- the case page -----------------------------------------------------------------------------

# The timeline's words for each kind of entry (CaseEvent.action).
ACTION_LABELS = {
    "opened": _l("Opened"), "moved": _l("Moved on"), "assigned": _l("Handler assigned"),
    "reassigned": _l("Reassigned"), "edited": _l("Details edited"), "session": _l("Mediation session"),
    "outcome": _l("Outcome"), "follow_up": _l("Follow-up visit or call"), "reply": _l("Reply to the resident"),
    "note": _l("Internal note"), "remark": _l("Resident's remark"), "declined": _l("Not accepted"),
    "withdrawn": _l("Withdrawn"), "rated": _l("Rated by the resident"), "closed": _l("Closed"),
}


def event_text(event: CaseEvent) -> str:
    """What a timeline entry says, in the reader's language where the words are the system's own:
    a move reads "开放说事 → 分类理事" in Chinese and "Open talk → Sorting" in English, whatever
    the language of whoever made it; a note typed with the move follows on the next line."""
    text = event.text or ""
    position = CASE_STEPS.index(event.step)
    if event.action != "moved" or position == 0:
        return text
    note = text.split("\n", 1)[1] if "\n" in text else ""
    moved = str(_l("%(from)s → %(to)s", **{"from": step_label(CASE_STEPS[position - 1]), "to": step_label(event.step)}))
    return moved + (f"\n{note}" if note else "")


def action_label(action: str) -> str:
    """What a timeline entry was, in words: on the case page and in the printed summary."""
    return str(ACTION_LABELS.get(action, action))

# The audit log's words (AuditEntry.action).
AUDIT_LABELS = {
    "case.open": _l("Opened a case"), "case.edit": _l("Edited the details"),
    "case.party_add": _l("Added a party"), "case.parties": _l("Corrected the parties"),
    "case.assign": _l("Assigned a handler"), "case.reassign": _l("Reassigned"), "case.move": _l("Moved a step on"),
    "case.session": _l("Recorded a session"), "case.outcome": _l("Recorded the outcome"),
    "case.follow_up": _l("Recorded a follow-up"), "case.reply": _l("Replied to the resident"),
    "case.note": _l("Wrote an internal note"), "case.remark": _l("Resident's remark"),
    "case.declined": _l("Declined"), "case.withdrawn": _l("Withdrawn"), "case.rated": _l("Rated"),
    "case.closed": _l("Closed without a rating"), "case.view_personal": _l("Viewed personal data"),
    "case.print_agreement": _l("Printed the mediation agreement"), "case.archive": _l("Exported the archive"),
    # the hall's services and counters (hall/services_admin.py)
    "service.add": _l("Added a service"), "service.edit": _l("Edited a service"),
    "service.move": _l("Moved a service"), "service.pause": _l("Paused a service"),
    "service.resume": _l("Resumed a service"), "service.retire": _l("Retired a service"),
    "service.restore": _l("Brought a service back"), "service.delete": _l("Deleted a service"),
    "counter.add": _l("Added a window"), "counter.edit": _l("Edited a window"),
    "counter.services": _l("Changed what a window serves"), "counter.retire": _l("Retired a window"),
    "counter.enable": _l("Brought a window back"), "counter.delete": _l("Deleted a window"),
}
# … and of staff logins (hall/accounts.py).
AUDIT_LABELS.update({
    "user.create": _l("Created a login"), "user.edit": _l("Edited a login"),
    "user.disable": _l("Disabled a login"), "user.enable": _l("Re-enabled a login"),
    "user.reset_password": _l("Reset a password"), "user.change_password": _l("Changed own password"),
    "user.set_password_link": _l("Set a password with a link"),
})
# … and of the reception console (hall/desk.py).
AUDIT_LABELS["ticket.view_phone"] = _l("Viewed a waiting resident's mobile number")
PERSONAL_VIEWS = frozenset({"case.view_personal", "ticket.view_phone"})  # marked in the audit log
RATING_LABELS = {Rating.satisfied: _l("Satisfied"), Rating.fairly_satisfied: _l("Fairly satisfied"),
                 Rating.dissatisfied: _l("Dissatisfied")}


def rating_label(rating: Rating | str | None) -> str:
    return str(RATING_LABELS[Rating(rating)]) if rating else ""


def _label(labels: Mapping, enum, value: str) -> str:
    try:
        return str(labels[enum(value)])
    except (KeyError, ValueError):
        return value


def audit_detail(entry: AuditEntry) -> str:
    """An audit entry's detail in the reader's words. The log keeps what happened as codes
    ("sorted -> deliberating", "DEMO-2026-0042 success", "… command line"); the case's number,
    shown in its own column, is left out."""
    if entry.action.startswith("user."):
        from .accounts import audit_detail as login_detail
        return login_detail(entry)
    text = (entry.detail or "").strip()
    if entry.case is not None and text.startswith(entry.case.number):
        text = text[len(entry.case.number):].strip()
    action, handler = entry.action, ""
    if "->" in text and action != "case.move":
        text, handler = (part.strip() for part in text.split("->", 1))
    if action == "case.move" and "->" in text:
        before, after = (part.strip() for part in text.split("->", 1))
        text = f"{_label(STEP_LABELS, CaseStep, before)} → {_label(STEP_LABELS, CaseStep, after)}"
    elif action == "case.open":
        text = _label(SOURCE_LABELS, CaseSource, text)
    elif action in ("case.outcome", "case.declined", "case.withdrawn", "case.rated", "case.closed"):
        text = _label(OUTCOME_LABELS, CaseOutcome, text)
    elif text in ("archive", "command line"):
        text = str(_l("in the archive export") if text == "archive" else _l("from the command line"))
    elif action == "ticket.view_phone":  # "A003 #123": the ticket's number that day (and its id)
        text = str(_l("Ticket %(number)s", number=text.split(" #", 1)[0]))
    elif action == "case.archive":
        found = re.fullmatch(r"(\S+)\.\.(\S+): (\d+) cases, (\d+) agreements", text)
        if found:
            text = str(_l("%(first)s to %(last)s: %(cases)s cases, %(agreements)s agreements",
                          first=found[1], last=found[2], cases=found[3], agreements=found[4]))
    return " ".join(part for part in (text, f"→ {handler}" if handler else "") if part)


def days_in_step(case: Case, at: datetime | None = None) -> int:
    """Whole days since the case reached its step."""
    return max(((at or clock.now()) - case.step_since).days, 0)


def overdue_days(case: Case, at: datetime | None = None) -> int:
    """Whole days past the step's limit (0 when it is not overdue)."""
    late = (at or clock.now()) - case.step_since - timedelta(days=step_days(case.hall, case.step))
    return max(late.days, 0) if is_overdue(case, at) else 0


@dataclass
class StepView:
    step: CaseStep
    number: int
    label: str
    state: str  # done, current, todo (a closed case has no current step)


def progress(case: Case) -> list[StepView]:
    """The six steps, each done, current or still to come."""
    here = CASE_STEPS.index(case.step)
    views = []
    for index, step in enumerate(CASE_STEPS):
        if index < here or (index == here and not case.is_open):
            state = "done"
        elif index == here:
            state = "current"
        else:
            state = "todo"
        views.append(StepView(step, index + 1, step_label(step), state))
    return views


@dataclass
class CaseView:
    """What the case page shows one member of staff, and which of its forms they may use."""
    case: Case
    user: User
    at: datetime

    @property
    def steps(self) -> list[StepView]:
        return progress(self.case)

    @property
    def next_step(self) -> CaseStep | None:
        return next_step(self.case.step) if self.case.is_open and self.case.step != S.rated else None

    @property
    def missing(self) -> str | None:
        return what_is_missing(self.case)

    @property
    def overdue(self) -> bool:
        return is_overdue(self.case, self.at)

    @property
    def days(self) -> int:
        return days_in_step(self.case, self.at)

    @property
    def limit_days(self) -> int:
        return step_days(self.case.hall, self.case.step)

    @property
    def may_work(self) -> bool:
        return self.case.is_open and can_work(self.user, self.case)

    @property
    def may_reveal(self) -> bool:
        return can_reveal(self.user, self.case)

    @property
    def may_assign(self) -> bool:
        return self.case.is_open and (self.case.handler_id is None or self.user.role == Role.admin)

    @property
    def may_decline(self) -> bool:
        return self.case.is_open and self.case.step in (S.intake, S.sorted)

    @property
    def may_close(self) -> bool:
        return self.may_work and self.case.step == S.rated and may_close_unrated(self.case, self.at)

    @property
    def close_from(self) -> datetime:
        return self.case.step_since + timedelta(days=step_days(self.case.hall, S.rated))

    @property
    def timeline(self) -> list[CaseEvent]:
        """Newest first."""
        return list(reversed(self.case.events))

    @property
    def has_agreement(self) -> bool:
        return has_agreement(self.case)

    @property
    def agreement_missing(self) -> list[str]:
        return agreement_missing(self.case) if has_agreement(self.case) else []


def has_agreement(case: Case) -> bool:
    """A successful mediation, with its terms: what the 调解协议书 is printed from."""
    return case.outcome == CaseOutcome.success and bool(case.agreement_terms)


# What a written agreement states (People's Mediation Law art. 29): each party's basic details, the
# main facts and matters in dispute, each party's responsibility, what was agreed, how and by when.
PARTY_ELEMENTS = (("name", _l("full name")), ("id_number", _l("identity card number")),
                  ("address", _l("home address")), ("phone", _l("contact phone")))
AGREEMENT_ELEMENTS = (("disputed_matters", _l("Main facts and matters in dispute")),
                      ("responsibilities", _l("Each party's responsibility")),
                      ("agreement_terms", _l("What was agreed")),
                      ("performance", _l("How and by when it is carried out")))


def agreement_missing(case: Case) -> list[str]:
    """What the case's written agreement would print empty of the elements art. 29 requires, in the
    reader's language: a line per party lacking any of its details ("Respondent 李四: identity
    card number and home address"), then each element of the agreement not written. Empty: the
    agreement is complete. (Printing an incomplete one needs the printer's confirmation.)"""
    from babel.lists import format_list
    from flask_babel import get_locale
    locale = str(get_locale() or "zh_Hans_CN")
    lines = [] if case.parties else [str(_l("No party is recorded"))]
    for party in case.parties:
        gaps = [str(label) for attr, label in PARTY_ELEMENTS if not (getattr(party, attr) or "").strip()]
        if gaps:
            who = f"{ROLE_LABELS[party.role]} {party.name}".strip()
            lines.append(str(_l("%(party)s: %(missing)s", party=who, missing=format_list(gaps, locale=locale))))
    lines += [str(label) for attr, label in AGREEMENT_ELEMENTS if not (getattr(case, attr) or "").strip()]
    return lines


def case_view(user: User, case: Case, at: datetime | None = None) -> CaseView:
    return CaseView(case, user, at or clock.now())


# ---- the desk ----------------------------------------------------------------------------------

@dataclass
class Desk:
    """A member of staff's desk: their open cases by step (an administrator's: all, or one
    handler's), those waiting for a handler (reception and administrators route them), and the
    overdue ones."""
    user: User
    columns: dict[CaseStep, list[Case]]
    pool: list[Case]
    overdue: list[Case]
    handler_id: int | None
    at: datetime

    @property
    def total(self) -> int:
        return sum(len(c) for c in self.columns.values()) + len(self.pool)

    def days(self, case: Case) -> int:
        return days_in_step(case, self.at)

    def is_overdue(self, case: Case) -> bool:
        return is_overdue(case, self.at)

    def overdue_days(self, case: Case) -> int:
        return overdue_days(case, self.at)


def desk(user: User, handler_id: int | None = None, at: datetime | None = None) -> Desk:
    moment = at or clock.now()
    if user.role != Role.admin:
        handler_id = None
    visible = open_cases(user)
    pool = [] if user.role == Role.mediator or handler_id else [c for c in visible if c.handler_id is None]
    worked = [c for c in visible if c.handler_id is not None and (handler_id is None or c.handler_id == handler_id)]
    overdue = sorted((c for c in pool + worked if is_overdue(c, moment)), key=lambda c: c.step_since)
    return Desk(user, by_step(worked), pool, overdue, handler_id, moment)


def handler_filter(user: User, raw) -> int | None:
    """An administrator's choice of handler on the desk (a user id among handlers), else None."""
    handler_id = inputs.parse_id(raw)
    if user.role != Role.admin or handler_id is None:
        return None
    return next((u.id for u in handlers(user.hall) if u.id == handler_id), None)


# ---- finding a case ----------------------------------------------------------------------------

FIND_LIMIT = 30
NUMBER = re.compile(r"[A-Z0-9]{1,20}-\d{4}-\d{1,6}")


def find_cases(user: User, query: str | None) -> list[Case] | None:
    """Staff's search, open and closed cases alike, among those the user may see, newest first:
    by number (DEMO-2026-0042, or its last 4 digits), by a party's phone (the whole number or its
    last 4 digits), or by a party's name or the case's title (any part of them). None for an
    empty query."""
    text = " ".join((query or "").split())[:40]
    if not text:
        return None
    found = select(Case).where(visible_clause(user)).options(selectinload(Case.parties), selectinload(Case.handler))
    bare = text.replace(" ", "").replace("-", "")
    if NUMBER.fullmatch(text.upper()):
        found = found.where(Case.number == text.upper())
    elif bare.isdigit() and len(bare) == 4:
        found = found.where(or_(Case.number.endswith(f"-{bare}"),
                                Case.parties.any(CaseParty.phone.endswith(bare, autoescape=True))))
    elif bare.isdigit() and len(bare) >= 7:
        found = found.where(Case.parties.any(func.replace(CaseParty.phone, "-", "") == bare))
    else:
        found = found.where(or_(Case.title.contains(text, autoescape=True),
                                Case.parties.any(CaseParty.name.contains(text, autoescape=True))))
    return list(db.session.scalars(found.order_by(Case.created_at.desc(), Case.id.desc()).limit(FIND_LIMIT)))


# ---- from the console and reception's list -----------------------------------------------------

def recent_visits(counter, limit: int = 3, at: datetime | None = None) -> list[Ticket]:
    """The last visits finished at a counter today, newest first: the console offers to open
    them as cases."""
    day = clock.local_day(counter.hall, at)
    return list(db.session.scalars(
        select(Ticket).where(Ticket.counter_id == counter.id, Ticket.day == day, Ticket.status == TicketStatus.done)
        .order_by(Ticket.finished_at.desc(), Ticket.id.desc()).limit(limit)))


def cases_for_tickets(ticket_ids: Iterable[int]) -> dict[int, Case]:
    ids = [i for i in ticket_ids if i]
    if not ids:
        return {}
    return {c.ticket_id: c for c in db.session.scalars(select(Case).where(Case.ticket_id.in_(ids)))}


def case_of_visit(ticket_id: int | None = None, appointment_id: int | None = None) -> Case | None:
    """The case a resident's visit became, for their ticket's or appointment's phone page: the
    page then leads on to the case's own (事事有回音)."""
    clauses = [Case.ticket_id == ticket_id] if ticket_id else []
    clauses += [Case.appointment_id == appointment_id] if appointment_id else []
    if not clauses:
        return None
    return db.session.scalar(select(Case).where(or_(*clauses)).order_by(Case.id).limit(1))


def cases_for_appointments(appointment_ids: Iterable[int]) -> dict[int, Case]:
    ids = [i for i in appointment_ids if i]
    if not ids:
        return {}
    return {c.appointment_id: c for c in db.session.scalars(select(Case).where(Case.appointment_id.in_(ids)))}


# ---- the audit log page ------------------------------------------------------------------------

@dataclass
class AuditPage:
    entries: list[AuditEntry]
    number: str             # the case number filtered by ("" for all)
    case: Case | None
    older: int | None       # before_id for the next page, None at the end
    unknown: bool = False   # the number names no case of this hall


def audit_page(hall: Hall, number: str = "", before_id: int | None = None, limit: int = 50) -> AuditPage:
    """The hall's audit log, newest first, `limit` entries a page, optionally of one case."""
    number = str(number or "").strip().upper()[:40]
    case = None
    if number:
        try:
            case = by_number(hall, number)
        except NotFound:
            return AuditPage([], number, None, None, unknown=True)
    entries = audit_log(hall, case_id=case.id if case else None, limit=limit + 1, before_id=before_id)
    older = entries[limit - 1].id if len(entries) > limit else None
    return AuditPage(entries[:limit], number, case, older)
