"""Forms of the clerk's pages: filters, submitting with evidence, recording an event."""

from datetime import datetime, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    DecimalField,
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

    def filters(self) -> ListFilters:
        """The filters as the service takes them; anything unknown means no filter."""
        status = self.status.data if self.status.data in dict(self.status.choices) else "owed"
        commitment = self.commitment.data or ""
        return ListFilters(
            status=status,
            commitment_id=int(commitment) if commitment.isdigit() else None,
            overdue=bool(self.overdue.data),
            text=self.q.data,
        )


class EvidenceForm(FlaskForm):
    """What a clerk hands in. `required` lists the evidence the commitment asks for; `late`
    says whether the server's clock is already past the due time (a reason is then required)."""

    reference = StringField(_l("Reference"), validators=[Length(max=100)])
    amount = DecimalField(
        _l("Amount"),
        places=2,
        validators=[Optional(), validation.Amount()],
        render_kw={"inputmode": "decimal"},
    )
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

    def validate_reference(self, field) -> None:
        self._need("reference", field.data)

    def validate_note(self, field) -> None:
        self._need("note", field.data)

    def validate_amount(self, field) -> None:
        self._need("amount", field.data)
        if field.data is not None and (field.data < 0 or field.data != round(field.data, 2)):
            raise ValidationError(_("A positive amount with at most two decimals."))

    def validate_file(self, field) -> None:
        upload = field.data
        if upload is None or not getattr(upload, "filename", ""):
            self._need("file", None)
            return
        try:  # the checks the stored file will pass, told beside the field
            uploads.check(
                upload.filename, uploads.size_of(upload.stream), uploads.head_of(upload.stream)
            )
        except BadInput as exc:
            raise ValidationError(exc.localized()) from None

    def validate_late_reason(self, field) -> None:
        if self.late and not (field.data or "").strip():
            raise ValidationError(_("It is past the due time: say why it is late."))

    def evidence_fields(self) -> dict:
        """The typed evidence, for uploads.save()."""
        amount: Decimal | None = self.amount.data
        return {
            "reference": (self.reference.data or "").strip() or None,
            "amount": amount,
            "note": (self.note.data or "").strip() or None,
        }


class SubmitForm(EvidenceForm):
    """Submitting one deliverable; `state_version` tells a stale tab from a fresh one."""

    state_version = HiddenField(validators=[validation.Version()])


class BatchSubmitForm(EvidenceForm):
    """Submitting several deliverables with the same evidence (the day's card slips)."""

    items = HiddenField()  # "id:state_version,id:state_version"

    def prepare(self, chosen: list, late: bool) -> None:
        """Ask for the evidence any of them needs; a first showing remembers what was picked
        (and the reference, when they share one)."""
        self.required = {e for d in chosen for e in (d.version.evidence or [])}
        self.late = late
        if not self.is_submitted():
            self.items.data = ",".join(f"{d.id}:{d.state_version}" for d in chosen)
            references = {d.reference for d in chosen}
            self.reference.data = references.pop() if len(references) == 1 else None

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
        if field.data is not None and (field.data < 0 or field.data != round(field.data, 2)):
            raise ValidationError(_("A positive amount with at most two decimals."))
