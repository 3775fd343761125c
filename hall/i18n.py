"""Which language a reader gets: Chinese unless they chose English (?lang=en, kept in the session).
An API client (paths under /api/) has no session: ?lang=, else its Accept-Language, else Chinese."""
from urllib.parse import urlencode

from flask import current_app, has_request_context, request, session

SHORT = {"zh": "zh_Hans_CN", "zh_Hans_CN": "zh_Hans_CN", "en": "en"}


def select_locale() -> str:
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if request.path.startswith("/api/"):
        return _api_locale()
    chosen = request.args.get("lang")
    if chosen in SHORT:
        session["lang"] = SHORT[chosen]
    lang = session.get("lang")
    if lang in current_app.config["LANGUAGES"]:
        return lang
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _api_locale() -> str:
    chosen = request.args.get("lang")
    if chosen in SHORT:
        return SHORT[chosen]
    for tag, quality in request.accept_languages:  # best first
        primary = tag.replace("_", "-").split("-")[0].lower()
        if quality > 0 and primary in SHORT:  # zh-CN, zh-Hans, zh-TW → Chinese; en-US → English
            return SHORT[primary]
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def is_english() -> bool:
    from flask_babel import get_locale
    return str(get_locale()).startswith("en")


def lang_url(code: str) -> str:
    """This page in another language ("zh" or "en"), keeping its query (the day a resident was
    looking at, a step's choices): only lang= changes."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"] + [("lang", code)]
    return f"{request.path}?{urlencode(args)}"


def service_name(service) -> str:
    """A service's name in the reader's language (Chinese always available)."""
    return service.name_en if is_english() and service.name_en else service.name_zh
