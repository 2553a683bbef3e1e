"""One JSON error envelope for ``/api/*`` and HTML error pages for everything else."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, NotFound

from .extensions import db

log = logging.getLogger(__name__)

# Default machine-readable codes for HTTP statuses raised by Flask/Werkzeug itself.
STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_fields",
    429: "too_many_requests",
    500: "internal_error",
    503: "service_unavailable",
}


class APIError(Exception):
    """An error answered as ``{"error": {"code", "message"}}`` with ``status``."""

    def __init__(self, status: int, code: str, message: str, details: list | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details


class NotFoundError(LookupError):
    """Something a request named that does not exist for this user (someone else's counts as
    none): 404 on every surface, from wherever it is raised. Subclasses say what it was."""

    code = "not_found"
    message = "There is no such thing."


class InvalidInput(ValueError):
    """Input a request may not carry; the text says why, for people: 422 ``invalid_fields``."""


def wants_json() -> bool:
    """Whether the request is the JSON API's (its errors are JSON, never a page)."""
    return request.path.startswith("/api/")


def error_response(status: int, code: str, message: str, details: list | None = None):
    body: dict = {"error": {"code": code, "message": message}}
    if details:
        body["error"]["details"] = details
    return jsonify(body), status


def validation_details(exc: ValidationError) -> list[dict]:
    return [
        {"field": ".".join(str(p) for p in err["loc"]) or None, "message": err["msg"]}
        for err in exc.errors(include_url=False, include_context=False, include_input=False)
    ]


def _html_error(status: int, title: str, message: str):
    return render_template("error.html", status=status, title=title, message=message), status


def register_errorhandlers(app: Flask) -> None:
    @app.errorhandler(NotFoundError)
    def handle_not_found(exc: NotFoundError):
        """Someone else's row, or none: 404 on every surface, raised from anywhere."""
        if wants_json():
            return error_response(404, exc.code, exc.message)
        # A page's own 404 handling (a flash in place for htmx) applies as to any 404.
        return app.handle_http_exception(NotFound(exc.message))

    @app.errorhandler(InvalidInput)
    def handle_invalid_input(exc: InvalidInput):
        if wants_json():
            return error_response(422, "invalid_fields", str(exc))
        return _html_error(422, "Invalid input", str(exc))

    @app.errorhandler(APIError)
    def handle_api_error(exc: APIError):
        if wants_json():
            return error_response(exc.status, exc.code, exc.message, exc.details)
        return _html_error(exc.status, exc.code.replace("_", " ").capitalize(), exc.message)

    @app.errorhandler(ValidationError)
    def handle_validation_error(exc: ValidationError):
        return error_response(422, "invalid_fields", "Some fields are invalid.", validation_details(exc))

    @app.errorhandler(HTTPException)
    def handle_http_exception(exc: HTTPException):
        status = exc.code or 500
        if wants_json():
            message = exc.description or exc.name
            if status == 413:
                message = "The request body is too large."
            response, status = error_response(status, STATUS_CODES.get(status, "http_error"), message)
            if status == 405 and exc.valid_methods:  # type: ignore[attr-defined]
                response.headers["Allow"] = ", ".join(exc.valid_methods)  # type: ignore[attr-defined]
            return response, status
        return _html_error(status, exc.name, exc.description or exc.name)

    def handle_database_unavailable(exc: Exception):
        db.session.rollback()
        log.warning("database unavailable: %s", getattr(exc, "orig", exc))
        if wants_json():
            return error_response(503, "database_unavailable", "The database is unavailable; try again shortly.")
        return _html_error(503, "Service unavailable", "The database is unavailable; try again shortly.")

    # Refused or dropped connections, a statement timeout, a full pool: the database is
    # unreachable for now, not the request wrong.
    for kind in (OperationalError, InterfaceError, PoolTimeout):
        app.register_error_handler(kind, handle_database_unavailable)

    @app.errorhandler(DBAPIError)
    def handle_database_error(exc: DBAPIError):
        if exc.connection_invalidated:
            return handle_database_unavailable(exc)
        return handle_unexpected(exc)

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        if wants_json():
            return error_response(500, "internal_error", "Something went wrong on our side.")
        return _html_error(500, "Something went wrong", "Something went wrong on our side.")
