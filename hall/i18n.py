"""Which language a reader gets: Chinese unless they chose English (?lang=en, kept in the session)."""
from flask import current_app, has_request_context, request, session

SHORT = {"zh": "zh_Hans_CN", "zh_Hans_CN": "zh_Hans_CN", "en": "en"}


def select_locale() -> str:
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = request.args.get("lang")
    if chosen in SHORT:
        session["lang"] = SHORT[chosen]
    lang = session.get("lang")
    if lang in current_app.config["LANGUAGES"]:
        return lang
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def is_english() -> bool:
    from flask_babel import get_locale
    return str(get_locale()).startswith("en")


def service_name(service) -> str:
    """A service's name in the reader's language (Chinese always available)."""
    return service.name_en if is_english() and service.name_en else service.name_zh
