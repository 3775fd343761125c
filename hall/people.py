"""Personal data as residents type it and as public screens may show it, and the name a printed
document gives a member of staff."""
import re

from flask_babel import lazy_gettext as _l

from .errors import Invalid

MOBILE = re.compile(r"1[3-9][0-9]{9}")  # ASCII digits only: no full-width ８


def clean_phone(raw: str | None) -> str | None:
    """A mainland mobile number, or None when none was given; Invalid otherwise."""
    digits = re.sub(r"[\s\-]", "", raw or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    if not digits:
        return None
    if not MOBILE.fullmatch(digits):
        raise Invalid(_l("Please enter an 11-digit mobile number starting with 1."))
    return digits


def mask_phone(phone: str | None) -> str:
    """138****1234: what any screen but the receptionist's may show."""
    if not phone:
        return ""
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "****"


def mask_name(name: str | None) -> str:
    """张*, 欧阳** : the family name's first character and a star for each other one."""
    if not name:
        return ""
    return name[0] + "*" * max(len(name) - 1, 1)


ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def clean_id_number(raw: str | None) -> str:
    """A resident identity card number (18 characters, GB 11643 check digit), or "" when none was
    given; Invalid otherwise."""
    text = re.sub(r"\s", "", raw or "").upper()
    if not text:
        return ""
    if not re.fullmatch(r"\d{17}[\dX]", text) or \
            ID_CHECK[sum(int(d) * w for d, w in zip(text, ID_WEIGHTS)) % 11] != text[-1]:
        raise Invalid(_l("Please enter the 18-character identity card number."))
    return text


def mask_address(address: str | None) -> str:
    """拱墅区和睦街道**** for 拱墅区和睦街道 3 幢 201 室: the district, street or village that says
    where, without the building and the door (whatever follows the first digit)."""
    text = (address or "").strip()
    if not text:
        return ""
    kept = re.split(r"\d", text, maxsplit=1)[0].strip()
    if len(kept) == len(text) or len(kept) > 12:
        kept = text[:min(len(text) // 2, 12)]
    return kept + "****"


_DIGIT = "0-9０-９"
# A run of house numbers and their units: 3 幢 201 室, 2号楼1单元502, 12-3-401, 文一路 100 号.
_ADDRESS_RUN = re.compile(rf"(?<![{_DIGIT}A-Za-z*])[{_DIGIT}][{_DIGIT}\s\-－号楼幢栋单元室弄层户]*")
_BUILDING_OR_DOOR = re.compile(r"号楼|幢|栋|单元|室|弄")
_DASHED = re.compile(rf"[{_DIGIT}]+\s*[-－]\s*[{_DIGIT}]+")
_PLACE_BEFORE_DASHED = "村区苑园庭府城居舍坊里"  # 和睦新村12-3-401, 东区3-201
_ROAD_BEFORE_NUMBER = "路街巷道里弄村"  # 文一路100号 (a date says 月3号, a window 到3号窗口)


def mask_addresses_in(text: str | None) -> str:
    """Free text for a public page with the building and the door of any address masked, as
    mask_address does for a party's address: 请到和睦街道3幢201室 → 请到和睦街道****. A house number
    is a run of digits with 幢/栋/号楼/单元/室/弄, or 12-3-401 after a 村 or 小区's name, or
    100号 after a road's; dates, times, windows (3号窗口) and floors alone (3楼) stay."""
    text = text or ""

    def masked(match: re.Match) -> str:
        run = match.group(0).rstrip()
        before = text[:match.start()].rstrip()[-1:]
        if (_BUILDING_OR_DOOR.search(run) or (_DASHED.search(run) and before and before in _PLACE_BEFORE_DASHED)
                or ("号" in run and before and before in _ROAD_BEFORE_NUMBER)):
            return "****" + match.group(0)[len(run):]
        return match.group(0)
    return _ADDRESS_RUN.sub(masked, text)


def mask_id_number(number: str | None) -> str:
    """330102********1234: the region and the last four only."""
    if not number:
        return ""
    return number[:6] + "*" * max(len(number) - 10, 2) + number[-4:] if len(number) > 10 else "****"


def clean_contact_phone(raw: str | None) -> str:
    """A party's phone: a mainland mobile, or a landline such as 0571-88888888; "" when none."""
    text = re.sub(r"\s", "", raw or "")
    if not text:
        return ""
    if text.startswith("+86"):
        text = text[3:]
    if MOBILE.fullmatch(text.replace("-", "")):
        return text.replace("-", "")
    if re.fullmatch(r"0\d{2,3}-?\d{7,8}(-\d{1,6})?", text):
        return text
    raise Invalid(_l("Please enter a mobile number or a landline number with its area code."))


def printed_name(user) -> str:
    """The name a printed document (and the case's timeline, which the summary prints) gives a
    member of staff: their full name (傅国强), else the name of the adviser their login belongs to
    (Adviser.user_id), else the login's display name, which may be short (老傅), else the
    username. One rule for every document."""
    adviser = user.adviser
    return (user.full_name or "").strip() or (adviser.name.strip() if adviser else "") \
        or user.display_name or user.username
