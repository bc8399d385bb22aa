"""Evidence files: kept under UPLOAD_DIR with a random name; the original name is recorded."""

import mimetypes
import os
import secrets
from pathlib import Path

from flask import current_app
from werkzeug.datastructures import FileStorage

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


def size_of(upload: FileStorage) -> int:
    """The size of an uploaded file, without reading it into memory."""
    stream = upload.stream
    position = stream.tell()
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(position)
    return size


def save(upload: FileStorage | None, **fields) -> Evidence:
    """Keep the uploaded file (if any) and return the evidence that names it."""
    if upload is None or not upload.filename:
        return Evidence(**fields)
    ext = extension(upload.filename)
    folder = Path(current_app.config["UPLOAD_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    stored = f"{secrets.token_hex(16)}.{ext}"
    upload.stream.seek(0)
    upload.save(folder / stored)
    return Evidence(
        file_name=Path(upload.filename).name[:255],
        file_path=stored,
        file_type=mimetypes.guess_type(f"x.{ext}")[0] or "application/octet-stream",
        file_size=(folder / stored).stat().st_size,
        **fields,
    )


def discard(evidence: Evidence | None) -> None:
    """Remove a file kept for a submission that did not happen (nothing half-written)."""
    if evidence is not None and evidence.file_path:
        (Path(current_app.config["UPLOAD_DIR"]) / evidence.file_path).unlink(missing_ok=True)
