"""Errors of the API as problem details (RFC 9457, `application/problem+json`). The app's error
handlers call `answer` for every request under /api/, so each error, from a route or not, has
this one shape; a 500 never shows what caused it."""

from http import HTTPStatus

from flask import Response, json, request
from werkzeug.exceptions import HTTPException

from tracker.errors import BadInput, TrackerError

PREFIX = "/api/"
MEDIA_TYPE = "application/problem+json"


def applies() -> bool:
    return request.path.startswith(PREFIX)


def problem(status: int, detail: str, *, errors: dict | None = None, headers=None) -> Response:
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype=MEDIA_TYPE)
    response.headers.update(headers or {})
    return response


def _field_errors(messages) -> dict:
    """webargs's {"json": {"field": [...]}, "query": {...}} as one {"field": [...]}."""
    flat: dict = {}
    for by_location in (messages or {}).values():
        if isinstance(by_location, dict):
            for field, why in by_location.items():
                flat[str(field)] = why if isinstance(why, list) else [why]
    return flat


def from_http(exc: HTTPException) -> Response:
    data = getattr(exc, "data", None) or {}
    errors = _field_errors(data.get("messages"))
    headers = dict(data.get("headers") or {})
    if exc.code == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="tracker"')
    if getattr(exc, "valid_methods", None):
        headers["Allow"] = ", ".join(exc.valid_methods)
    detail = data.get("message") or exc.description
    if errors:
        detail = "The request's fields were refused."
    return problem(exc.code or 500, detail, errors=errors, headers=headers)


def from_domain(exc: TrackerError) -> Response:
    """A service's refusal: bad input is a 422 (with its field when the API knows it)."""
    status = 422 if isinstance(exc, BadInput) else exc.status
    field = getattr(exc, "field", None)
    return problem(status, exc.message, errors={field: [exc.message]} if field else None)


def server_error() -> Response:
    return problem(500, "The request could not be completed; it has been logged.")


class FieldError(BadInput):
    """Bad input the API can pin on one field of the request."""

    def __init__(self, field: str, msgid: str, /, **params) -> None:
        super().__init__(msgid, **params)
        self.field = field
