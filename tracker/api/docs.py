"""The API wired into the app: flask-smorest's Api (the OpenAPI document at
/api/v1/openapi.json), the resources' blueprint (exempt from CSRF: a bearer token, no cookie),
and a browsable page at /api/v1/docs: Swagger UI from the assets bundled in the
flask-swagger-ui package, started by a script of ours (no inline script, no CDN)."""

import http
from pathlib import Path

import flask_swagger_ui
from flask import Blueprint, Flask, abort, render_template, send_from_directory
from flask_smorest import Api
from flask_smorest.utils import prepare_response

from tracker.extensions import csrf

from .problems import MEDIA_TYPE
from .schemas import Problem

SWAGGER = Path(flask_swagger_ui.__file__).parent / "dist"
OURS = Path(__file__).parent / "assets"
ASSETS = {
    "swagger-ui.css": SWAGGER,
    "swagger-ui-bundle.js": SWAGGER,
    "favicon-32x32.png": SWAGGER,
    "start.js": OURS,
}


class TrackerApi(Api):
    """flask-smorest's Api, answering errors in the app's own way (`tracker.errorhandlers`
    gives every /api/ error as problem details), and documenting them so."""

    ERROR_SCHEMA = Problem

    def _register_error_handlers(self):
        pass  # the app's handlers, registered after, answer /api/ with problem details

    def _register_responses(self):
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, MEDIA_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "An error, as problem details", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, MEDIA_TYPE)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


page = Blueprint("api_docs_page", __name__, url_prefix="/api/v1/docs")


@page.get("")
def docs():
    return render_template("api/docs.html")


@page.get("/<name>")
def asset(name: str):
    if name not in ASSETS:
        abort(404)
    return send_from_directory(ASSETS[name], name, max_age=3600)


def init_app(app: Flask) -> None:
    from .views import bp

    app.config.update(
        API_TITLE="Tracker API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
    )
    api = TrackerApi(
        app,
        spec_kwargs={
            "security": [{"bearer": []}],
            "servers": [{"url": "/"}],
        },
    )
    api.spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "description": "tracker token create"}
    )
    csrf.exempt(bp)
    api.register_blueprint(bp)
    app.register_blueprint(page)
