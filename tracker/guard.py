"""Bad input stopped at the door, before any view runs: NUL bytes anywhere in the request are a
400, and `<int:...>` in a route only matches ids the database can hold (others are a 404)."""

from flask import Flask, abort, request
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter

from tracker.validation import MAX_ID, has_nul


class DatabaseIdConverter(IntegerConverter):
    """`<int:...>`: ASCII digits up to 2^63-1. A larger number (or '٢') matches no route: 404,
    where it used to reach the database and fail there with a 500."""

    regex = r"[0-9]+"

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def refuse_nul() -> None:
    """A NUL byte in the path, query string, form (names, values, file names) or JSON body is
    refused with a 400 before anything is read or written (PostgreSQL cannot store it)."""
    found = (
        "\x00" in request.path
        or has_nul(list(request.args.items(multi=True)))
        or (request.method != "GET" and _body_has_nul())
    )
    if found:
        abort(400, description=_("The request holds a NUL character, which cannot be used."))


def _body_has_nul() -> bool:
    if request.is_json:
        return has_nul(request.get_json(silent=True))
    return has_nul(list(request.form.items(multi=True))) or any(
        has_nul(name) or has_nul(upload.filename or "")
        for name, upload in request.files.items(multi=True)
    )


def init_app(app: Flask) -> None:
    """Install the id converter and the NUL guard; call before the blueprints are registered."""
    app.url_map.converters["int"] = DatabaseIdConverter
    # First of the app's before_request functions: ahead of the CSRF check, so the answer says
    # what is wrong, whatever else the request lacks.
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_nul)
