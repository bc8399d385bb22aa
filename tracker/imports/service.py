"""Events imported from a DMS export (CSV or Excel): read with a saved column mapping, previewed
row by row, then recorded all or none, or the valid rows only.

Each row becomes a `NewEvent` with the mapping's name as its source and the export's own id as
its external id, recorded through `ledger.events.record_external_many`: the same row again (the
same file twice, two imports at once) is recorded once. A time without an offset is read in the
store's zone; the deliverables are due after the event's time, never the import's.

Plain functions taking the session and `now`; the caller commits."""

import csv
import hashlib
import io
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.errors import N_, BadInput, TrackerError
from tracker.imports import permissions
from tracker.imports.models import ImportedFile, ImportMapping
from tracker.ledger import events
from tracker.ledger import permissions as ledger_permissions
from tracker.ledger.models import EventType
from tracker.ledger.service import NewEvent, event_fields
from tracker.org.models import Person, Store

FIELDS = ("type", "occurred_at", "reference", "external_id", "customer", "vin", "amount")
REQUIRED = ("type", "occurred_at", "reference", "external_id")
STANDARD = "standard"
MAX_ROWS = 50_000
MAX_BYTES = 20 * 1024 * 1024
TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M")


@dataclass(frozen=True)
class Mapping:
    """Which column holds each field, and the export's event names to event type codes."""

    name: str
    columns: dict[str, str]
    types: dict[str, str] = field(default_factory=dict)


@dataclass
class Row:
    """One row of the file and what importing it does: new, already imported, or an error."""

    line: int
    values: dict[str, str]
    new: NewEvent | None = None
    status: str = "new"  # new | already | error
    error: TrackerError | None = None
    event_id: int | None = None
    deliverables: int = 0


@dataclass
class Outcome:
    """A file's rows and their counts."""

    rows: list[Row]
    written: bool = False

    def count(self, status: str) -> int:
        """How many rows have this outcome."""
        return sum(1 for r in self.rows if r.status == status)

    def summary(self) -> dict:
        """The counts a script reads: created (or to create), already, errors, deliverables."""
        return {
            "created" if self.written else "new": self.count("new"),
            "already": self.count("already"),
            "errors": self.count("error"),
            "deliverables": sum(r.deliverables for r in self.rows),
        }


# --- mappings ---


def get_mapping(session: Session, name: str) -> Mapping:
    """The saved mapping of this name, or the built-in `standard` (the API's field names)."""
    name = (name or "").strip()
    if name == STANDARD:
        return Mapping(STANDARD, {f: f for f in FIELDS})
    saved = session.scalar(select(ImportMapping).where(ImportMapping.name == name))
    if saved is None:
        raise BadInput(N_("no import mapping named %(name)r"), name=name)
    return Mapping(saved.name, dict(saved.columns), dict(saved.types or {}))


def mapping_names(session: Session) -> list[str]:
    """The built-in mapping and the saved ones, by name."""
    return [STANDARD, *session.scalars(select(ImportMapping.name).order_by(ImportMapping.name))]


def save_mapping(
    session: Session, name: str, columns: dict, types: dict, *, now: datetime
) -> ImportMapping:
    """Create or replace a source's mapping (its name is the events' source)."""
    name = (name or "").strip()
    if not name or len(name) > 40 or name in (STANDARD, "api"):
        raise BadInput(N_("a mapping needs a name of at most 40 characters, not standard or api"))
    columns = {k: str(v).strip() for k, v in (columns or {}).items() if v and str(v).strip()}
    unknown = sorted(set(columns) - set(FIELDS))
    missing = [f for f in REQUIRED if f not in columns]
    if unknown or missing:
        raise BadInput(
            N_("a mapping names a column for each of %(required)s (and may for %(optional)s)"),
            required=", ".join(REQUIRED),
            optional="customer, vin, amount",
        )
    known = set(session.scalars(select(EventType.code)))
    types = {str(k).strip(): str(v).strip() for k, v in (types or {}).items()}
    wrong = sorted(v for v in types.values() if v not in known)
    if wrong:
        raise BadInput(N_("unknown event type %(type)r"), type=wrong[0])
    saved = session.scalar(select(ImportMapping).where(ImportMapping.name == name))
    if saved is None:
        saved = ImportMapping(name=name)
        session.add(saved)
    saved.columns, saved.types, saved.updated_at = columns, types, now
    session.flush()
    return saved


# --- reading a file ---


def read_table(filename: str, data: bytes) -> list[dict[str, str]]:
    """The rows of a CSV (UTF-8, or GB18030 as Chinese Excel saves it) or Excel file, as
    header → text."""
    if len(data) > MAX_BYTES:
        raise BadInput(N_("the file is larger than %(mb)s MB"), mb=MAX_BYTES // (1024 * 1024))
    suffix = Path(filename or "").suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        table = _xlsx_rows(data)
    elif suffix in (".csv", ".txt", ""):
        table = _csv_rows(data)
    else:
        raise BadInput(N_("import a .csv or .xlsx file"))
    if not table:
        raise BadInput(N_("the file is empty"))
    headers = [_text(h) for h in table[0]]
    rows = [dict(zip(headers, [_cell(v) for v in r], strict=False)) for r in table[1:]]
    rows = [r for r in rows if any(v for v in r.values())]
    if len(rows) > MAX_ROWS:
        raise BadInput(N_("a file holds at most %(max)s rows"), max=MAX_ROWS)
    return rows


def _csv_rows(data: bytes) -> list[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any bytes
        raise BadInput(N_("the file is not UTF-8 or GB18030 text"))
    return list(csv.reader(io.StringIO(text)))


def _xlsx_rows(data: bytes) -> list[list]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any unreadable workbook is the same answer
        raise BadInput(N_("the file is not an Excel workbook (.xlsx)")) from None
    rows = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    book.close()
    return rows


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _cell(value):
    """A cell as text; Excel's dates and times kept as they are (read in the store's zone)."""
    if isinstance(value, datetime | date):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _text(value)


# --- rows to events ---


def _instant(value, store: Store) -> datetime:
    """The event's time: with its offset, or else in the store's zone."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time(12, 0))
    else:
        text = _text(value)
        parsed = None
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            for fmt in TIME_FORMATS:
                try:
                    parsed = datetime.strptime(text, fmt)  # noqa: DTZ007 - zone set below
                    break
                except ValueError:
                    continue
        if parsed is None:
            raise BadInput(
                N_("%(value)r is not a time (e.g. 2026-11-15 14:30 or 2026-11-15T14:30+08:00)"),
                value=text,
            )
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=store.zone)
    return parsed


def to_event(values: dict, mapping: Mapping, store: Store) -> NewEvent:
    """One row as the event it describes (not yet checked against the ledger's rules)."""
    missing = [mapping.columns[f] for f in REQUIRED if mapping.columns[f] not in values]
    if missing:
        raise BadInput(N_("the file has no column %(column)r"), column=missing[0])
    got = {f: values.get(c) for f, c in mapping.columns.items()}
    for f in REQUIRED:
        if not _text(got.get(f)):
            raise BadInput(N_("the column %(column)r is empty"), column=mapping.columns[f])
    name = _text(got["type"])
    amount = _text(got.get("amount")).replace(",", "") or None
    return NewEvent(
        store=store,
        type=mapping.types.get(name, name),
        occurred_at=_instant(got["occurred_at"], store),
        reference=_text(got["reference"]),
        customer=_text(got.get("customer")) or None,
        vin=_text(got.get("vin")) or None,
        amount=Decimal(amount) if amount and _is_number(amount) else amount,
        source=mapping.name,
        external_id=_text(got["external_id"]),
    )


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True


def preview(
    session: Session, store: Store, mapping: Mapping, table: list[dict], *, now: datetime
) -> Outcome:
    """Each row's outcome, nothing written: new, already imported (or earlier in the file),
    or an error with its reason."""
    rows = [Row(line=i + 2, values=v) for i, v in enumerate(table)]
    types = list(session.scalars(select(EventType)))  # held: each row's check finds them
    for row in rows:
        try:
            row.new = to_event(row.values, mapping, store)
            event_fields(session, row.new, now)
            if len(row.new.external_id) > 100:
                raise BadInput(
                    N_("a source has at most 40 characters and an external id at most 100")
                )
        except TrackerError as exc:
            row.status, row.error = "error", exc
    del types
    seen = set()
    ids = [r.new.external_id for r in rows if r.status == "new"]
    known = events.external_ids(session, store.id, mapping.name, ids)
    for row in rows:
        if row.status != "new":
            continue
        if row.new.external_id in known or row.new.external_id in seen:
            row.status = "already"
        seen.add(row.new.external_id)
    return Outcome(rows)


def import_table(
    session: Session,
    store: Store,
    mapping: Mapping,
    table: list[dict],
    *,
    by: Person | None,
    now: datetime,
    valid_only: bool = False,
) -> Outcome:
    """Record the file's new rows: every row, or none if one is wrong (the default), or the
    valid rows only. Rows recorded meanwhile by another import count as already imported."""
    permissions.require_importer(session, by)
    ledger_permissions.require_recorder(by, store)
    outcome = preview(session, store, mapping, table, now=now)
    errors = outcome.count("error")
    if errors and not valid_only:
        return outcome  # nothing written: the caller shows the reasons
    todo = [r for r in outcome.rows if r.status != "error"]
    results = events.record_external_many(session, store, [r.new for r in todo], by=by, now=now)
    for row, result in zip(todo, results, strict=True):
        row.event_id = result.event_id
        row.status = "new" if result.created else "already"
        row.deliverables = len(result.deliverable_ids)
    outcome.written = True
    return outcome


def import_file(
    session: Session,
    store: Store,
    mapping: Mapping,
    path: Path,
    *,
    by: Person | None,
    now: datetime,
    valid_only: bool = False,
) -> tuple[Outcome, bool]:
    """A watched folder's file, imported once by its content: (outcome, False) when read before."""
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    events.hold_store(session, store.id)  # two watchers at once: one reads the file
    done = session.scalar(
        select(ImportedFile).where(ImportedFile.store_id == store.id, ImportedFile.sha256 == digest)
    )
    if done is not None:
        return Outcome([]), False
    outcome = import_table(
        session, store, mapping, read_table(path.name, data), by=by, now=now, valid_only=valid_only
    )
    session.add(
        ImportedFile(
            store_id=store.id,
            name=path.name[:255],
            sha256=digest,
            mapping=mapping.name,
            created=outcome.count("new") if outcome.written else 0,
            already=outcome.count("already"),
            errors=outcome.count("error"),
            imported_at=now,
        )
    )
    session.flush()
    return outcome, True


def watch_files(folder: Path) -> list[Path]:
    """The CSV and Excel files in a folder, oldest name first."""
    if not folder.is_dir():
        raise BadInput(N_("%(folder)s is not a folder"), folder=str(folder))
    suffixes = {".csv", ".xlsx"}
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in suffixes)


# --- a file between its preview and its import (the page) ---


def stash(folder: Path, person: Person, filename: str, data: bytes) -> str:
    """Keep an uploaded file for its import after the preview; returns its name (random,
    the uploader's id in it, so nobody else can import it)."""
    suffix = ".xlsx" if Path(filename or "").suffix.lower() in (".xlsx", ".xlsm") else ".csv"
    name = f"{person.id}-{secrets.token_hex(16)}{suffix}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    return name


def unstash(folder: Path, person: Person, name: str) -> tuple[str, bytes]:
    """The file kept by `stash` for this person; BadInput if gone or someone else's."""
    ok = re.fullmatch(rf"{person.id}-[0-9a-f]{{32}}\.(csv|xlsx)", name or "")
    path = folder / name if ok else None
    if path is None or not path.is_file():
        raise BadInput(N_("the uploaded file is no longer here: upload it again"))
    return name, path.read_bytes()


def discard(folder: Path, name: str) -> None:
    """Forget a stashed file once imported."""
    (folder / name).unlink(missing_ok=True)


def preview_upload(
    session: Session, person: Person, folder: Path, upload, mapping_name: str, now: datetime
) -> dict:
    """The import page's preview of an uploaded file (kept for the import that follows)."""
    permissions.require_importer(session, person)
    mapping = get_mapping(session, mapping_name)
    data = upload.read(MAX_BYTES + 1)
    table = read_table(upload.filename, data)
    outcome = preview(session, person.store, mapping, table, now=now)
    name = stash(folder, person, upload.filename, data)
    hidden = {"upload": name, "mapping": mapping.name}
    return {
        "outcome": outcome,
        "store": person.store,
        "filename": upload.filename,
        "hidden": hidden,
    }


def run_upload(
    session: Session,
    person: Person,
    folder: Path,
    name: str,
    mapping_name: str,
    *,
    valid_only: bool,
    now: datetime,
) -> dict:
    """Import the file previewed on the page into the person's store."""
    name, data = unstash(folder, person, name)
    mapping = get_mapping(session, mapping_name)
    table = read_table(name, data)
    outcome = import_table(
        session, person.store, mapping, table, by=person, now=now, valid_only=valid_only
    )
    if outcome.written:
        discard(folder, name)
    return {
        "outcome": outcome,
        "store": person.store,
        "hidden": {"upload": name, "mapping": mapping.name},
    }
