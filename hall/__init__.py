"""Fengqiao Hall: the application factory."""
from __future__ import annotations

from flask import Flask, jsonify, request, send_from_directory

from . import config as config_module
from .extensions import babel, csrf, db, htmx, limiter, login_manager, migrate


def _limited_elsewhere() -> bool:
    return request.blueprint in ("kiosk", "api")


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True,
                template_folder="../templates", static_folder="../static")
    app.config.from_object(config_module.Config)
    app.json.ensure_ascii = False  # Chinese stays readable in the API's answers
    if test_config:
        app.config.update(test_config)
    app.config["SQLALCHEMY_DATABASE_URI"] = config_module.database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A file on this machine cannot drop a connection: no "SELECT 1" before every request.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            k: v for k, v in app.config["SQLALCHEMY_ENGINE_OPTIONS"].items() if k != "pool_pre_ping"}
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = config_module._secret_key()

    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    from .i18n import select_locale
    db.init_app(app)
    migrate.init_app(app, db, directory=str(config_module.INSTANCE_DIR.parent / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories="../translations")
    htmx.init_app(app)
    limiter.init_app(app)

    with app.app_context():
        from .engine import configure_engine
        configure_engine(db.engine, app.config.get("SQLITE_SYNCHRONOUS", "NORMAL"))

    from . import auth  # noqa: F401  (the user loader)
    from .web import install as install_web
    install_web(app)

    from .inputs import install as install_inputs
    install_inputs(app)  # the `id` URL converter, before any route uses it

    from kiosk import bp as kiosk_bp
    from admin import bp as admin_bp
    from api import bp as api_bp
    app.register_blueprint(kiosk_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    csrf.exempt(api_bp)
    # The public screens set no rate limit (a kiosk stands in the hall; polls are cheap 304s),
    # and the API's one limit, on issuing tickets, is checked by hall/api_tickets.py with the
    # limiter's storage and strategy: spare both the limiter's bookkeeping on every request.
    limiter.request_filter(_limited_elsewhere)

    @app.get("/healthz")
    def healthz():
        """200 when the database takes a write and the disk has room (hall/health.py); 503 with
        the reasons and Retry-After otherwise."""
        from .health import problems
        found = problems()
        if found:
            return jsonify(status="unavailable", reasons=found), 503, {"Retry-After": "10", "Cache-Control": "no-store"}
        return jsonify(status="ok"), 200, {"Cache-Control": "no-store"}

    @app.get("/favicon.ico")
    def favicon():
        """The hall's seal-like mark (static/favicon.svg, and this .ico for what asks the old way)."""
        return send_from_directory(app.static_folder, "favicon.ico", max_age=7 * 24 * 3600)

    from .cli import register as register_cli
    register_cli(app)
    app.cli.add_command(__import__("hall.case_cli", fromlist=["group"]).group)  # case pdf, case archive
    app.cli.add_command(__import__("hall.queue_cli", fromlist=["group"]).group)  # queue close-day
    return app
