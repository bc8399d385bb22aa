"""Configuration: defaults here, then `instance/config.py`, then TRACKER_* environment variables."""

import os
from pathlib import Path

# Setting name -> environment variable (each may also be given as TRACKER_<NAME>_FILE).
ENVIRONMENT = {
    "SQLALCHEMY_DATABASE_URI": "DATABASE_URL",
    "SECRET_KEY": "SECRET_KEY",
    "MAIL_URL": "MAIL_URL",
    "MAIL_FROM": "MAIL_FROM",
    "BASE_URL": "BASE_URL",
    "UPLOAD_DIR": "UPLOAD_DIR",
    "TRUSTED_PROXIES": "TRUSTED_PROXIES",
    "UPLOAD_MAX_BYTES": "UPLOAD_MAX_BYTES",
    # The scheduler's watched folder of DMS exports (tracker/imports/jobs.py).
    "IMPORT_WATCH_DIR": "IMPORT_WATCH_DIR",
    "IMPORT_WATCH_STORE": "IMPORT_WATCH_STORE",
    "IMPORT_WATCH_MAPPING": "IMPORT_WATCH_MAPPING",
    "IMPORT_WATCH_VALID_ONLY": "IMPORT_WATCH_VALID_ONLY",
    "ROBOT_ALLOW_HOSTS": "ROBOT_ALLOW_HOSTS",
}


def defaults(instance_path: str) -> dict:
    """Defaults that suit the embedded single store: SQLite and mail files in instance/."""
    return {
        "SQLALCHEMY_DATABASE_URI": "sqlite:///" + os.path.join(instance_path, "tracker.sqlite"),
        # hide_parameters: a failed statement's error (and so the log) never shows its values,
        # such as a password hash or what someone typed.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
        "MAIL_URL": "file://" + os.path.join(instance_path, "outbox"),
        "MAIL_FROM": "tracker@localhost",
        "BASE_URL": "http://127.0.0.1:5000",
        "UPLOAD_DIR": os.path.join(instance_path, "uploads"),
        "MAX_CONTENT_LENGTH": 10 * 1024 * 1024,
        # How many proxies in front of the tracker set X-Forwarded-For (0: none, so the
        # client's address is the connection's, and no header can claim another).
        "TRUSTED_PROXIES": 0,
    }


def _env(name: str) -> str | None:
    """TRACKER_<name>, or the contents of the file TRACKER_<name>_FILE names (for secrets)."""
    value = os.environ.get(f"TRACKER_{name}")
    if value is not None:
        return value
    path = os.environ.get(f"TRACKER_{name}_FILE")
    return Path(path).read_text().strip() if path else None


def from_environment() -> dict:
    """The settings given in the environment, and only those."""
    found = {key: _env(name) for key, name in ENVIRONMENT.items()}
    return {key: value for key, value in found.items() if value is not None}
