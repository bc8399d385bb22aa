"""Rendering one person's digest: plain text and HTML, in their language, a link per item."""

from datetime import datetime

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.ledger.models import Deliverable
from tracker.org.models import Person

# The order of the digest's sections.
SECTIONS = ("escalation", "decision_head", "overdue", "due", "decision", "before", "summary")


def _line(d: Deliverable, lang: str, base_url: str) -> dict:
    zone = d.store.zone
    return {
        "id": d.id,
        "title": d.version.title(lang),
        "code": d.commitment.code,
        "provider": d.commitment.provider.name(lang),
        "receiver": d.commitment.receiver.name(lang),
        "due": d.due_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        "reference": d.reference or d.period or "",
        "url": f"{base_url.rstrip('/')}/deliverables/{d.id}",
    }


def _decide_by(item) -> str | None:
    """A decision reminder's decision time, in the store's zone (None for other kinds)."""
    d = item.deliverable
    if item.kind not in ("decision", "decision_head") or d.decide_by is None:
        return None
    return d.decide_by.astimezone(d.store.zone).strftime("%Y-%m-%d %H:%M")


def entries(session: Session, person: Person, items, base_url: str, listed=None) -> list[dict]:
    """The digest's items as plain data for the templates, in section order. `listed`: the
    deliverables the summaries list, by id, if already loaded (else looked up here)."""
    lang = person.language
    result = []
    for item in sorted(items, key=lambda i: (SECTIONS.index(i.kind), i.id)):
        entry = {"kind": item.kind, "step": item.step, "key": item.key, "decide_by": None}
        if item.kind == "summary":
            ids = (item.payload or {}).get("deliverables", [])
            if listed is not None:
                rows = sorted((listed[i] for i in ids), key=lambda d: (d.due_at, d.id))
            else:
                rows = session.scalars(
                    select(Deliverable)
                    .where(Deliverable.id.in_(ids))
                    .order_by(Deliverable.due_at, Deliverable.id)
                ).all()
            entry["department"] = item.department.name(lang)
            entry["lines"] = [_line(d, lang, base_url) for d in rows]
        else:
            entry.update(_line(item.deliverable, lang, base_url))
            entry["decide_by"] = _decide_by(item)
        result.append(entry)
    return result


def render(session: Session, person: Person, items, now: datetime, base_url: str, wt, listed=None):
    """(subject, plain text, HTML) of the digest of these items, in the person's language."""
    data = entries(session, person, items, base_url, listed)
    with force_locale(person.language):
        count = len(data)
        if count == 1:
            subject = _("[Tracker] 1 reminder for you")
        else:
            subject = _("[Tracker] %(num)d reminders for you", num=count)
        context = {
            "person": person,
            "entries": data,
            "lang": person.language,
            "store": person.store,
            "as_of": now.astimezone(wt.store.zone).strftime("%Y-%m-%d %H:%M"),
            "base_url": base_url.rstrip("/"),
            "subject": subject,
            "footer": _("This is an automatic reminder from the tracker; reply is not read."),
        }
        text = render_template("email/digest.txt", **context)
        html = render_template("email/digest.html", **context)
    return subject, text, html
