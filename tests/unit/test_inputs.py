"""Ids and dates from a request (hall/inputs.py): what the database and the screens can hold."""
import pytest
from werkzeug.exceptions import NotFound
from werkzeug.routing import Map, Rule

from hall import inputs

HUGE = ["2147483648", "9223372036854775808", "99999999999999999999"]  # 2^31, 2^63, 10^20
FAR = ["0001-01-01", "9999-12-31"]


def test_an_id_is_a_whole_number_the_database_can_hold():
    assert inputs.parse_id("7") == 7 and inputs.parse_id(" 2147483647 ") == inputs.ID_MAX == 2**31 - 1
    assert inputs.parse_id(12) == 12
    for raw in [*HUGE, "0", "-1", "", None, "1.5", "1e3", "七", "٣", "1" * 5000, True, 2**31, 0]:
        assert inputs.parse_id(raw) is None, raw


def test_a_day_lies_within_the_years_a_screen_can_show():
    assert inputs.parse_day(" 2026-12-02 ").isoformat() == "2026-12-02"
    assert inputs.parse_day("2000-01-01") == inputs.DAY_MIN and inputs.parse_day("2099-12-31") == inputs.DAY_MAX
    for raw in [*FAR, "1999-12-31", "2100-01-01", "2026-13-01", "2026-02-30", "", None, "tomorrow"]:
        assert inputs.parse_day(raw) is None, raw


def test_the_id_converter_matches_only_ids_in_range():
    urls = Map([Rule("/cases/<id:case_id>", endpoint="case")], converters={"id": inputs.IdConverter}).bind("x")
    assert urls.match("/cases/2147483647") == ("case", {"case_id": 2147483647})
    for raw in [*HUGE, "0"]:
        with pytest.raises(NotFound):
            urls.match(f"/cases/{raw}")
