"""The API's bodies and answers as marshmallow schemas: they check what comes in (422 with the
field) and describe what goes out in the OpenAPI document."""

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates

from tracker.validation import amount_fits, has_nul

from .service import DB_INT_MAX, DEFAULT_LIMIT, MAX_LIMIT


def _local(value, store):
    return value.astimezone(store.zone).isoformat() if value is not None else None


def _no_nul(value):
    if has_nul(value):
        raise ValidationError("A NUL character cannot be used.")


class Text(fields.String):
    """A string without NUL characters (PostgreSQL cannot store them)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validate", [])
        if not isinstance(kwargs["validate"], list):
            kwargs["validate"] = [kwargs["validate"]]
        kwargs["validate"].append(_no_nul)
        super().__init__(*args, **kwargs)


class Problem(Schema):
    """RFC 9457 problem details (application/problem+json)."""

    type = fields.String(metadata={"example": "about:blank"})
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.Dict(
        keys=fields.String(),
        metadata={"description": "For 422: each field that was refused, with why."},
    )


class Strict(Schema):
    class Meta:
        unknown = EXCLUDE


# --- events ---


class EventIn(Strict):
    type = Text(required=True, validate=validate.Length(1, 40))
    store = Text(required=True, validate=validate.Length(1, 20))
    occurred_at = fields.AwareDateTime(
        required=True, metadata={"description": "ISO 8601 with its offset"}
    )
    reference = Text(required=True, validate=validate.Length(1, 100))
    external_id = Text(
        required=True,
        validate=validate.Length(1, 100),
        metadata={"description": "The sending system's own id: the same id again records nothing"},
    )
    customer = Text(load_default=None, allow_none=True, validate=validate.Length(max=200))
    vin = Text(load_default=None, allow_none=True, validate=validate.Length(equal=17))
    amount = fields.Decimal(load_default=None, allow_none=True, as_string=True, places=2)

    @validates("amount")
    def _amount(self, value, **_kw):
        if value is not None and (not value.is_finite() or not amount_fits(value)):
            raise ValidationError("Not an amount the tracker can keep.")

    @validates("reference")
    def _reference(self, value, **_kw):
        if not value.strip():
            raise ValidationError("A reference is required.")

    @validates("external_id")
    def _external_id(self, value, **_kw):
        if not value.strip():
            raise ValidationError("An external id is required.")


class DeliverableBrief(Schema):
    id = fields.Integer(required=True)
    commitment = fields.Function(lambda d: d.commitment.code, required=True)
    store = fields.Function(lambda d: d.store.code, required=True)
    provider = fields.Function(lambda d: d.commitment.provider.code, required=True)
    receiver = fields.Function(lambda d: d.commitment.receiver.code, required=True)
    status = fields.String(required=True)
    due_at = fields.Function(
        lambda d: _local(d.due_at, d.store),
        required=True,
        metadata={"description": "In the store's zone, with its offset"},
    )
    reference = fields.String(allow_none=True)
    period = fields.String(allow_none=True)
    event_id = fields.Integer(allow_none=True)
    amount = fields.Decimal(as_string=True, allow_none=True)
    version = fields.Integer(attribute="state_version", required=True)


class EventOut(Schema):
    id = fields.Integer(required=True)
    type = fields.String(required=True)
    store = fields.Function(lambda e: e.store.code, required=True)
    occurred_at = fields.Function(lambda e: _local(e.occurred_at, e.store), required=True)
    reference = fields.String(required=True)
    customer = fields.String(allow_none=True)
    vin = fields.String(allow_none=True)
    amount = fields.Decimal(as_string=True, allow_none=True)
    source = fields.String(allow_none=True)
    external_id = fields.String(allow_none=True)
    cancelled = fields.Boolean(required=True)


class EventWithDeliverables(EventOut):
    deliverables = fields.List(fields.Nested(DeliverableBrief), required=True)


# --- lists ---


class PageArgs(Strict):
    cursor = Text(load_default=None, validate=validate.Length(max=40))
    limit = fields.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(1, MAX_LIMIT))


class EventListArgs(PageArgs):
    store = Text(load_default=None, validate=validate.Length(max=20))
    reference = Text(load_default=None, validate=validate.Length(max=100))


class DeliverableListArgs(PageArgs):
    store = Text(load_default=None, validate=validate.Length(max=20))
    department = Text(load_default=None, validate=validate.Length(max=40))
    status = fields.String(
        load_default=None,
        validate=validate.OneOf(("open", "submitted", "accepted", "returned", "waived")),
    )
    due_from = fields.AwareDateTime(load_default=None)
    due_to = fields.AwareDateTime(load_default=None)
    reference = Text(load_default=None, validate=validate.Length(max=100))
    overdue = fields.Boolean(load_default=False)


def page_schema(item: type[Schema], name: str) -> type[Schema]:
    return type(
        name,
        (Schema,),
        {
            "items": fields.List(fields.Nested(item), required=True),
            "next_cursor": fields.String(
                allow_none=True,
                required=True,
                metadata={"description": "Give it as `cursor` for the next page; null: no more"},
            ),
        },
    )


EventPage = page_schema(EventOut, "EventPage")
DeliverablePage = page_schema(DeliverableBrief, "DeliverablePage")


# --- deliverables ---


class SubmissionOut(Schema):
    seq = fields.Integer(required=True)
    submitted_at = fields.AwareDateTime(required=True)
    submitted_by = fields.Function(lambda s: s.submitted_by.email if s.submitted_by else None)
    reference = fields.String(allow_none=True)
    amount = fields.Decimal(as_string=True, allow_none=True)
    note = fields.String(allow_none=True)
    late_reason = fields.String(allow_none=True)
    file_name = fields.String(allow_none=True)
    outcome = fields.String(required=True)
    decided_at = fields.AwareDateTime(allow_none=True)
    return_reason = fields.String(allow_none=True)
    return_note = fields.String(allow_none=True)


class HistoryOut(Schema):
    at = fields.AwareDateTime(required=True)
    actor = fields.Function(lambda a: a.actor.email if a.actor else None)
    action = fields.String(required=True)
    from_status = fields.String(allow_none=True)
    to_status = fields.String(allow_none=True)


class DeliverableOut(DeliverableBrief):
    title = fields.Function(lambda d: d.version.title_en)
    title_zh = fields.Function(lambda d: d.version.title_zh)
    evidence = fields.Function(lambda d: list(d.version.evidence or []))
    checklist = fields.Function(lambda d: list(d.version.checklist or []))
    submissions = fields.List(fields.Nested(SubmissionOut), required=True)
    history = fields.List(fields.Nested(HistoryOut), required=True)


class SubmitIn(Strict):
    reference = Text(load_default=None, validate=validate.Length(max=100))
    amount = Text(load_default=None, validate=validate.Length(max=30))
    note = Text(load_default=None, validate=validate.Length(max=2000))
    late_reason = Text(load_default=None, validate=validate.Length(max=2000))
    version = fields.Integer(load_default=None, validate=validate.Range(1, DB_INT_MAX))
    file = fields.Raw(
        load_default=None,
        metadata={"type": "string", "format": "binary", "description": "The evidence file"},
    )


class VersionIn(Strict):
    version = fields.Integer(
        load_default=None,
        validate=validate.Range(1, DB_INT_MAX),
        metadata={"description": "The version last read: refused (409) if it changed since"},
    )


class AcceptIn(VersionIn):
    checklist = fields.List(fields.Boolean(), load_default=None)


class ReturnIn(VersionIn):
    reason = Text(required=True, validate=validate.Length(1, 32))
    note = Text(load_default=None, validate=validate.Length(max=2000))


class WaiveIn(VersionIn):
    reason = Text(required=True, validate=validate.Length(1, 2000))


# --- the rest ---


class CommitmentOut(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    kind = fields.String(required=True)
    provider = fields.Function(lambda c: c.provider.code, required=True)
    receiver = fields.Function(lambda c: c.receiver.code, required=True)
    event_type = fields.String(allow_none=True)
    title = fields.Function(lambda c: c.current.title_en if c.current else None)
    title_zh = fields.Function(lambda c: c.current.title_zh if c.current else None)
    retired = fields.Function(lambda c: c.retired_at is not None, required=True)


CommitmentPage = page_schema(CommitmentOut, "CommitmentPage")


class CalendarDay(Schema):
    date = fields.String(required=True)
    working = fields.Boolean(required=True)
    holiday = fields.String(allow_none=True)


class CalendarOut(Schema):
    store = fields.String(required=True)
    year = fields.Integer(required=True)
    days = fields.List(fields.Nested(CalendarDay), required=True)


class ScorecardArgs(Strict):
    store = Text(load_default=None, validate=validate.Length(max=20))
    level = fields.String(
        load_default="commitment", validate=validate.OneOf(("commitment", "department"))
    )


class ScoreRowOut(Schema):
    class Meta:
        unknown = EXCLUDE

    store = fields.String()
    provider = fields.String()
    commitment = fields.String(allow_none=True)
    due = fields.Integer()
    on_time = fields.Integer()
    late = fields.Integer()
    open_overdue = fields.Integer()
    waived = fields.Integer()
    open = fields.Integer()
    submitted = fields.Integer()
    accepted = fields.Integer()
    first_pass = fields.Integer()
    on_time_rate = fields.Float(allow_none=True)
    first_pass_rate = fields.Float(allow_none=True)
    mean_lateness_hours = fields.Float(allow_none=True)
    closed_at = fields.String(allow_none=True)
    adjustments = fields.Dict(allow_none=True)


class ScorecardOut(Schema):
    month = fields.String(required=True)
    level = fields.String(required=True)
    rows = fields.List(fields.Nested(ScoreRowOut), required=True)


class CockpitArgs(Strict):
    store = Text(load_default=None, validate=validate.Length(max=20))


class CockpitLine(Schema):
    provider = fields.String(allow_none=True)
    overdue = fields.Dict(keys=fields.String(), values=fields.Integer())
    overdue_total = fields.Integer()
    due_today = fields.Integer()
    due_week = fields.Integer()
    waiting = fields.Dict(keys=fields.String(), values=fields.Integer())
    waiting_total = fields.Integer()


class CockpitSide(Schema):
    key = fields.String()
    lines = fields.List(fields.Nested(CockpitLine))
    total = fields.Nested(CockpitLine)


class CockpitOut(Schema):
    store = fields.String(allow_none=True)
    sides = fields.List(fields.Nested(CockpitSide), required=True)
    open_months = fields.List(fields.Dict(), required=True)
