"""The mappings page's reading side: the saved mappings, and one as the form shows it (JSON).
Saving goes through `service.save_mapping`, as `tracker import mapping NAME FILE.json` does."""

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.errors import N_, NotFound
from tracker.imports.models import ImportMapping
from tracker.imports.service import FIELDS


def saved_mappings(session: Session) -> list[ImportMapping]:
    """The saved mappings, by name."""
    return list(session.scalars(select(ImportMapping).order_by(ImportMapping.name)))


def form_data(session: Session, name: str | None) -> dict:
    """A saved mapping as indented JSON (NotFound if there is none of that name), or without a
    name a new one's skeleton: every field's column left to fill in."""
    if not name:
        spec = {"columns": dict.fromkeys(FIELDS, ""), "types": {}}
        return {"name": "", "spec": json.dumps(spec, ensure_ascii=False, indent=2)}
    saved = session.scalar(select(ImportMapping).where(ImportMapping.name == name))
    if saved is None:
        raise NotFound(N_("no import mapping named %(name)r"), name=name)
    spec = {"columns": saved.columns, "types": saved.types or {}}
    return {"name": saved.name, "spec": json.dumps(spec, ensure_ascii=False, indent=2)}
