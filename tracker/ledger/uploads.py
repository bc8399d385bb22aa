"""Evidence files, stored one way for pages and the command line alike: checked (type, size),
kept under UPLOAD_DIR with a name nobody can guess; the original name is recorded.

Writing goes through `_write` alone, so that a later change can write to a temporary name and
move the file into place once the submission is committed."""

import mimetypes
import os
import secrets
import shutil
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from werkzeug.datastructures import FileStorage

from tracker.errors import N_, BadInput
from tracker.ledger.service import Evidence

ALLOWED_EXTENSIONS = ("pdf", "jpg", "jpeg", "png", "xlsx", "csv", "txt")
# Below MAX_CONTENT_LENGTH (10 MB), so a file that is too big gets a message beside the field
# rather than the bare 413 the whole request would get.
DEFAULT_MAX_BYTES = 8 * 1024 * 1024


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


def check(name: str, size: int) -> None:
    """Refuse a file of another type, an empty one, or one too big (BadInput)."""
    if extension(name) not in ALLOWED_EXTENSIONS:
        raise BadInput(N_("Only these files: %(types)s."), types=", ".join(ALLOWED_EXTENSIONS))
    if size == 0:
        raise BadInput(N_("The file is empty."))
    if size > max_bytes():
        raise BadInput(N_("The file is too big: at most %(mb)s MB."), mb=max_bytes() // 2**20)


def store(stream: BinaryIO, name: str, **fields) -> Evidence:
    """Check a file and keep it; returns the evidence (with `fields`) that names it."""
    size = size_of(stream)
    check(name, size)
    ext = extension(name)
    stored = f"{secrets.token_hex(16)}.{ext}"
    stream.seek(0)
    _write(stream, stored)
    return Evidence(
        file_name=Path(name).name[:255],
        file_path=stored,
        file_type=mimetypes.guess_type(f"x.{ext}")[0] or "application/octet-stream",
        file_size=size,
        **fields,
    )


def save(upload: FileStorage | None, **fields) -> Evidence:
    """A page's upload (if any) kept as evidence."""
    if upload is None or not upload.filename:
        return Evidence(**fields)
    return store(upload.stream, upload.filename, **fields)


def save_path(path: Path | None, **fields) -> Evidence:
    """A file named on the command line (if any) kept as evidence."""
    if path is None:
        return Evidence(**fields)
    with path.open("rb") as stream:
        return store(stream, path.name, **fields)


def discard(evidence: Evidence | None) -> None:
    """Remove a file kept for a submission that did not happen (nothing half-written)."""
    if evidence is not None and evidence.file_path:
        (_folder() / evidence.file_path).unlink(missing_ok=True)


def _folder() -> Path:
    folder = Path(current_app.config["UPLOAD_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _write(stream: BinaryIO, stored: str) -> None:
    with (_folder() / stored).open("xb") as out:
        shutil.copyfileobj(stream, out)
