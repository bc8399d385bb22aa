"""Forms of the clerk's pages: filters, submitting with evidence, recording an event."""

from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from tracker import validation
from tracker.errors import BadInput
from tracker.extensions import db
from tracker.ledger import uploads
from tracker.ledger.display import STATUS_LABELS
from tracker.ledger.service import ListFilters, NewEvent, event_type_names
from tracker.org.models import Store

REQUIRED = _l("Required.")
STATUS_FILTERS = {"owed": _l("still owed (open or returned)"), "all": _l("all"), **STATUS_LABELS}


FILTER_NAMES = ("status", "commitment", "overdue", "q")


class MineFilterForm(FlaskForm):
    """The filters of the department's list (a GET form: nothing to protect)."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), choices=list(STATUS_FILTERS.items()), default="owed")
    commitment = SelectField(
        _l("Commitment"),
        choices=[],
        validate_choice=False,
        default="",
        coerce=validation.id_choice,
    )
    overdue = BooleanField(_l("Overdue only"))
    q = StringField(_l("Reference"), validators=[Optional(), Length(max=100)])
    owner = SelectField(
        _l("Owner"),
        choices=[("department", _l("my department")), ("mine", _l("mine"))],
        default="department",
    )

    def offer(self, commitments, language: str) -> "MineFilterForm":
        """Offer the department's commitments in the commitment filter (and "all")."""
        self.commitment.choices = [("", _("all"))] + [
            (str(c.id), f"{c.code} · {c.current.title(language)}") for c in commitments
        ]
        return self

    def filters(self) -> ListFilters:
        """The filters as the service takes them; anything unknown means no filter."""
        status = self.status.data if self.status.data in dict(self.status.choices) else "owed"
        commitment = self.commitment.data or ""
        return ListFilters(
            status=status,
            commitment_id=int(commitment) if commitment.isdigit() else None,
            overdue=bool(self.overdue.data),
            text=self.q.data,
            owner="mine" if self.owner.data == "mine" else "department",
        )

    def args(self) -> dict[str, str]:
        """The filters given, for the pages' links (which keep them)."""
        given = {name: self[name].raw_data[0] for name in FILTER_NAMES if self[name].raw_data}
        return {name: value for name, value in given.items() if value}


def _positive_cents(field) -> None:
    if field.data is not None and (field.data < 0 or field.data != round(field.data, 2)):
        raise ValidationError(_("A positive amount with at most two decimals."))


def _file_checked(upload) -> None:
    """The checks the stored file will pass, told beside the field."""
    try:
        uploads.check(
            upload.filename, uploads.size_of(upload.stream), uploads.head_of(upload.stream)
        )
    except BadInput as exc:
        raise ValidationError(exc.localized()) from None


def _given(upload) -> bool:
    return upload is not None and bool(getattr(upload, "filename", ""))


class HandInForm(FlaskForm):
    """What every submission form asks: a file, a note and, past the due time, a reason.
    `required` lists the evidence asked for; `late` says whether the server's clock is already
    past the due time (a reason is then required)."""

    note = TextAreaField(_l("Note"), validators=[Length(max=2000)])
    file = FileField(_l("File"))
    late_reason = TextAreaField(_l("Why is it late?"), validators=[Length(max=2000)])

    def __init__(self, *args, required: list[str] | None = None, late: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.required = set(required or [])
        self.late = late

    def _need(self, name: str, value) -> None:
        if name in self.required and (value is None or not str(value).strip()):
            raise ValidationError(_("This deliverable needs it."))

    def validate_note(self, field) -> None:
        self._need("note", field.data)

    def validate_file(self, field) -> None:
        if _given(field.data):
            _file_checked(field.data)
        else:
            self._need("file", None)

    def validate_late_reason(self, field) -> None:
        if self.late and not (field.data or "").strip():
            raise ValidationError(_("It is past the due time: say why it is late."))

    def _note(self) -> str | None:
        return (self.note.data or "").strip() or None


class SubmitForm(HandInForm):
    """Submitting one deliverable; `state_version` tells a stale tab from a fresh one."""

    reference = StringField(_l("Reference"), validators=[Length(max=100)])
    amount = DecimalField(
        _l("Amount"),
        places=2,
        validators=[Optional(), validation.Amount()],
        render_kw={"inputmode": "decimal"},
    )
    state_version = HiddenField(validators=[validation.Version()])

    def validate_reference(self, field) -> None:
        self._need("reference", field.data)

    def validate_amount(self, field) -> None:
        self._need("amount", field.data)
        _positive_cents(field)

    def evidence_for(self, deliverable) -> tuple[object, dict]:
        """The upload and the typed evidence of the one deliverable, for uploads.save_each()."""
        return self.file.data, {
            "reference": (self.reference.data or "").strip() or None,
            "amount": self.amount.data,
            "note": self._note(),
        }


class BatchRow(Form):
    """One deliverable's own evidence in a batch: its reference, amount and, if it has one,
    its own file (else the batch's file serves it)."""

    reference = StringField(_l("Reference"), validators=[Length(max=100)])
    amount = DecimalField(
        _l("Amount"),
        places=2,
        validators=[Optional(), validation.Amount()],
        render_kw={"inputmode": "decimal"},
    )
    file = FileField(_l("Its own file"))

    def validate_amount(self, field) -> None:
        _positive_cents(field)


class BatchSubmitForm(HandInForm):
    """Submitting several deliverables at once (the day's card slips): each keeps its own
    reference and amount, row by row; one file may serve every row, or a row has its own."""

    items = HiddenField()  # "id:state_version,id:state_version", in the rows' order
    rows = FieldList(FormField(BatchRow))
    deliverables: tuple | list = ()  # what prepare() was given, by due time

    def prepare(self, chosen: list, late: bool) -> None:
        """Ask for the evidence any of them needs; a first showing lists what was picked, one
        row each, with the deliverable's own reference."""
        self.required = {e for d in chosen for e in (d.version.evidence or [])}
        self.late = late
        if not self.is_submitted():
            self.items.data = ",".join(f"{d.id}:{d.state_version}" for d in chosen)
            for d in chosen:
                self.rows.append_entry({"reference": d.reference})
        self.deliverables = chosen

    def chosen(self) -> list[tuple[int, int]]:
        """The (id, state_version) pairs the page was showing."""
        pairs = []
        for part in (self.items.data or "").split(","):
            deliverable_id, _sep, version = part.partition(":")
            deliverable_id, version = (
                validation.parse_id(deliverable_id),
                validation.parse_id(version, minimum=0),
            )
            if deliverable_id is not None and version is not None:
                pairs.append((deliverable_id, version))
        return pairs

    def row_of(self, deliverable) -> BatchRow | None:
        """The row the page showed for this deliverable (rows follow `items`' order)."""
        order = [deliverable_id for deliverable_id, _version in self.chosen()]
        if deliverable.id not in order:
            return None
        index = order.index(deliverable.id)
        return self.rows.entries[index].form if index < len(self.rows.entries) else None

    def rows_shown(self) -> list[tuple[object, BatchRow | None]]:
        """(deliverable, its row) for the page."""
        return [(d, self.row_of(d)) for d in self.deliverables]

    def validate_file(self, field) -> None:
        """The batch's file is needed unless every row that needs a file has its own."""
        if _given(field.data):
            _file_checked(field.data)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for d in self.deliverables:
            row = self.row_of(d)
            needed = set(d.version.evidence or [])
            if row is None:
                if needed & {"reference", "amount"}:
                    self.items.errors.append(_("This deliverable needs it."))
                    valid = False
                continue
            for name in ("reference", "amount"):
                value = row[name].data
                if name in needed and (value is None or not str(value).strip()):
                    row[name].errors.append(_("This deliverable needs it."))
                    valid = False
            if "file" in needed and not _given(row.file.data) and not _given(self.file.data):
                row.file.errors.append(_("This deliverable needs a file: its own or one for all."))
                valid = False
        return valid

    def evidence_for(self, deliverable) -> tuple[object, dict]:
        """The row's own upload (else the batch's) and its own typed evidence."""
        row = self.row_of(deliverable)
        own = row.file.data if row is not None and _given(row.file.data) else None
        return own or self.file.data, {
            "reference": ((row.reference.data if row else None) or "").strip() or None,
            "amount": row.amount.data if row else None,
            "note": self._note(),
        }


class EventForm(FlaskForm):
    """A business event: what happened, when (in the store's zone) and its references."""

    type = SelectField(_l("What happened"), validators=[DataRequired(REQUIRED)])
    reference = StringField(
        _l("Reference (deal number)"), validators=[DataRequired(REQUIRED), Length(max=100)]
    )
    customer = StringField(_l("Customer"), validators=[Optional(), Length(max=200)])
    vin = StringField(
        _l("VIN"),
        validators=[Optional(), Length(min=17, max=17, message=_l("A VIN has 17 characters."))],
    )
    amount = DecimalField(
        _l("Amount"),
        places=2,
        validators=[Optional(), validation.Amount()],
        render_kw={"inputmode": "decimal"},
    )
    occurred_at = DateTimeLocalField(
        _l("When it happened"),
        format="%Y-%m-%dT%H:%M",
        validators=[DataRequired(REQUIRED), validation.BusinessDate()],
    )
    # Shown once the same type and reference are found already recorded in the store.
    again = BooleanField(_l("Record it anyway: this is another event of the same deal"))

    def __init__(self, *args, zone, now: datetime, language: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone, self.now = zone, now
        self.type.choices = list(event_type_names(db.session, language).items())
        if not self.is_submitted():
            self.occurred_at.data = now.astimezone(zone).replace(tzinfo=None, second=0)

    def new_event(self, store: Store) -> NewEvent:
        """What the clerk typed, as the service takes it."""
        return NewEvent(
            store=store,
            type=self.type.data,
            occurred_at=self.occurred_instant(),
            reference=self.reference.data,
            customer=self.customer.data,
            vin=self.vin.data,
            amount=self.amount.data,
        )

    def occurred_instant(self) -> datetime:
        """The wall-clock time typed, as an instant in the store's zone."""
        return self.occurred_at.data.replace(tzinfo=self.zone)

    def validate_occurred_at(self, field) -> None:
        if field.data and self.occurred_instant() > self.now + timedelta(minutes=5):
            raise ValidationError(
                _("This time is in the future: record an event once it has happened.")
            )

    def validate_amount(self, field) -> None:
        _positive_cents(field)


class CorrectEventForm(EventForm):
    """An event's values put right; its type stays (another type is another event)."""

    again = None

    def __init__(self, *args, event, **kwargs):
        zone = event.store.zone
        local = event.occurred_at.astimezone(zone).replace(tzinfo=None)
        recorded = {
            "reference": event.reference,
            "customer": event.customer,
            "vin": event.vin,
            "amount": event.amount,
        }
        super().__init__(*args, zone=zone, data=recorded, **kwargs)
        self.type.choices = [c for c in self.type.choices if c[0] == event.type]
        self.type.data = event.type
        if not self.is_submitted():
            self.occurred_at.data = local


class HoldForm(FlaskForm):
    """The provider asks to pause a deliverable: why (and what for, with "other")."""

    reason = SelectField(_l("Waiting for"), validators=[DataRequired(REQUIRED)])
    note = TextAreaField(_l("Note"), validators=[Length(max=2000)])

    def __init__(self, *args, **kwargs):
        from tracker.ledger.display import HOLD_REASON_LABELS

        super().__init__(*args, **kwargs)
        self.reason.choices = [(k, str(v)) for k, v in HOLD_REASON_LABELS.items()]

    def validate_note(self, field) -> None:
        if self.reason.data == "other" and not (field.data or "").strip():
            raise ValidationError(_("Say what it waits for: a note is required with 'other'."))


class HoldAnswerForm(FlaskForm):
    """Approve, refuse or release a hold: the button says which (CSRF only)."""


class CancelEventForm(FlaskForm):
    """Why the event is cancelled; its open deliverables are waived with this reason."""

    reason = TextAreaField(
        _l("Why is it cancelled?"), validators=[DataRequired(REQUIRED), Length(max=2000)]
    )

    def validate_file(self, field) -> None:
        if _given(field.data):
            _file_checked(field.data)


class TakeOverForm(FlaskForm):
    """A clerk makes a deliverable theirs (a button: the form carries only its CSRF token)."""


class OwnerForm(FlaskForm):
    """Whom a deliverable (or a commitment's items, by default) belongs to: a person of the
    providing department, chosen from `choices` filled in by the view ("" for nobody, where
    allowed)."""

    person = SelectField(_l("Owner"), choices=[], validate_choice=True)

    def fill(self, people, *, allow_nobody: bool) -> "OwnerForm":
        nobody = [("", _("nobody: the whole department"))] if allow_nobody else []
        self.person.choices = nobody + [(str(p.id), f"{p.name} ({p.email})") for p in people]
        return self

    def chosen(self, people):
        """The chosen person, or None for nobody."""
        return next((p for p in people if str(p.id) == self.person.data), None)
