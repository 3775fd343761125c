"""The call board (叫号屏): current calls, the last few, waiting counts; polled, spoken by board.js."""
from flask import current_app

from hall import board as calls
from hall import clock, queue
from hall.web import etag_for, polled

from . import bp


@bp.get("/b/<hall>")
def board(hall):
    slug = hall
    tag = etag_for(*calls.board_tag(queue.hall_stamp(slug)))  # an idle poll stops at this one query

    def context():
        hall = queue.hall_by_slug(slug)
        return {
            "board": calls.board_state(hall),
            "hall": hall,
            "now": clock.local(hall),
            "poll_seconds": current_app.config["BOARD_POLL_SECONDS"],
            "sound_on_zh": calls.sound_on_text(),
            "tap_en": calls.sound_switch_in_english(),
        }

    return polled("board/page.html", "board/_board.html", tag, context)
