"""The words residents and staff choose from: dispute categories (as in people's-mediation
statistics) and the kinds of adviser. Codes are stored; labels come from the catalogues."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .models import AdviserKind

# Dispute categories, in the order the statistics list them (DESIGN.md).
CATEGORIES: dict[str, object] = {
    "family": _l("Marriage and family"),            # 婚姻家庭
    "neighbour": _l("Neighbours"),                  # 邻里
    "housing": _l("Housing and homesteads"),        # 房屋宅基地
    "contract": _l("Contracts"),                    # 合同
    "business": _l("Production and business"),      # 生产经营
    "damages": _l("Compensation for damage"),       # 损害赔偿
    "land": _l("Forests and land"),                 # 山林土地
    "demolition": _l("Land requisition and demolition"),  # 征地拆迁
    "pollution": _l("Environmental pollution"),     # 环境污染
    "labour": _l("Labour disputes"),                # 劳动争议
    "consumer": _l("Consumer disputes"),            # 消费
    "medical": _l("Medical disputes"),              # 医疗
    "traffic": _l("Road traffic accidents"),        # 道路交通事故
    "property": _l("Property management"),          # 物业
    "cityscape": _l("Cityscape and environment"),   # 市容环境
    "other": _l("Other"),                           # 其他
}

ADVISER_KINDS: dict[AdviserKind, object] = {
    AdviserKind.people_mediator: _l("People's mediator"),   # 人民调解员
    AdviserKind.legal_counsel: _l("Legal counsel"),         # 法律顾问
    AdviserKind.lawyer: _l("Lawyer"),                       # 律师
    AdviserKind.legal_literate: _l("Legal-literate resident"),  # 法律明白人
    AdviserKind.counsellor: _l("Psychological counsellor"),  # 心理咨询师
    AdviserKind.grid_worker: _l("Grid worker"),             # 网格员
}


def category_label(code: str) -> str:
    return str(CATEGORIES.get(code, code))


def kind_label(kind: AdviserKind | str) -> str:
    try:
        return str(ADVISER_KINDS[AdviserKind(kind)])
    except ValueError:
        return str(kind)


def clean_specialties(codes) -> str:
    """The stored form of a set of categories: known codes only, in the statistics' order."""
    wanted = set(codes or ())
    return ",".join(code for code in CATEGORIES if code in wanted)
