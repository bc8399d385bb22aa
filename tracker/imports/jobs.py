"""The watched folder as a job, for `tracker import watch DIR` and the scheduler's `import` job.

Like the reminders' jobs, it owns its transactions: each file is imported in its own, so a file
that cannot be read is reported and the next one still goes in. A file is imported once by its
content (`imported_file`): a file whose rows are in error is recorded with its error count and
not read again; a file that cannot be read at all is reported on every pass until it is fixed or
removed.

The scheduler's settings (app config or TRACKER_* environment variables):
- IMPORT_WATCH_DIR: the folder the DMS drops its exports into;
- IMPORT_WATCH_STORE: the store those files belong to; without it, each subfolder of the folder
  named for a store's code holds that store's files (IMPORT_WATCH_DIR/SH01/...);
- IMPORT_WATCH_MAPPING: the saved mapping to read them with (default `standard`);
- IMPORT_WATCH_VALID_ONLY: 1 to import a file's valid rows even when others are in error."""

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app

from tracker.errors import TrackerError
from tracker.extensions import db
from tracker.imports import service
from tracker.org import service as org
from tracker.org.models import Store


@dataclass(frozen=True)
class WatchSettings:
    folder: Path
    store: str | None  # None: one subfolder per store, named for its code
    mapping: str
    valid_only: bool


@dataclass(frozen=True)
class FileResult:
    """One file's (or folder's) fate in a pass: its outcome, or why it was not imported."""

    file: str
    store: str
    outcome: service.Outcome | None = None
    error: str | None = None

    def as_dict(self) -> dict:
        if self.outcome is None:
            return {"file": self.file, "store": self.store, "error": self.error}
        return {"file": self.file, "store": self.store, **self.outcome.summary()}


def settings() -> WatchSettings | None:
    """The scheduler's watched folder, or None when IMPORT_WATCH_DIR is not set."""
    config = current_app.config
    folder = config.get("IMPORT_WATCH_DIR")
    if not folder:
        return None
    return WatchSettings(
        folder=Path(folder),
        store=config.get("IMPORT_WATCH_STORE") or None,
        mapping=config.get("IMPORT_WATCH_MAPPING") or service.STANDARD,
        valid_only=str(config.get("IMPORT_WATCH_VALID_ONLY") or "").lower() in ("1", "true", "yes"),
    )


def import_folder(
    folder: Path, store: Store, mapping: service.Mapping, *, valid_only: bool, now: datetime
) -> list[FileResult]:
    """Import the folder's files not imported yet, each in its own transaction; the files
    read before are left out. BadInput if the folder is not one."""
    results = []
    for path in service.watch_files(folder):
        try:
            outcome, fresh = service.import_file(
                db.session, store, mapping, path, by=None, now=now, valid_only=valid_only
            )
            db.session.commit()
        except TrackerError as exc:
            db.session.rollback()
            results.append(FileResult(path.name, store.code, error=exc.message))
            continue
        except OSError as exc:  # gone or unreadable between the listing and the read
            db.session.rollback()
            results.append(FileResult(path.name, store.code, error=exc.strerror or str(exc)))
            continue
        if fresh:
            results.append(FileResult(path.name, store.code, outcome=outcome))
    return results


def watch(now: datetime) -> list[FileResult]:
    """The scheduler's pass over the watched folder (nothing when none is set): a folder,
    store or mapping that is not one is reported, and the other stores' folders still go in."""
    found = settings()
    if found is None:
        return []
    if found.store:
        folders = [(found.folder, found.store)]
    elif found.folder.is_dir():
        folders = [(sub, sub.name) for sub in sorted(found.folder.iterdir()) if sub.is_dir()]
    else:
        return [FileResult(str(found.folder), "", error=f"{found.folder} is not a folder")]
    results = []
    for folder, code in folders:
        try:
            store = org.get_store(db.session, code)
            mapping = service.get_mapping(db.session, found.mapping)
            results += import_folder(folder, store, mapping, valid_only=found.valid_only, now=now)
        except TrackerError as exc:
            db.session.rollback()
            results.append(FileResult(str(folder), code, error=exc.message))
    return results
