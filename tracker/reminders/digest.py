"""Rendering one person's digest: plain text and HTML, in their language, a link per item."""

from collections import defaultdict
from datetime import datetime

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.complaints import reminders as complaints
from tracker.errors import N_
from tracker.ledger.models import Deliverable
from tracker.org.models import Person
from tracker.reminders.policy import next_rung, overdue_days, policy_of

# Who a rung of the escalation ladder tells, as the escalation mail names them.
RUNG_NAMES = {
    "clerks": N_("every clerk of the department"),
    "heads": N_("the department's head"),
    "leads": N_("the store's general manager or finance lead"),
}

# The order of the digest's sections: the instant notices first.
NOTICES = ("returned", "waived", "requested", "handed_in")
SECTIONS = (
    *complaints.KINDS,
    *NOTICES,
    *("escalation", "decision_head", "overdue", "due", "decision", "before", "summary"),
)


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


# A deliverable's stages, earliest first: of several items waiting for one deliverable, its
# entry shows the latest (an escalation above all).
_ORDER = ("before", "due", "overdue", "escalation")
# A submission's decision reminders (to the receiving side) are entries of their own.
_DECISION = ("decision", "decision_head")


def _one_per_deliverable(items, now: datetime | None, wt) -> list[tuple[str, int, object, list]]:
    """(kind, step, item, notices) for the digest: each summary, and one entry per deliverable
    however many of its items waited (a pass outside working time, then one in it, writes the
    stage of each). The entry is the latest stage waiting; an overdue or escalated one says the
    true age at `now` (working days overdue), not the age when its item was written. A
    deliverable's instant notices (returned, handed in, ...) go with its entry (`notices`); a
    deliverable with nothing but notices has the latest as its entry, the others with it."""
    chosen, result, notices = {}, [], defaultdict(list)
    for item in items:
        if item.complaint_id is not None:  # one entry per complaint, its latest item
            key = ("c", item.complaint_id)
            rank = (complaints.KINDS.index(item.kind), item.step)
            best = chosen.get(key)
            if best is None or rank > (complaints.KINDS.index(best.kind), best.step):
                chosen[key] = item
            continue
        if item.kind == "summary":
            result.append((item.kind, item.step, item, []))
            continue
        if item.kind in NOTICES:
            notices[item.deliverable_id].append(item)
            continue
        order = _DECISION if item.kind in _DECISION else _ORDER
        key = (item.deliverable_id, order is _DECISION)
        best = chosen.get(key)
        rank = (order.index(item.kind), item.step)
        if best is None or rank > (order.index(best.kind), best.step):
            chosen[key] = item
    for (deliverable_id, _decision), item in sorted(chosen.items(), key=lambda c: c[0][1]):
        if deliverable_id == "c":
            result.append((item.kind, item.step, item, []))
            continue
        step = item.step
        if item.kind in ("overdue", "escalation") and now is not None and wt is not None:
            step = max(overdue_days(item.deliverable.due_at, now, wt), 1)
        result.append((item.kind, step, item, notices.pop(deliverable_id, [])))
    for waiting in notices.values():
        latest = max(waiting, key=lambda i: i.id)
        result.append((latest.kind, latest.step, latest, [i for i in waiting if i is not latest]))
    return result


def _ladder(d: Deliverable, now: datetime, wt) -> dict:
    """What an escalation adds: the owner, and who is told next and when (None at the top)."""
    coming = next_rung(d.due_at, policy_of(d.version), wt, now)
    return {
        "owner": d.owner.name if d.owner is not None else None,
        "next_who": _(RUNG_NAMES[coming[0]]) if coming else None,
        "next_on": wt.local(coming[1]).strftime("%Y-%m-%d") if coming else None,
    }


# A return's reasons, as the notice names them.
RETURN_REASONS = {
    "incomplete": N_("incomplete"),
    "unsigned": N_("unsigned"),
    "wrong_amount": N_("wrong amount"),
    "other": N_("other"),
}


def _notice(item) -> dict:
    """What a notice adds to its entry: what happened, who acted, the reason and the note."""
    detail = item.payload or {}
    reason = detail.get("reason")
    if item.kind == "returned" and reason in RETURN_REASONS:
        reason = _(RETURN_REASONS[reason])
    return {
        "kind": item.kind,
        "label": _(NOTICE_LABELS[item.kind]),
        "by": detail.get("by"),
        "reason": reason,
        "note": detail.get("note"),
    }


NOTICE_LABELS = {
    "returned": N_("Returned to you"),
    "waived": N_("Waived"),
    "handed_in": N_("Handed in"),
    "requested": N_("Request raised"),
}


# Each notice's subject when it is the message's one entry.
NOTICE_SUBJECTS = {
    "returned": N_("[Tracker] Returned: %(title)s"),
    "waived": N_("[Tracker] Waived: %(title)s"),
    "handed_in": N_("[Tracker] Handed in: %(title)s"),
    "requested": N_("[Tracker] Request raised: %(title)s"),
}


def entries(
    session: Session, person: Person, items, base_url: str, listed=None, now=None, wt=None
) -> list[dict]:
    """The digest's entries as plain data for the templates, in section order: one per
    deliverable (see `_one_per_deliverable`) and one per summary. `listed`: the deliverables
    the summaries list, by id, if already loaded (else looked up here)."""
    lang = person.language
    result = []
    chosen = _one_per_deliverable(items, now, wt)
    for kind, step, item, notices in sorted(chosen, key=lambda c: (SECTIONS.index(c[0]), c[2].id)):
        entry = {"kind": kind, "step": step, "key": item.key, "decide_by": None}
        entry["notices"] = [_notice(n) for n in sorted(notices, key=lambda n: n.id)]
        if item.complaint_id is not None:
            entry.update(complaints.entry(item, base_url))
        elif item.kind == "summary":
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
            if kind == "escalation" and now is not None and wt is not None:
                entry.update(_ladder(item.deliverable, now, wt))
            entry["decide_by"] = _decide_by(item)
            if kind in NOTICES:
                entry.update(_notice(item))
        result.append(entry)
    return result


def render(session: Session, person: Person, items, now: datetime, base_url: str, wt, listed=None):
    """(subject, plain text, HTML) of the digest of these items, in the person's language."""
    with force_locale(person.language):
        data = entries(session, person, items, base_url, listed, now, wt)
        count = len(data)
        if count == 1 and data[0]["kind"] in NOTICES:
            subject = _(NOTICE_SUBJECTS[data[0]["kind"]], title=data[0]["title"])
        elif count == 1:
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
