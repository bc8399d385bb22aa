"""Evidence files, stored one way for pages and the command line alike: checked (type by name
and by content, size), kept under UPLOAD_DIR with a name nobody can guess, readable by the
tracker alone; the original name is recorded.

No file without its row: a file is written under a temporary name (`<name>.part`) and moved
into place only once the transaction that records its submission has committed. Whatever ends
that transaction otherwise (a refusal, an error, a timeout, a closed session) removes the
temporary file. A process killed in between leaves a `.part` file behind; `remove_orphans`, run
by the scheduler, moves it into place if its submission was committed after all and removes it
otherwise, and removes any other file no submission names.
"""

import logging
import mimetypes
import os
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO

import filetype
from flask import current_app
from sqlalchemy import event, select
from sqlalchemy.orm import Session, SessionTransaction
from werkzeug.datastructures import FileStorage

from tracker import files
from tracker.errors import N_, BadInput
from tracker.ledger.models import Submission
from tracker.ledger.service import Evidence

log = logging.getLogger(__name__)

ALLOWED_EXTENSIONS = ("pdf", "jpg", "jpeg", "png", "xlsx", "csv", "txt")
# What the first bytes must be for each binary type (filetype's names); text types must not
# look like any binary file filetype knows, and hold no NUL byte.
CONTENT_TYPES = {"pdf": "pdf", "jpg": "jpg", "jpeg": "jpg", "png": "png", "xlsx": "xlsx"}
TEXT_TYPES = ("csv", "txt")
HEAD_BYTES = 8192
# Below MAX_CONTENT_LENGTH (10 MB), so a file that is too big gets a message beside the field
# rather than the bare 413 the whole request would get.
DEFAULT_MAX_BYTES = 8 * 1024 * 1024
PART = ".part"  # a file whose submission is not committed (yet)
ORPHAN_AGE = timedelta(hours=1)
STAGED = "tracker.staged_evidence"  # session.info key: final names staged in this transaction


def max_bytes() -> int:
    """The largest evidence file accepted."""
    return int(current_app.config.get("UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))


def extension(name: str) -> str:
    """The lower-case extension of a file name, without the dot."""
    return Path(name).suffix.lower().lstrip(".")


def size_of(stream: BinaryIO) -> int:
    """The size of an open file, without reading it into memory."""
    position = stream.tell()
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(position)
    return size


def check(name: str, size: int, head: bytes | None = None) -> None:
    """Refuse a file of another type (by its name, and by its first bytes when given), an empty
    one, or one too big (BadInput)."""
    ext = extension(name)
    if ext not in ALLOWED_EXTENSIONS:
        raise BadInput(N_("Only these files: %(types)s."), types=", ".join(ALLOWED_EXTENSIONS))
    if size == 0:
        raise BadInput(N_("The file is empty."))
    if size > max_bytes():
        raise BadInput(N_("The file is too big: at most %(mb)s MB."), mb=max_bytes() // 2**20)
    if head is not None and not content_matches(ext, head):
        raise BadInput(N_("The file's content is not a %(type)s file."), type=ext.upper())


def content_matches(ext: str, head: bytes) -> bool:
    """Whether a file's first bytes are what its extension says."""
    kind = filetype.guess(head)
    if ext in TEXT_TYPES:
        return kind is None and b"\0" not in head
    return kind is not None and kind.extension == CONTENT_TYPES[ext]


def head_of(stream: BinaryIO) -> bytes:
    """The first bytes of an open file, leaving it where it was."""
    position = stream.tell()
    stream.seek(0)
    head = stream.read(HEAD_BYTES)
    stream.seek(position)
    return head


def store(session: Session, stream: BinaryIO, name: str, **fields) -> Evidence:
    """Check a file and stage it in this session's transaction: it is moved into place when the
    transaction commits and removed if it ends any other way. Returns the evidence (with
    `fields`) that names it."""
    size = size_of(stream)
    check(name, size, head_of(stream))
    ext = extension(name)
    stored = f"{secrets.token_hex(16)}.{ext}"
    session.connection()  # the transaction the file belongs to has begun
    session.info.setdefault(STAGED, []).append((folder(), stored))
    stream.seek(0)
    with os.fdopen(
        os.open(folder() / (stored + PART), os.O_WRONLY | os.O_CREAT | os.O_EXCL, files.FILE_MODE),
        "wb",
    ) as out:
        while chunk := stream.read(1024 * 1024):
            out.write(chunk)
    return Evidence(
        file_name=Path(name).name[:255],
        file_path=stored,
        file_type=mimetypes.guess_type(f"x.{ext}")[0] or "application/octet-stream",
        file_size=size,
        **fields,
    )


def save_each(session: Session, wanted: dict[int, tuple[FileStorage | None, dict]]) -> dict:
    """Each key's upload staged with its own fields; an upload that serves several keys (one
    file for a batch) is stored once and named by each of their submissions."""
    stored: dict[int, Evidence] = {}
    evidence = {}
    for key, (upload, fields) in wanted.items():
        if upload is None or not upload.filename:
            evidence[key] = Evidence(**fields)
            continue
        if id(upload) not in stored:
            stored[id(upload)] = store(session, upload.stream, upload.filename)
        evidence[key] = replace(stored[id(upload)], **fields)
    return evidence


def save_path(session: Session, path: Path | None, **fields) -> Evidence:
    """A file named on the command line (if any) staged as evidence."""
    if path is None:
        return Evidence(**fields)
    with path.open("rb") as stream:
        return store(session, stream, path.name, **fields)


def folder() -> Path:
    """The evidence folder, made private if new."""
    return files.private_folder(current_app.config["UPLOAD_DIR"])


# The transaction decides: committed, the staged files move into place; ended any other way
# (rollback, an error, a closed session, a timeout), they are removed.


@event.listens_for(Session, "after_commit")
def _move_staged(session: Session) -> None:
    for where, stored in session.info.pop(STAGED, []):
        try:
            os.replace(where / (stored + PART), where / stored)
        except OSError:  # the row is committed: remove_orphans moves the file in later
            log.exception("evidence file %s could not be moved into place", stored)


@event.listens_for(Session, "after_transaction_end")
def _drop_staged(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None and STAGED in session.info:
        for where, stored in session.info.pop(STAGED):
            (where / (stored + PART)).unlink(missing_ok=True)


@dataclass
class OrphanReport:
    moved: int = 0  # committed submissions whose file had not been moved into place
    removed: int = 0  # files no submission names

    def as_dict(self) -> dict:
        return {"moved": self.moved, "removed": self.removed}


def remove_orphans(session: Session, where: Path, now: datetime) -> OrphanReport:
    """Files older than an hour that no submission names are removed; a staged file whose
    submission was committed after all (the process died before moving it) is moved in."""
    report = OrphanReport()
    if not where.is_dir():
        return report
    cutoff = (now - ORPHAN_AGE).timestamp()
    old = [p for p in where.iterdir() if p.is_file() and p.stat().st_mtime < cutoff]
    for chunk in (old[i : i + 500] for i in range(0, len(old), 500)):
        names = {p.name.removesuffix(PART) for p in chunk}
        kept = set(
            session.scalars(select(Submission.file_path).where(Submission.file_path.in_(names)))
        )
        for path in chunk:
            final = path.name.removesuffix(PART)
            if final not in kept:
                path.unlink(missing_ok=True)
                report.removed += 1
            elif path.name.endswith(PART):
                os.replace(path, where / final)
                report.moved += 1
    return report
