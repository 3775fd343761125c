"""The small helpers views share (hall/web.py)."""

from datetime import datetime, timezone

from hall.models import Hall
from hall.web import hall_time


def test_hall_time_shows_the_hall_s_own_clock_whatever_babel_s_default(app):
    moment = datetime(2026, 11, 27, 1, 30, tzinfo=timezone.utc)
    with app.test_request_context():
        assert hall_time(moment, Hall(timezone="Asia/Shanghai")) == "09:30"
        assert hall_time(moment, Hall(timezone="Asia/Urumqi")) == "07:30"
        assert hall_time(None, Hall(timezone="Asia/Shanghai")) == ""
