"""The tracker: commitments between a dealership's departments, their deadlines and scorecards."""

import os
import secrets
from pathlib import Path

from flask import Flask

from tracker import config, files, security
from tracker.extensions import csrf, db, login, mail, migrate

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = str(ROOT / "migrations")


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: defaults, then instance/config.py and the environment, or test_config."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        instance_path=os.environ.get("TRACKER_INSTANCE_PATH", str(ROOT / "instance")),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    files.private_folder(app.instance_path)
    app.config.from_mapping(config.defaults(app.instance_path))
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.update(config.from_environment())
    else:
        app.config.update(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(app.instance_path)
    # A config file that sets its own engine options still hides statement parameters from
    # errors and logs, unless it says otherwise.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"].setdefault("hide_parameters", True)

    # Cookies: never readable by scripts, not sent cross-site, and only over HTTPS when the
    # tracker is served over HTTPS (the embedded default is plain http on 127.0.0.1).
    secure = app.config.get("BASE_URL", "").startswith("https://")
    app.config["SESSION_COOKIE_SECURE"] = app.config.get("SESSION_COOKIE_SECURE") or secure
    app.config["REMEMBER_COOKIE_SECURE"] = app.config.get("REMEMBER_COOKIE_SECURE") or secure
    app.config["SESSION_COOKIE_SAMESITE"] = app.config.get("SESSION_COOKIE_SAMESITE") or "Lax"

    files.protect_sqlite(app.config["SQLALCHEMY_DATABASE_URI"])
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS, render_as_batch=True)
    _init_mail(app)
    _enable_sqlite_foreign_keys(app)

    csrf.init_app(app)
    _init_login(app)
    security.init_app(app)

    from tracker import (
        errorhandlers,
        guard,
        i18n,
        models,  # noqa: F401  (register every model with the metadata)
        navigation,
    )
    from tracker.admin.views import bp as admin_bp
    from tracker.api import cli as api_cli
    from tracker.api import docs as api_docs
    from tracker.api.pages import bp as tokens_bp
    from tracker.auth.views import bp as auth_bp
    from tracker.calendar import cli as calendar_cli
    from tracker.calendar import web as calendar_web
    from tracker.catalog import cli as catalog_cli
    from tracker.channels.views import bp as robots_bp
    from tracker.cli import tracker_cli
    from tracker.closing import cli as closing_cli
    from tracker.closing.views import bp as closing_bp
    from tracker.cockpit.views import bp as cockpit_bp
    from tracker.complaints import cli as complaints_cli
    from tracker.complaints.views import bp as complaints_bp
    from tracker.feeds import cli as feeds_cli
    from tracker.feeds.views import bp as feeds_bp
    from tracker.home import bp as home_bp
    from tracker.imports import cli as imports_cli
    from tracker.imports.views import bp as imports_bp
    from tracker.inbox.views import bp as inbox_bp
    from tracker.ledger import cli as ledger_cli
    from tracker.ledger.views import bp as ledger_bp
    from tracker.org import cli as org_cli
    from tracker.reminders import cli as reminders_cli
    from tracker.reminders.views import bp as reminders_bp
    from tracker.satisfaction import cli as satisfaction_cli
    from tracker.satisfaction.views import bp as satisfaction_bp
    from tracker.scorecards import cli as scorecards_cli
    from tracker.scorecards import listeners as scorecards_listeners
    from tracker.scorecards.views import bp as scorecards_bp

    i18n.init_app(app)
    navigation.init_app(app)
    errorhandlers.init_app(app)
    guard.init_app(app)  # before the blueprints: their `<int:...>` rules use its converter
    # Each area keeps its commands in its own cli.py; all hang on the one `tracker` group.
    areas = (org_cli, catalog_cli, calendar_cli, ledger_cli, reminders_cli, scorecards_cli)
    areas += (closing_cli, imports_cli, feeds_cli, api_cli, satisfaction_cli, complaints_cli)
    for area in areas:
        area.register(tracker_cli)
    scorecards_listeners.connect()
    app.cli.add_command(tracker_cli)
    calendar_web.register(app)
    app.register_blueprint(auth_bp)
    app.register_blueprint(home_bp)
    app.register_blueprint(ledger_bp)
    app.register_blueprint(inbox_bp)
    app.register_blueprint(cockpit_bp)
    app.register_blueprint(scorecards_bp)
    app.register_blueprint(closing_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(robots_bp)
    app.register_blueprint(reminders_bp)
    app.register_blueprint(imports_bp)
    app.register_blueprint(feeds_bp)
    app.register_blueprint(tokens_bp)
    app.register_blueprint(satisfaction_bp)
    app.register_blueprint(complaints_bp)
    api_docs.init_app(app)
    return app


def _init_login(app: Flask) -> None:
    from flask_babel import lazy_gettext

    login.init_app(app)
    login.login_view = "auth.login"
    login.login_message = lazy_gettext("Please sign in to see this page.")
    login.session_protection = "strong"

    @login.user_loader
    def load_person(person_id: str):
        from tracker.auth.sessions import is_current
        from tracker.org.models import Person

        # A session ends when its person signed out, changed or was given a new password
        # anywhere since it began (the generation moved on), or was deactivated.
        person = db.session.get(Person, int(person_id))
        if person is None or not person.active or not is_current(person):
            return None
        return person


def _init_mail(app: Flask) -> None:
    """Flask-Mailman configured from MAIL_URL (smtp://, smtps://, file:///folder, console://)."""
    from tracker.reminders.transport import mail_settings

    app.config.update(mail_settings(app.config["MAIL_URL"]))
    app.config.setdefault("MAIL_DEFAULT_SENDER", app.config["MAIL_FROM"])
    mail.init_app(app)


def _instance_secret(instance_path: str) -> str:
    """A secret key kept in instance/secret_key, made once, so sessions survive a restart."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        files.write_private(path, secrets.token_hex(32).encode())
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
            # WAL: readers do not block the writer, and a commit is one append to the log, not
            # a rewrite of the journal: the right mode for the web and scheduler processes
            # sharing the embedded database (kept in the file; a no-op once set).
            try:
                cursor.execute("PRAGMA journal_mode=WAL")
            except Exception:  # noqa: S110 - another process holds it: stay in its mode
                pass
            cursor.close()
