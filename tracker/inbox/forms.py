"""Forms of the receiving inbox."""

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from tracker import validation
from tracker.catalog.models import Commitment
from tracker.ledger.display import RETURN_REASON_LABELS
from tracker.org.models import Person, Store

REQUIRED = _l("Required.")


class AcceptForm(FlaskForm):
    """Accept the latest submission: every point of the commitment's checklist ticked."""

    state_version = HiddenField(validators=[validation.Version()])
    checklist = SelectMultipleField(_l("Checklist"), coerce=int, choices=[], validate_choice=False)

    def __init__(self, *args, points: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.points = points
        self.checklist.choices = [(i, str(i)) for i in range(points)]

    def validate_checklist(self, field) -> None:
        if set(field.data or []) != set(range(self.points)):
            raise ValidationError(
                _("Tick every point of the checklist to accept; otherwise return it.")
            )


class ReturnForm(FlaskForm):
    """Send the latest submission back with a reason from the list and a note."""

    state_version = HiddenField(validators=[validation.Version()])
    reason = SelectField(
        _l("Reason"),
        choices=[("", "—")] + list(RETURN_REASON_LABELS.items()),
        validators=[DataRequired(_l("Choose a reason."))],
    )
    note = TextAreaField(_l("Note"), validators=[Length(max=2000)])

    def validate_note(self, field) -> None:
        if self.reason.data == "other" and not (field.data or "").strip():
            raise ValidationError(_("Say what is wrong: a note is needed with “other”."))


class WaiveForm(FlaskForm):
    """Declare an open or returned deliverable not applicable, with a reason."""

    state_version = HiddenField(validators=[validation.Version()])
    reason = StringField(
        _l("Why it does not apply"),
        validators=[DataRequired(_l("A waiver needs a reason.")), Length(max=500)],
    )


class RequestForm(FlaskForm):
    """Ask a department for something, due at a time (default: end of the next working day)."""

    commitment = SelectField(_l("What is asked for"), validators=[DataRequired(REQUIRED)])
    note = TextAreaField(
        _l("What is needed"), validators=[DataRequired(REQUIRED), Length(max=2000)]
    )
    reference = StringField(_l("Reference"), validators=[Optional(), Length(max=100)])
    due_at = DateTimeLocalField(
        _l("Due"), format="%Y-%m-%dT%H:%M", validators=[Optional(), validation.BusinessDate()]
    )

    def __init__(self, *args, zone, now: datetime, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone, self.now = zone, now
        self.commitments: dict[str, Commitment] = {}

    def offer(self, commitments: dict[str, Commitment], language: str) -> None:
        """The commitments one may ask for (by id), shown as "provider · title"."""
        self.commitments = commitments
        self.commitment.choices = [
            (key, f"{c.provider.name(language)} · {c.current.title(language)}")
            for key, c in commitments.items()
        ]

    def request(self, store: Store, by: Person) -> dict:
        """What is asked, by whom, where and when, as `ledger.service.raise_request` takes it."""
        return {
            "store": store,
            "by": by,
            "now": self.now,
            "commitment": self.commitments[self.commitment.data],
            "note": self.note.data,
            "due_at": self.due_instant(),
            "reference": self.reference.data,
        }

    def due_instant(self) -> datetime | None:
        """The due time typed (store zone), or None for the commitment's default."""
        return self.due_at.data.replace(tzinfo=self.zone) if self.due_at.data else None

    def validate_due_at(self, field) -> None:
        if field.data and self.due_instant() <= self.now:
            raise ValidationError(_("The due time must be in the future."))
