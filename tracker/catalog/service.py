"""Loading and editing the commitment catalogue. Functions never commit; the caller does."""

import csv
from dataclasses import asdict
from datetime import datetime, time
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.calendar.deadlines import Rule
from tracker.catalog import dealership
from tracker.catalog.models import KINDS, Commitment, CommitmentVersion
from tracker.errors import N_, BadInput, Conflict, NotFound
from tracker.ledger.service import ensure_event_types, event_type_names
from tracker.org.models import Department, Person
from tracker.reminders.policy import DEFAULTS as DEFAULT_REMINDER_POLICY

CATALOGS = {"dealership": Path(__file__).with_name("dealership.csv")}

RULE_FIELDS = ("frequency", "day", "offset_days", "day_type", "at_time", "non_working")
VERSION_FIELDS = (
    "title_zh",
    "title_en",
    "deadline_as_written",
    "evidence",
    "checklist",
    "period_back",
    "trigger_after",
    "reminder_policy",
    *RULE_FIELDS,
)
PROVIDER_CODES = {
    "Consumer Loans": "loans",
    "Customer Service": "service",
    "Insurance": "insurance",
    "Sales": "sales",
    "Human Resources": "hr",
}


def ensure_departments(session: Session) -> dict[str, Department]:
    """Create the standard departments that are missing; return all by code."""
    existing = {d.code: d for d in session.scalars(select(Department))}
    for code, (en, zh) in dealership.DEPARTMENTS.items():
        if code not in existing:
            existing[code] = Department(code=code, name_en=en, name_zh=zh)
            session.add(existing[code])
    session.flush()
    return existing


def load_catalog(session: Session, name: str, now: datetime) -> list[Commitment]:
    """Load a named catalogue; commitments already there are left alone. Returns the new ones."""
    if name not in CATALOGS:
        raise BadInput(
            N_("unknown catalogue %(name)r; known: %(known)s"), name=name, known=", ".join(CATALOGS)
        )
    departments = ensure_departments(session)
    ensure_event_types(session, dealership.EVENT_TYPES)
    rows = {}
    with CATALOGS[name].open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            rows[f"{PROVIDER_CODES[row['provider_en']]}-{row['no']}"] = row
    existing = set(session.scalars(select(Commitment.code)))
    created = []
    for item in dealership.ITEMS:
        if item["code"] in existing:
            continue
        row = rows[item["code"]]
        provider = departments[item["code"].split("-")[0]]
        receiver = departments[{"Finance": "finance"}[row["customer_en"]]]
        fields = {
            "title_zh": row["text_zh"],
            "title_en": row["gloss_en"],
            "deadline_as_written": row["deadline_as_written"],
            "evidence": list(item["evidence"]),
            "checklist": list(item["checklist"]),
            "trigger_after": item.get("trigger_after"),
            **{k: v for k, v in item["rule"].items()},
        }
        created.append(
            create_commitment(
                session,
                code=item["code"],
                provider=provider,
                receiver=receiver,
                kind=item["kind"],
                event_type=item.get("event_type"),
                fields=fields,
                now=now,
                catalog=name,
            )
        )
    return created


def create_commitment(
    session: Session,
    *,
    code: str,
    provider: Department,
    receiver: Department,
    kind: str,
    event_type: str | None,
    fields: dict,
    now: datetime,
    by: Person | None = None,
    catalog: str = "custom",
) -> Commitment:
    """Create a commitment with its first version, after checking the rule makes sense."""
    if kind not in KINDS:
        raise BadInput(
            N_("unknown kind %(kind)r; one of %(kinds)s"), kind=kind, kinds=", ".join(KINDS)
        )
    if kind in ("event", "checklist") and event_type not in event_type_names(session, "en"):
        raise BadInput(N_("unknown event type %(type)r"), type=event_type)
    if session.scalar(select(Commitment.id).where(Commitment.code == code)):
        raise BadInput(N_("a commitment with code %(code)r exists already"), code=code)
    commitment = Commitment(
        code=code,
        catalog=catalog,
        provider=provider,
        receiver=receiver,
        kind=kind,
        event_type=event_type if kind in ("event", "checklist") else None,
        created_at=now,
    )
    session.add(commitment)
    session.flush()
    _add_version(session, commitment, fields, now, by)
    return commitment


def edit_commitment(
    session: Session, commitment: Commitment, changes: dict, now: datetime, by: Person | None
) -> CommitmentVersion:
    """Make a new version with these changes; deliverables already created keep their own."""
    if commitment.retired:
        raise Conflict(
            N_("%(code)s is retired: reactivate it first, as a new version"), code=commitment.code
        )
    unknown = set(changes) - set(VERSION_FIELDS)
    if unknown:
        raise BadInput(N_("cannot change %(fields)s"), fields=", ".join(sorted(unknown)))
    current = commitment.current
    fields = {f: getattr(current, f) for f in VERSION_FIELDS} | changes
    return _add_version(session, commitment, fields, now, by)


def retire_commitment(session: Session, commitment: Commitment, now: datetime) -> None:
    """Retire a commitment: it creates no more deliverables (and its reminders stop)."""
    if commitment.retired_at is None:
        commitment.retired_at = now


def reactivate_commitment(
    session: Session, commitment: Commitment, now: datetime, by: Person | None
) -> CommitmentVersion:
    """Bring a retired commitment back, as a new version of its last wording and rule: it makes
    deliverables again from now on (none for the time it was retired)."""
    if not commitment.retired:
        raise Conflict(N_("%(code)s is not retired"), code=commitment.code)
    current = commitment.current
    commitment.retired_at = None
    return _add_version(
        session, commitment, {f: getattr(current, f) for f in VERSION_FIELDS}, now, by
    )


def _add_version(
    session: Session, commitment: Commitment, fields: dict, now: datetime, by: Person | None
) -> CommitmentVersion:
    fields = dict(fields)
    fields.setdefault("reminder_policy", dict(DEFAULT_REMINDER_POLICY))
    fields.setdefault("evidence", [])
    fields.setdefault("checklist", [])
    for key, default in (
        ("offset_days", 0),
        ("day_type", "calendar"),
        ("non_working", "keep"),
        ("period_back", 0),
    ):
        if fields.get(key) is None:
            fields[key] = default
    for key in ("at_time", "trigger_after"):
        if isinstance(fields.get(key), str):
            fields[key] = time.fromisoformat(fields[key])
    version = CommitmentVersion(
        commitment_id=commitment.id,
        number=1
        + max(
            (
                v
                for v in session.scalars(
                    select(CommitmentVersion.number).where(
                        CommitmentVersion.commitment_id == commitment.id
                    )
                )
            ),
            default=0,
        ),
        created_at=now,
        created_by_id=by.id if by else None,
        **{k: v for k, v in fields.items() if k in VERSION_FIELDS},
    )
    try:
        version.rule(commitment.kind).validate()
    except ValueError as exc:
        # The calendar explains a bad rule in English; the admin form checks the fields first.
        raise BadInput(f"{commitment.code}: {exc}") from exc
    session.add(version)
    session.flush()
    commitment.current = version
    return version


def get_commitment(session: Session, code: str) -> Commitment:
    """The commitment with this code, or NotFound."""
    commitment = session.scalar(select(Commitment).where(Commitment.code == code))
    if commitment is None:
        raise NotFound(N_("no commitment with code %(code)r"), code=code)
    return commitment


def rule_summary(commitment: Commitment, lang: str = "en") -> dict:
    """The rule of the current version, as plain data and as text."""
    version = commitment.current
    rule: Rule = version.rule(commitment.kind)
    data = {k: (v.isoformat() if isinstance(v, time) else v) for k, v in asdict(rule).items()}
    return {"rule": data, "text": rule.describe(lang)}


def code_order(code: str | None) -> tuple:
    """A commitment code's place in lists: by department, then by number (sales-2 before
    sales-10); no code first."""
    if code is None:
        return ("", 0)
    prefix, _, number = code.rpartition("-")
    return (prefix, int(number) if number.isdigit() else 0)
