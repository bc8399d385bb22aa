"""Errors answered plainly: an HTML page for people, JSON for scripts (by the Accept header);
crashes logged without the values that caused them."""

import logging
import traceback

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
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


def explain_http(exc: HTTPException) -> str:
    """What a person reads on the page for an HTTP error, in their language.

    Werkzeug's own descriptions are English and technical; a description the app gave
    (`abort(400, description=_("..."))`) is already in the person's language and is kept."""
    if not isinstance(exc, CSRFError) and exc.description != type(exc).description:
        return exc.description
    if exc.code == 400:
        return _(
            "The page could not use what was sent. If the form was open for a long time, it "
            "has expired: reload the page and try again."
        )
    if exc.code == 405:
        return _(
            "This address cannot be used that way. Go back to the start page and try again "
            "from there."
        )
    if exc.code == 413:
        limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
        if limit < 1024 * 1024:
            return _("The file or form is too large. Choose a smaller file and try again.")
        return _(
            "The file or form is too large: at most %(mb)d MB can be sent at once. Choose a "
            "smaller file and try again.",
            mb=limit // (1024 * 1024),
        )
    if exc.code == 429:
        return _("Too many attempts in a short time. Wait a moment and try again.")
    return _(
        "The request could not be completed. Please try again; if it happens again, tell "
        "the administrator."
    )


def without_values(exc: BaseException) -> str:
    """A crash as the log keeps it: each exception's type and the frames it passed through,
    but no message, source line or SQL. A database error's message holds what was sent (a
    password hash, an email, what someone typed), and a source line can hold a literal."""
    lines = []
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        for frame in traceback.extract_tb(exc.__traceback__):
            lines.append(f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}')
        kind = type(exc)
        detail = ""
        orig = getattr(exc, "orig", None)  # SQLAlchemy's wrapper of the driver's error
        if orig is not None:
            code = getattr(orig, "sqlstate", None) or getattr(orig, "sqlite_errorname", None)
            detail = f" (driver: {type(orig).__module__}.{type(orig).__qualname__}"
            detail += f", code {code})" if code else ")"
        lines.append(f"{kind.__module__}.{kind.__qualname__}{detail} [message hidden]")
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    return "Traceback, values hidden (most recent call last):\n" + "\n".join(lines)


class HideValues(logging.Filter):
    """Rewrites a record carrying an exception so that it keeps only `without_values()`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            record.msg = f"{record.getMessage()}\n{without_values(record.exc_info[1])}"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


def init_app(app: Flask) -> None:
    """Register the handlers for HTTP errors, domain errors and crashes."""
    app.logger.addFilter(HideValues())  # Flask logs every crash here before the 500 page

    from tracker.api import problems

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if problems.applies():
            return problems.from_http(exc)
        if wants_json():
            return jsonify(error=exc.description, status=exc.code), exc.code
        if exc.code in (403, 404):
            return render_template(f"errors/{exc.code}.html", error=exc), exc.code
        return render_template("errors/generic.html", message=explain_http(exc)), exc.code

    @app.errorhandler(TrackerError)
    def domain_error(exc: TrackerError):
        db.session.rollback()  # nothing half-written stays behind
        if problems.applies():
            return problems.from_domain(exc)
        if wants_json():
            return jsonify(error=exc.message, status=exc.status), exc.status
        return render_template("errors/generic.html", message=exc.localized()), exc.status

    @app.errorhandler(500)
    def server_error(exc):
        db.session.rollback()
        if problems.applies():
            return problems.server_error()
        if wants_json():
            return jsonify(error="internal error", status=500), 500
        return render_template("errors/500.html"), 500
