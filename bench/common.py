"""What the generator and the benchmark share: an app on a given database, fresh databases."""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import sqlalchemy as sa

from tracker import create_app

# A Wednesday morning in Shanghai: a working day, inside working hours, the year's last instant.
DEFAULT_NOW = "2026-11-18T10:30:00+08:00"
ROOT = Path(__file__).resolve().parent.parent


def scratch_folder(prefix: str = "bench-instance-") -> str:
    """A temporary folder removed when this process ends."""
    folder = tempfile.mkdtemp(prefix=prefix)
    atexit.register(shutil.rmtree, folder, True)
    return folder


def make_app(url: str, *, mail_url: str | None = None, instance: str | None = None):
    """The real app on `url`, configured explicitly (no instance/config.py, no environment)."""
    instance = instance or scratch_folder()
    return create_app(
        {
            "SECRET_KEY": "bench-secret-not-for-production",
            "SQLALCHEMY_DATABASE_URI": url,
            "MAIL_URL": mail_url or "file://" + os.path.join(instance, "outbox"),
            "UPLOAD_DIR": os.path.join(instance, "uploads"),
            "BASE_URL": "http://127.0.0.1:5000",
        }
    )


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def sibling_url(url: str, suffix: str) -> str:
    """A second database beside `url`: `x.sqlite` -> `x-<suffix>.sqlite`, db -> db_<suffix>."""
    parsed = sa.engine.make_url(url)
    if is_sqlite(url):
        path = Path(parsed.database)
        return str(parsed.set(database=str(path.with_name(f"{path.stem}-{suffix}{path.suffix}"))))
    return parsed.set(database=f"{parsed.database}_{suffix}").render_as_string(hide_password=False)


def recreate_database(url: str) -> None:
    """Make `url` an empty database (a new SQLite file, or a PostgreSQL database dropped and
    created again through the server's `postgres` database)."""
    parsed = sa.engine.make_url(url)
    if is_sqlite(url):
        path = Path(parsed.database)
        path.parent.mkdir(parents=True, exist_ok=True)
        for extra in ("", "-wal", "-shm", "-journal"):
            Path(str(path) + extra).unlink(missing_ok=True)
        return
    admin = sa.create_engine(
        parsed.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
    )
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def database_exists(url: str) -> bool:
    parsed = sa.engine.make_url(url)
    if is_sqlite(url):
        return Path(parsed.database).exists()
    admin = sa.create_engine(parsed.set(database="postgres"), poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        found = conn.execute(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}
        ).first()
    admin.dispose()
    return found is not None
