"""The tracker: commitments between a dealership's departments, their deadlines and scorecards."""

import os
import secrets
from pathlib import Path

from flask import Flask

from tracker import config
from tracker.extensions import db, migrate

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = str(ROOT / "migrations")


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: defaults, then instance/config.py and the environment, or test_config."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(config.defaults(app.instance_path))
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.update(config.from_environment())
    else:
        app.config.update(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(app.instance_path)

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS, render_as_batch=True)
    _enable_sqlite_foreign_keys(app)

    from tracker import models  # noqa: F401  (register every model with the metadata)
    from tracker.cli import tracker_cli
    from tracker.web import bp as web_bp

    app.cli.add_command(tracker_cli)
    app.register_blueprint(web_bp)
    return app


def _instance_secret(instance_path: str) -> str:
    """A secret key kept in instance/secret_key, made once, so sessions survive a restart."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _enable_sqlite_foreign_keys(app: Flask) -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return

    @event.listens_for(Engine, "connect")
    def _on_connect(dbapi_connection, _record):  # pragma: no cover - trivial
        if type(dbapi_connection).__module__.startswith("sqlite3"):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.close()
