"""Personal data as residents type it and as public screens may show it."""
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
