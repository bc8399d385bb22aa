"""Errors answered plainly: an HTML page for people, JSON for scripts (by the Accept header)."""

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from tracker.errors import TrackerError
from tracker.extensions import db


def wants_json() -> bool:
    """True when the client prefers JSON to HTML (the API, scripts)."""
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return request.path.startswith("/api/") or (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def init_app(app: Flask) -> None:
    """Register the handlers for HTTP errors, domain errors and crashes."""

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if wants_json():
            return jsonify(error=exc.description, status=exc.code), exc.code
        template = f"errors/{exc.code}.html" if exc.code in (403, 404) else "errors/generic.html"
        return render_template(template, error=exc), exc.code

    @app.errorhandler(TrackerError)
    def domain_error(exc: TrackerError):
        db.session.rollback()  # nothing half-written stays behind
        if wants_json():
            return jsonify(error=exc.message, status=exc.status), exc.status
        return render_template("errors/generic.html", error=exc), exc.status

    @app.errorhandler(500)
    def server_error(exc):
        db.session.rollback()
        if wants_json():
            return jsonify(error="internal error", status=500), 500
        return render_template("errors/500.html"), 500
