import pytest

from hall.errors import Invalid
from hall.people import clean_phone, mask_address, mask_addresses_in, mask_name, mask_phone


@pytest.mark.parametrize("raw,clean", [("13812341234", "13812341234"), ("138 1234 1234", "13812341234"),
                                       ("+8613812341234", "13812341234"), ("", None), (None, None)])
def test_clean_phone(raw, clean):
    assert clean_phone(raw) == clean


@pytest.mark.parametrize("raw", ["12345", "23812341234", "1381234123x", "138123412345"])
def test_bad_phone(raw):
    with pytest.raises(Invalid):
        clean_phone(raw)


def test_masks():
    assert mask_phone("13812341234") == "138****1234"
    assert mask_name("张三") == "张*" and mask_name("欧阳娜娜") == "欧***"
    assert mask_phone(None) == "" and mask_name("") == ""


@pytest.mark.parametrize("address, masked", [
    ("拱墅区和睦街道 3 幢 201 室", "拱墅区和睦街道****"),     # what says where, without the building and the door
    ("和睦新村12-3-401", "和睦新村****"),
    ("杭州市拱墅区和睦街道和睦新村东区 3 幢", "杭州市拱墅区和睦街道****"),  # long: 12 characters at most
    ("城东村", "城****"),                                   # no number: the first half
    ("", ""),
])
def test_an_address_is_masked_to_the_street(address, masked):
    assert mask_address(address) == masked


@pytest.mark.parametrize("text, masked", [
    ("请到和睦街道3幢201室来", "请到和睦街道****来"),             # the building and the door, as mask_address
    ("拱墅区和睦街道 3 幢 201 室，谢谢", "拱墅区和睦街道 ****，谢谢"),
    ("和睦新村12-3-401", "和睦新村****"),
    ("东区3-201的住户", "东区****的住户"),
    ("2号楼1单元502", "****"),
    ("文一路 100 号", "文一路 ****"),
    ("１２幢", "****"),                                           # full-width digits too
    ("12月3号上午9:00到3号窗口", "12月3号上午9:00到3号窗口"),     # a date, a time, a window: no address
    ("住5楼", "住5楼"),
    ("请打0571-88886666", "请打0571-88886666"),
    ("2026-12-03见", "2026-12-03见"),
    ("", ""),
])
def test_an_address_in_free_text_keeps_the_street_and_hides_building_and_door(text, masked):
    assert mask_addresses_in(text) == masked
