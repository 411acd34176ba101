"""One JSON error shape for every 4xx/5xx: ``{error, message, errors?}`` in Dutch."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

MESSAGES = {
    400: ("bad_request", "Ongeldig verzoek"),
    401: ("unauthorized", "Log opnieuw in"),
    403: ("forbidden", "U heeft hier geen toegang toe"),
    404: ("not_found", "Niet gevonden"),
    405: ("method_not_allowed", "Deze methode is hier niet toegestaan"),
    409: ("stale", "De gegevens zijn intussen gewijzigd; haal ze opnieuw op"),
    413: ("too_large", "Het verzoek is te groot"),
    415: ("unsupported_media_type", "Dit bestandstype wordt niet ondersteund"),
    422: ("invalid", "Ongeldige invoer"),
    429: ("rate_limited", "Te veel pogingen; probeer het over een minuut opnieuw"),
    500: ("server_error", "Er ging iets mis op de server"),
}


class ApiError(Exception):
    """Raise to answer with a 4xx; ``errors`` maps field names to messages."""

    def __init__(
        self,
        status: int,
        error: str | None = None,
        message: str | None = None,
        errors: dict[str, Any] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message or error or status)
        self.status = status
        self.error = error  # None: the status's default code and message (error_body)
        self.message = message
        self.errors = errors
        self.extra = extra


def error_body(status: int, error: str | None = None, message: str | None = None,
               errors: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    default_error, default_message = MESSAGES.get(status, ("error", "Fout"))
    body: dict[str, Any] = {"error": error or default_error, "message": message or default_message}
    if errors:
        body["errors"] = errors
    body.update(extra)
    return body


def register_error_handlers(app: Flask) -> None:
    @app.before_request
    def _refuse_nul() -> None:
        # PostgreSQL text cannot hold NUL; path parameters and query values reach queries.
        if "\x00" in request.path or any("\x00" in v for v in request.args.values()):
            raise ApiError(400, "invalid_characters", "Het adres bevat ongeldige tekens")

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):  # type: ignore[no-untyped-def]
        body = error_body(exc.status, exc.error, exc.message, exc.errors, **exc.extra)
        return jsonify(body), exc.status

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):  # type: ignore[no-untyped-def]
        status = exc.code or 500
        errors = None
        # flask-smorest / webargs put the field-level messages here.
        data = getattr(exc, "data", None)
        if isinstance(data, dict) and "messages" in data:
            messages = data["messages"]
            errors = messages.get("json", messages) if isinstance(messages, dict) else messages
        if status == 422:
            status = 400 if errors is None else 422
        response = jsonify(error_body(status, errors=errors))
        response.status_code = status
        if exc.code == 429:
            response.headers["Retry-After"] = "60"
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):  # type: ignore[no-untyped-def]
        app.logger.exception("unhandled error", exc_info=exc)
        return jsonify(error_body(500)), 500
