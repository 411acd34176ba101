"""Wijkpost sync server: ``create_app`` is the application factory."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask
from flask_smorest import Api
from sqlalchemy.engine import make_url

from server import config, sqlite
from server.errors import register_error_handlers
from server.extensions import OrjsonProvider, db, limiter, migrate
from sync.hlc import Clock


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    Flask.json_provider_class = OrjsonProvider
    app = Flask(__name__, instance_path=os.environ.get("WIJKPOST_INSTANCE") or None,
                static_folder=None)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(config.from_environment(app.instance_path))
    if overrides:
        app.config.update(overrides)

    from server import models  # noqa: F401  (tables known to migrations)

    if app.config.get("BEHIND_PROXY"):
        # Behind a TLS-terminating proxy: take the client address and scheme from it.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)  # type: ignore[method-assign]

    on_sqlite = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() == "sqlite"
    if on_sqlite:
        # A database server may drop idle connections; an SQLite file cannot, and the
        # ping would cost a statement on every checkout (two per push).
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"], "pool_pre_ping": False}
    db.init_app(app)
    if on_sqlite:
        with app.app_context():
            sqlite.configure(db.engine, app.config["SQLITE_CHECKPOINT_THREAD"])
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "migrations"))
    app.config["RATELIMIT_ENABLED"] = app.config.get("RATELIMIT_ENABLED", True)
    limiter.init_app(app)
    app.extensions["wijkpost_clock"] = Clock("server")

    api = Api(app, spec_kwargs={"info": {"description": "Wijkpost sync-API"}})
    from server.areas.routes import blp as areas_blp
    from server.attachments.routes import blp as attachments_blp
    from server.auth.routes import blp as auth_blp
    from server.briefing.routes import blp as briefing_blp
    from server.notices.routes import blp as notices_blp
    from server.pdok import blp as pdok_blp
    from server.registrations.routes import blp as registrations_blp
    from server.sync_api.routes import blp as sync_blp

    for blueprint in (auth_blp, registrations_blp, sync_blp, attachments_blp, areas_blp,
                      notices_blp, briefing_blp, pdok_blp):
        api.register_blueprint(blueprint)
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})

    from server import web

    app.register_blueprint(web.bp)
    web.security_headers(app)
    register_error_handlers(app)

    from server.cli import register_cli

    register_cli(app)
    return app
