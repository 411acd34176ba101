"""Wijkpost sync server: ``create_app`` is the application factory."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask
from flask_smorest import Api
from sqlalchemy.engine import make_url

from server import api_docs, bulk, config, files, jsonbody, liveness, sqlite, transactions
from server.auth import devicekeys
from server.errors import register_error_handlers
from server.extensions import OrjsonProvider, db, limiter, migrate
from sync.hlc import Clock


class WijkpostApi(Api):
    """flask-smorest's Api, documenting errors with the body the server sends."""

    ERROR_SCHEMA = api_docs.ErrorSchema


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    # First of all: every file this process makes (database, WAL, keys, logs) is 0600.
    files.private_umask()
    Flask.json_provider_class = OrjsonProvider
    app = Flask(__name__, instance_path=os.environ.get("WIJKPOST_INSTANCE") or None,
                static_folder=None)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(config.from_environment(app.instance_path))
    if overrides:
        app.config.update(overrides)
    files.tighten(app)

    from server import models  # noqa: F401  (tables known to migrations)

    if app.config.get("BEHIND_PROXY"):
        # Behind a TLS-terminating proxy: take the client address and scheme from it.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)  # type: ignore[method-assign]

    on_sqlite = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() == "sqlite"
    db.init_app(app)
    if on_sqlite:
        with app.app_context():
            sqlite.configure(db.engine, app.config["SQLITE_CHECKPOINT_THREAD"])
    else:
        with app.app_context():
            # A database server may drop idle connections (an SQLite file cannot)
            liveness.ping_when_idle(db.engine, app.config["DATABASE_PING_AFTER_IDLE_S"])
            bulk.add_generic_pool(app, app.config["DATABASE_PING_AFTER_IDLE_S"])
            transactions.declare_read_only(db.engine)
    transactions.end_reads(app)
    devicekeys.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "migrations"))
    # Before the limiter: the login rate-limit key reads the (capped) body.
    jsonbody.init_app(app)
    app.config["RATELIMIT_ENABLED"] = app.config.get("RATELIMIT_ENABLED", True)
    limiter.init_app(app)
    # Every limit is a route's own (login, exports), checked by its decorator as the view
    # runs. The extension's hook before every request looks for application and default
    # limits, and there are none: it cost 70 µs a request, a quarter of /health's time.
    hooks, manager = app.before_request_funcs[None], limiter.limit_manager
    if limiter._check_request_limit in hooks and not (
            manager.application_limits or manager.default_limits or limiter._meta_limits):
        hooks.remove(limiter._check_request_limit)
    app.extensions["wijkpost_clock"] = Clock("server")

    api = WijkpostApi(app, spec_kwargs={"info": {"description": "Wijkpost sync-API"},
                                        "extra_plugins": [api_docs.ResponsesPlugin()]})
    from server.areas.routes import blp as areas_blp
    from server.attachments.routes import blp as attachments_blp
    from server.auth.routes import blp as auth_blp
    from server.briefing.routes import blp as briefing_blp
    from server.exports.routes import blp as exports_blp
    from server.notices.routes import blp as notices_blp
    from server.pdok import blp as pdok_blp
    from server.registrations.routes import blp as registrations_blp
    from server.sync_api.routes import blp as sync_blp
    from server.teams.members import blp as team_blp
    from server.teams.routes import blp as teams_blp
    from server.webpush.routes import blp as push_blp

    for blueprint in (auth_blp, registrations_blp, sync_blp, attachments_blp, teams_blp,
                      team_blp, exports_blp, push_blp, areas_blp, notices_blp, briefing_blp,
                      pdok_blp):
        api.register_blueprint(blueprint)
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})

    from server import web

    app.register_blueprint(web.bp)
    web.security_headers(app)
    register_error_handlers(app)

    if app.config["AUDIT_CHAINER_THREAD"]:
        from server.audit import start_chainer

        # Started by the first request, in the process that serves (not at import, which
        # a forking server or a CLI command would also do).
        app.before_request(lambda: start_chainer(app))

    from server import scheduler, webpush
    from server.cli import hotspots_job, purge_expired_job, register_cli
    from server.geo_entities import retract_ended
    from server.notices import dispatch_due_notices
    from server.search import index_job as search_index_job
    from server.spatial import index_job as spatial_index_job

    register_cli(app)
    webpush.init_app(app)
    scheduler.register_job("purge-expired", purge_expired_job, 3600)
    # A due notice reaches the push service within a minute of its send time.
    scheduler.register_job("notice-dispatch", dispatch_due_notices, 15)
    # An ended notice or area leaves the devices at their next pull, within 15 s.
    scheduler.register_job("geo-retract", retract_ended, 15)
    scheduler.register_job("hotspots", hotspots_job, 900)
    # SQLite's search index follows the change log off the push's transaction; a search
    # checks the registrations changed since directly, so the lag is never seen.
    scheduler.register_job("search-index", search_index_job, 2)
    # SQLite's registrations' tree likewise (a briefing takes the newest changes directly).
    scheduler.register_job("spatial-index", spatial_index_job, 2)
    # Last: every job is registered by now.
    scheduler.init_app(app)
    return app
