"""Files the tracker keeps on disk are its own: folders 0700, files 0600.

The embedded database, the secret key, evidence (customers' bank documents, card slips) and
mail written as files hold personal data; no other local user may read them. Modes are set
explicitly rather than through the process umask, which the app factory must not change for
the whole process (gunicorn, tests).
"""

import os
from pathlib import Path

FOLDER_MODE = 0o700
FILE_MODE = 0o600


def private_folder(path: str | os.PathLike) -> Path:
    """Make the folder (and its missing parents) if needed, readable by this user only."""
    folder = Path(path)
    folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    _tighten(folder, FOLDER_MODE)
    return folder


def private_file(path: str | os.PathLike) -> Path:
    """Make an empty file if there is none, and leave it readable by this user only."""
    target = Path(path)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    os.close(fd)
    _tighten(target, FILE_MODE)
    return target


def write_private(path: str | os.PathLike, data: bytes) -> None:
    """Write a new file that only this user can read (it is never readable by others, not
    even for a moment between its creation and a chmod)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def protect_sqlite(url: str) -> None:
    """For a SQLite file database: the file exists and is 0600 before the first connection, so
    SQLite gives its -wal and -shm files the same mode (it copies the database file's)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or ":memory:" in url or "mode=memory" in url:
        return
    path = Path(url[len(prefix) :].split("?", 1)[0])
    if not path.parent.exists():
        return  # a misconfigured path: let the first connection say so
    private_file(path)
    for suffix in ("-wal", "-shm", "-journal"):
        extra = path.with_name(path.name + suffix)
        if extra.exists():
            _tighten(extra, FILE_MODE)


def _tighten(path: Path, mode: int) -> None:
    """Take away what `mode` does not allow; never widen (an operator may be stricter)."""
    current = path.stat().st_mode & 0o777
    if current & ~mode:
        try:
            path.chmod(current & mode)
        except PermissionError:  # not ours (a shared mount): leave it as the operator set it
            pass
