"""Serving the built PWA at / and the security headers on every response."""

from __future__ import annotations

import os

from flask import Blueprint, Flask, Response, current_app, request, send_from_directory
from werkzeug.exceptions import NotFound

bp = Blueprint("web", __name__)

NO_CACHE = {"index.html", "sw.js", "manifest.webmanifest"}
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: "
    "https://service.pdok.nl; connect-src 'self'; worker-src 'self'; manifest-src 'self'; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)


@bp.route("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@bp.route("/", defaults={"path": "index.html"})
@bp.route("/<path:path>")
def app_shell(path: str) -> Response:
    dist = current_app.config["PWA_DIST"]
    if path.startswith("api/"):
        raise NotFound()
    if not os.path.isfile(os.path.join(dist, "index.html")):
        return Response("De app is nog niet gebouwd: voer 'make run' uit.", 503,
                        mimetype="text/plain")
    target = path if os.path.isfile(os.path.join(dist, path)) else "index.html"
    response = send_from_directory(dist, target)
    if target in NO_CACHE or target.endswith(".html"):
        response.headers["Cache-Control"] = "no-cache"
    elif target.startswith("assets/"):
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


def security_headers(app: Flask) -> None:
    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Permissions-Policy"] = "geolocation=(self), camera=(self)"
        if request.is_secure:
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        if response.mimetype == "application/json":
            response.headers.setdefault("Cache-Control", "no-store")
        return response
