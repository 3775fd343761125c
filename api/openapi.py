"""The OpenAPI 3.1 document of /api/v1, served at /api/v1/openapi.json.

It is the contract: tests/web/test_openapi.py validates it, calls every operation for every
documented status and checks each answer against the schema written here, and fails when a
route exists that this document lacks, or the other way round. Change both together.
"""
from __future__ import annotations

import copy


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str, headers: dict | None = None) -> dict:
    answer = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        answer["headers"] = headers
    return answer


def _response(name: str) -> dict:
    return {"$ref": f"#/components/responses/{name}"}


def _nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


SUBMISSION_KINDS = ("complaint", "inquiry", "suggestion")
CASE_STEPS = ("intake", "sorted", "deliberating", "acting", "following_up", "rated")
CATEGORY_CODES = ("family", "neighbour", "housing", "contract", "business", "damages", "land", "demolition",
                  "pollution", "labour", "consumer", "medical", "traffic", "property", "cityscape", "other")

TIME = {"type": "string", "format": "date-time",
        "description": "ISO 8601 in the hall's local time, with its UTC offset (2025-11-26T09:05:00+08:00)."}

SCHEMAS = {
    "Error": {
        "type": "object",
        "description": "Every refusal. `error` is a sentence for a person, in the language asked for "
                       "(`?lang=`, else Accept-Language, else Chinese).",
        "required": ["error", "status"],
        "properties": {
            "error": {"type": "string", "minLength": 1},
            "status": {"type": "integer", "minimum": 400, "maximum": 599,
                       "description": "The HTTP status again."},
        },
    },
    "Service": {
        "type": "object",
        "additionalProperties": False,
        "required": ["code", "name", "name_en", "open", "state", "waiting", "bookable", "slot_minutes"],
        "properties": {
            "code": {"type": "string", "minLength": 1, "maxLength": 2,
                     "description": "The ticket prefix; send it as `service` to take a ticket."},
            "name": {"type": "string", "description": "The name in Chinese (法律咨询)."},
            "name_en": {"type": "string", "description": "The name in English; may be empty."},
            "open": {"type": "boolean", "description": "A ticket can be taken now (state is open)."},
            "state": {"type": "string", "enum": ["open", "paused", "closed"],
                      "description": "paused: stopped for now by the hall; closed: outside opening hours."},
            "waiting": {"type": "integer", "minimum": 0, "description": "Tickets waiting for it now."},
            "bookable": {"type": "boolean", "description": "It takes appointments: see /halls/{hall}/slots."},
            "slot_minutes": {"type": ["integer", "null"], "description": "The length of its slots; null "
                                                                        "unless bookable."},
        },
    },
    "HallRef": {
        "type": "object",
        "additionalProperties": False,
        "required": ["slug", "name"],
        "properties": {"slug": {"type": "string"}, "name": {"type": "string"}},
    },
    "ServiceRef": {
        "type": "object",
        "additionalProperties": False,
        "required": ["code", "name", "name_en"],
        "properties": {"code": {"type": "string"}, "name": {"type": "string"}, "name_en": {"type": "string"}},
    },
    "CounterRef": {
        "type": "object",
        "additionalProperties": False,
        "required": ["number", "name"],
        "properties": {
            "number": {"type": "integer", "description": "The window number (3 号窗口)."},
            "name": {"type": "string", "description": "The room's name (老傅调解室), or empty for a plain window."},
        },
    },
    "TicketRequest": {
        "type": "object",
        "required": ["service"],
        "description": "Other keys are ignored.",
        "properties": {
            "service": {"type": "string", "minLength": 1, "maxLength": 2, "examples": ["A"],
                        "description": "A service code from the services list (case does not matter)."},
            "phone": {"type": ["string", "null"], "examples": ["13812345678"],
                      "description": "Optional mainland mobile number (11 digits starting with 1; spaces, "
                                     "dashes and +86 are allowed). Never shown by the API or on public screens."},
            "priority": {"type": ["boolean", "null"], "default": False,
                         "description": "The priority lane (绿色通道): 70 and over, disability, pregnancy; "
                                        "verified at the counter."},
            "request_key": {"type": ["string", "null"], "pattern": "^[\\x21-\\x7e]{8,64}$",
                            "description": "Idempotency key, 8 to 64 visible ASCII characters. Sending the "
                                           "same key again (to the same hall) answers 200 with the ticket "
                                           "the first request took, whatever else the retry says."},
        },
    },
    "Ticket": {
        "type": "object",
        "additionalProperties": False,
        "description": "A ticket as its holder may see it: never the phone number.",
        "required": ["number", "token", "status_url", "hall", "service", "status", "priority", "ahead",
                     "wait_minutes", "counter", "issued_at", "called_at", "finished_at"],
        "properties": {
            "number": {"type": "string", "pattern": "^[^0-9\\s]{1,2}[0-9]{3,}$", "examples": ["A012"],
                       "description": "Prefix plus number; numbers restart each local day."},
            "token": {"type": "string", "pattern": "^[A-Za-z0-9_-]{22,43}$",
                      "description": "Random (128 bits); the ticket's only key. Keep it private."},
            "status_url": {"type": "string", "format": "uri",
                           "description": "The ticket's phone page (what its QR code encodes)."},
            "hall": _ref("HallRef"),
            "service": _ref("ServiceRef"),
            "status": {"type": "string",
                       "enum": ["waiting", "called", "serving", "done", "no_show", "cancelled", "expired"],
                       "description": "expired: still waiting, called or being served when its local day "
                                      "ended (当日未办结); take a new ticket."},
            "priority": {"type": "boolean"},
            "ahead": {"type": "integer", "minimum": 0,
                      "description": "People the counters will call first (0 unless waiting)."},
            "wait_minutes": {"type": "integer", "minimum": 0, "description": "Estimated wait (0 unless waiting)."},
            "counter": {**_nullable(_ref("CounterRef")),
                        "description": "Where the ticket was called to; null until it is called."},
            "issued_at": TIME,
            "called_at": _nullable(TIME),
            "finished_at": _nullable(TIME),
        },
    },
    "Slot": {
        "type": "object",
        "additionalProperties": False,
        "required": ["start", "end", "adviser", "adviser_name", "free"],
        "properties": {
            "start": TIME,
            "end": TIME,
            "adviser": {"type": "integer", "description": "The adviser's id; send it as `adviser` to book."},
            "adviser_name": {"type": "string"},
            "free": {"type": "integer", "minimum": 1, "description": "Seats left."},
        },
    },
    "SlotTaken": {
        "type": "object",
        "required": ["error", "status", "alternatives"],
        "properties": {
            "error": {"type": "string", "minLength": 1},
            "status": {"const": 409},
            "alternatives": {"type": "array", "items": _ref("Slot"), "maxItems": 3,
                             "description": "The free slots nearest in time to the one asked for."},
        },
    },
    "AppointmentRequest": {
        "type": "object",
        "required": ["service", "start", "phone"],
        "description": "Other keys are ignored.",
        "properties": {
            "service": {"type": "string", "minLength": 1, "maxLength": 2, "examples": ["A"],
                        "description": "A bookable service's code."},
            "start": {"type": "string", "format": "date-time", "examples": ["2026-12-01T09:00:00+08:00"],
                      "description": "A slot's start, as /slots gives it (with its offset)."},
            "adviser": {"type": ["integer", "null"],
                        "description": "An adviser's id; leave it out to take whoever is free then."},
            "name": {"type": ["string", "null"], "maxLength": 40, "description": "Optional."},
            "phone": {"type": "string", "examples": ["13812345678"],
                      "description": "A mainland mobile number: required (the booking is found with it)."},
            "request_key": {"type": ["string", "null"], "pattern": "^[\\x21-\\x7e]{8,64}$",
                            "description": "Idempotency key, as for tickets."},
        },
    },
    "Appointment": {
        "type": "object",
        "additionalProperties": False,
        "description": "An appointment as its holder may see it: never the phone number.",
        "required": ["token", "status_url", "hall", "service", "adviser", "room", "start", "end", "status",
                     "check_in_code", "name", "ticket"],
        "properties": {
            "token": {"type": "string", "pattern": "^[A-Za-z0-9_-]{22,43}$",
                      "description": "Random (128 bits): the appointment's QR code. Keep it private."},
            "status_url": {"type": "string", "format": "uri", "description": "Its phone page."},
            "hall": _ref("HallRef"),
            "service": _ref("ServiceRef"),
            "adviser": {"type": "object", "additionalProperties": False, "required": ["id", "name", "kind"],
                        "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                                       "kind": {"type": "string", "enum": ["people_mediator", "legal_counsel",
                                                                           "lawyer", "legal_literate",
                                                                           "counsellor", "grid_worker"]}}},
            "room": {**_nullable(_ref("CounterRef")), "description": "Where to go; null if not known."},
            "start": TIME,
            "end": TIME,
            "status": {"type": "string",
                       "enum": ["booked", "checked_in", "called", "done", "no_show", "cancelled"]},
            "check_in_code": {"type": "string", "pattern": "^[0-9]{6}$",
                              "description": "Typed at the kiosk with the phone's last 4 digits to check in."},
            "name": {"type": "string"},
            "ticket": {"type": ["string", "null"], "description": "The ticket number once checked in."},
        },
    },
    "SubmissionRequest": {
        "type": "object",
        "required": ["kind", "category", "description"],
        "description": "A resident's own report. Other keys are ignored.",
        "properties": {
            "kind": {"type": "string", "enum": list(SUBMISSION_KINDS), "examples": ["complaint"],
                     "description": "complaint (我要投诉), inquiry (我要咨询) or suggestion (我要建议)."},
            "category": {"type": "string", "enum": list(CATEGORY_CODES), "examples": ["neighbour"],
                         "description": "A dispute category, as in people's-mediation statistics."},
            "description": {"type": "string", "minLength": 1, "maxLength": 1000,
                            "examples": ["楼上漏水，天花板发霉。"], "description": "What happened, what is wanted."},
            "name": {"type": ["string", "null"], "maxLength": 40,
                     "description": "Optional. Never shown by the API or on public pages."},
            "phone": {"type": ["string", "null"], "examples": ["13812345678"],
                      "description": "Optional mainland mobile number, so that the staff can call back. Never "
                                     "shown by the API or on public pages."},
            "request_key": {"type": ["string", "null"], "pattern": "^[\\x21-\\x7e]{8,64}$",
                            "description": "Idempotency key, as for tickets: the same key again (to the same "
                                           "hall) answers 200 with the report the first request made."},
        },
    },
    "TimelineEntry": {
        "type": "object",
        "additionalProperties": False,
        "required": ["at", "step", "action", "title", "text"],
        "properties": {
            "at": TIME,
            "step": {"type": "string", "enum": list(CASE_STEPS), "description": "The step it belongs to."},
            "action": {"type": "string", "examples": ["opened", "moved", "reply", "remark", "outcome", "rated"],
                       "description": "opened, moved (to `step`), reply (from the hall), remark (the resident's), "
                                      "outcome, declined, withdrawn, rated, closed."},
            "title": {"type": "string", "description": "What happened, in the reader's language."},
            "text": {"type": "string", "description": "The reply, remark or note; mobile and identity numbers "
                                                      "in it are masked. May be empty."},
        },
    },
    "Submission": {
        "type": "object",
        "additionalProperties": False,
        "description": "A report as the holder of its token may see it: never a name or a phone number.",
        "required": ["token", "case_number", "status_url", "hall", "kind", "category", "category_name", "step",
                     "step_name", "status", "outcome", "rating", "photos", "submitted_at", "closed_at", "timeline"],
        "properties": {
            "token": {"type": "string", "pattern": "^[A-Za-z0-9_-]{22,43}$",
                      "description": "Random (128 bits): the report's page (我的上报) and this API. Keep it private."},
            "case_number": {"type": "string", "pattern": "^[A-Z0-9-]+-[0-9]{4}-[0-9]{4,}$",
                            "examples": ["DEMO-2026-0042"], "description": "The reference number (受理编号)."},
            "status_url": {"type": "string", "format": "uri", "description": "The report's page (its QR code)."},
            "hall": _ref("HallRef"),
            "kind": {"type": "string", "enum": list(SUBMISSION_KINDS)},
            "category": {"type": "string", "enum": list(CATEGORY_CODES)},
            "category_name": {"type": "string", "description": "The category in the reader's language."},
            "step": {"type": "string", "enum": list(CASE_STEPS),
                     "description": "Where it stands in the six steps: intake (开放说事), sorted (分类理事), "
                                    "deliberating (多方议事), acting (党群办事), following_up (跟踪督事), "
                                    "rated (群众评事)."},
            "step_name": {"type": "string", "description": "The step in the reader's language."},
            "status": {"type": "string", "enum": ["open", "closed"]},
            "outcome": {"type": ["string", "null"],
                        "enum": ["success", "failed", "withdrawn", "referred", "declined", "answered", None],
                        "description": "How it ended; null while nobody has recorded it."},
            "rating": {"type": ["string", "null"], "enum": ["satisfied", "fairly_satisfied", "dissatisfied", None],
                       "description": "The resident's rating, given on the report's page at the last step."},
            "photos": {"type": "integer", "minimum": 0, "maximum": 3},
            "submitted_at": TIME,
            "closed_at": _nullable(TIME),
            "timeline": {"type": "array", "items": _ref("TimelineEntry"),
                         "description": "The public timeline, newest first: the moves, the replies the hall "
                                        "published, the resident's remarks."},
        },
    },
    "BoardCall": {
        "type": "object",
        "additionalProperties": False,
        "required": ["number", "counter", "counter_name", "action", "at"],
        "properties": {
            "number": {"type": "string", "examples": ["A012"]},
            "counter": {"type": ["integer", "null"], "description": "The window number."},
            "counter_name": {"type": "string", "description": "The room's name, or empty."},
            "action": {"type": "string", "enum": ["call", "recall"],
                       "description": "recall: the same ticket announced again."},
            "at": TIME,
        },
    },
    "Board": {
        "type": "object",
        "additionalProperties": False,
        "description": "What the call board shows: no phone numbers, no names of people.",
        "required": ["hall", "calls", "waiting", "version"],
        "properties": {
            "hall": _ref("HallRef"),
            "calls": {"type": "array", "items": _ref("BoardCall"),
                      "description": "Today's latest calls and recalls, newest first (at most 8)."},
            "waiting": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0},
                        "description": "Waiting tickets per service code.", "examples": [{"A": 3, "B": 0}]},
            "version": {"type": "integer", "description": "Grows with every change to the hall's queue."},
        },
    },
}

HEADERS = {
    "ETag": {"description": "Send it back as If-None-Match: 304 while the queue has not changed.",
             "schema": {"type": "string"}},
    "Retry-After": {"description": "Seconds until another ticket may be taken.", "schema": {"type": "integer"}},
    "Location": {"description": "The new ticket's address in this API.", "schema": {"type": "string"}},
    "X-RateLimit-Limit": {"description": "Tickets this address may take in the hall's window.",
                          "schema": {"type": "integer"}},
    "X-RateLimit-Remaining": {"description": "Tickets left in the window.", "schema": {"type": "integer"}},
    "X-RateLimit-Reset": {"description": "When the window resets (Unix time).", "schema": {"type": "number"}},
}


def _headers(*names: str) -> dict:
    return {name: {"$ref": f"#/components/headers/{name}"} for name in names}


RATE = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")

RESPONSES = {
    "BadJSON": _json(_ref("Error"), "The body is not valid JSON."),
    "NotFound": _json(_ref("Error"), "No such hall, ticket or service, or a service the hall no longer offers "
                                     "(retired: its old tickets and bookings still answer)."),
    "Refused": _json(_ref("Error"), "Not now: the service is paused or the hall is closed."),
    "TooLarge": _json(_ref("Error"), "The body is larger than the server accepts (64 KiB)."),
    "NotJSON": _json(_ref("Error"), "The body is not JSON (Content-Type must be application/json)."),
    "Invalid": _json(_ref("Error"), "The JSON has the wrong shape: a missing service, a wrong type, "
                                    "a phone number that is not a mobile number, a bad request_key; for a report "
                                    "also an unknown kind or category, or an empty or too long description."),
    "TooMany": _json(_ref("Error"), "This address took too many tickets in this hall; the limit is the "
                                    "hall's own setting.", _headers("Retry-After", *RATE)),
    "Taken": _json(_ref("SlotTaken"), "The seat was just taken (or the slot is full): the nearest free "
                                      "times come with the refusal."),
    "Gone": _json(_ref("Error"), "The appointment can no longer be cancelled: checked in, over or cancelled."),
    "NotModified": {"description": "Nothing changed since the ETag sent in If-None-Match.",
                    "headers": _headers("ETag")},
}

PARAMETERS = {
    "hall": {"name": "hall", "in": "path", "required": True, "description": "The hall's slug.",
             "schema": {"type": "string", "examples": ["demo"]}},
    "token": {"name": "token", "in": "path", "required": True,
              "description": "A ticket's token, as returned when it was taken.", "schema": {"type": "string"}},
    "lang": {"name": "lang", "in": "query", "required": False,
             "description": "The language of error messages; wins over Accept-Language.",
             "schema": {"type": "string", "enum": ["zh", "en"]}},
    "Accept-Language": {"name": "Accept-Language", "in": "header", "required": False,
                        "description": "The language of error messages when `lang` is not given; "
                                       "Chinese by default.",
                        "schema": {"type": "string", "examples": ["en-US,en;q=0.9"]}},
    "If-None-Match": {"name": "If-None-Match", "in": "header", "required": False,
                      "description": "The ETag of the last answer.", "schema": {"type": "string"}},
}


def _params(*names: str) -> list[dict]:
    return [{"$ref": f"#/components/parameters/{name}"} for name in names]


PATHS = {
    "/halls/{hall}/services": {
        "parameters": _params("hall", "lang", "Accept-Language"),
        "get": {
            "operationId": "listServices",
            "summary": "The hall's services, whether a ticket can be taken now, and how many wait",
            "responses": {
                "200": _json({"type": "array", "items": _ref("Service")},
                             "The services offered, in kiosk order (a retired service is not listed)."),
                "404": _response("NotFound"),
            },
        },
    },
    "/halls/{hall}/tickets": {
        "parameters": _params("hall", "lang", "Accept-Language"),
        "post": {
            "operationId": "takeTicket",
            "summary": "Take a number (channel api)",
            "description": "Limited per client address and hall by the hall's own setting (for example "
                           "30 per minute); every request counts, refused ones too; over the limit: 429 "
                           "with Retry-After. Send a request_key and retry with the same key after a lost "
                           "answer: the retry answers 200 with the same ticket instead of taking another.",
            "requestBody": {"required": True,
                            "content": {"application/json": {"schema": _ref("TicketRequest")}}},
            "responses": {
                "201": _json(_ref("Ticket"), "A new ticket.", _headers("Location", *RATE)),
                "200": _json(_ref("Ticket"), "The ticket an earlier request with the same request_key took.",
                             _headers("Location", *RATE)),
                "400": _response("BadJSON"),
                "404": _response("NotFound"),
                "409": _response("Refused"),
                "413": _response("TooLarge"),
                "415": _response("NotJSON"),
                "422": _response("Invalid"),
                "429": _response("TooMany"),
            },
        },
    },
    "/tickets/{token}": {
        "parameters": _params("token", "lang", "Accept-Language"),
        "get": {
            "operationId": "readTicket",
            "summary": "A ticket: its status, people ahead, estimated wait, and the counter once called",
            "parameters": _params("If-None-Match"),
            "responses": {
                "200": _json(_ref("Ticket"), "The ticket.", _headers("ETag")),
                "304": _response("NotModified"),
                "404": _response("NotFound"),
            },
        },
    },
    "/halls/{hall}/board": {
        "parameters": _params("hall", "lang", "Accept-Language"),
        "get": {
            "operationId": "readBoard",
            "summary": "The call board: latest calls and waiting counts",
            "parameters": _params("If-None-Match"),
            "responses": {
                "200": _json(_ref("Board"), "The board.", _headers("ETag")),
                "304": _response("NotModified"),
                "404": _response("NotFound"),
            },
        },
    },
    "/halls/{hall}/slots": {
        "parameters": _params("hall", "lang", "Accept-Language"),
        "get": {
            "operationId": "listSlots",
            "summary": "Free appointment times of a bookable service on one day",
            "description": "Inside the hall's booking window (a minimum notice, a number of days ahead); "
                           "full slots are left out.",
            "parameters": [
                {"name": "service", "in": "query", "required": True, "schema": {"type": "string"},
                 "description": "A bookable service's code."},
                {"name": "date", "in": "query", "required": True, "schema": {"type": "string", "format": "date"},
                 "description": "The hall's local day, YYYY-MM-DD."},
                {"name": "adviser", "in": "query", "required": False, "schema": {"type": "integer"},
                 "description": "Only this adviser's slots."},
            ],
            "responses": {
                "200": _json({"type": "array", "items": _ref("Slot")}, "The free slots, by start."),
                "404": _response("NotFound"),
                "422": _response("Invalid"),
            },
        },
    },
    "/halls/{hall}/appointments": {
        "parameters": _params("hall", "lang", "Accept-Language"),
        "post": {
            "operationId": "bookAppointment",
            "summary": "Book a slot (channel api)",
            "description": "The database refuses a booking beyond a slot's capacity: of simultaneous requests "
                           "for the last seat exactly one gets 201, the others 409 with the nearest free times. "
                           "Limited per client address by the hall's API limit.",
            "requestBody": {"required": True,
                            "content": {"application/json": {"schema": _ref("AppointmentRequest")}}},
            "responses": {
                "201": _json(_ref("Appointment"), "Booked.", _headers("Location", *RATE)),
                "200": _json(_ref("Appointment"), "The booking an earlier request with the same request_key made.",
                             _headers("Location", *RATE)),
                "400": _response("BadJSON"),
                "404": _response("NotFound"),
                "409": _response("Taken"),
                "415": _response("NotJSON"),
                "422": _response("Invalid"),
                "429": _response("TooMany"),
            },
        },
    },
    "/appointments/{token}": {
        "parameters": _params("token", "lang", "Accept-Language"),
        "get": {
            "operationId": "readAppointment",
            "summary": "An appointment: when, with whom, where, its status and check-in code",
            "responses": {"200": _json(_ref("Appointment"), "The appointment."), "404": _response("NotFound")},
        },
        "delete": {
            "operationId": "cancelAppointment",
            "summary": "Cancel an appointment (its seat is free again)",
            "responses": {
                "200": _json(_ref("Appointment"), "Cancelled."),
                "404": _response("NotFound"),
                "409": _response("Gone"),
            },
        },
    },
    "/halls/{hall}/submissions": {
        "parameters": _params("hall", "lang", "Accept-Language"),
        "post": {
            "operationId": "submitReport",
            "summary": "A resident's own report: a complaint, an inquiry or a suggestion (channel api)",
            "description": "Opens a case at the first of the six steps (开放说事); its number is the reference "
                           "number. Limited per client address by the hall's API limit, counted apart from "
                           "tickets; a request refused for its body spends nothing. Send a request_key and retry "
                           "with the same key after a lost answer: the retry answers 200 with the same report.",
            "requestBody": {"required": True,
                            "content": {"application/json": {"schema": _ref("SubmissionRequest")}}},
            "responses": {
                "201": _json(_ref("Submission"), "Received.", _headers("Location", *RATE)),
                "200": _json(_ref("Submission"), "The report an earlier request with the same request_key made.",
                             _headers("Location", *RATE)),
                "400": _response("BadJSON"),
                "404": _response("NotFound"),
                "413": _response("TooLarge"),
                "415": _response("NotJSON"),
                "422": _response("Invalid"),
                "429": _response("TooMany"),
            },
        },
    },
    "/submissions/{token}": {
        "parameters": _params("token", "lang", "Accept-Language"),
        "get": {
            "operationId": "readSubmission",
            "summary": "A report: its reference number, step, status, outcome and public timeline",
            "responses": {"200": _json(_ref("Submission"), "The report."), "404": _response("NotFound")},
        },
    },
    "/openapi.json": {
        "get": {
            "operationId": "openapi",
            "summary": "This document",
            "responses": {"200": _json({"type": "object"}, "The OpenAPI 3.1 document.")},
        },
    },
}

DOCUMENT = {
    "openapi": "3.1.0",
    "info": {
        "title": "Fengqiao Hall API",
        "version": "1",
        "description": "The walk-in queue of a community mediation hall, for a phone app or a city "
                       "platform: list a hall's services, take a ticket, follow it, read the call board; "
                       "find free appointment times, book, read and cancel an appointment; send a complaint, inquiry or "
                       "suggestion and follow it. "
                       "Errors are JSON {\"error\", \"status\"} with a message in Chinese, or in English "
                       "with ?lang=en or Accept-Language: en.",
    },
    "servers": [{"url": "/api/v1"}],
    "paths": PATHS,
    "components": {"schemas": SCHEMAS, "responses": RESPONSES, "parameters": PARAMETERS, "headers": HEADERS},
}


def document() -> dict:
    return copy.deepcopy(DOCUMENT)
