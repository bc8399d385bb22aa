"""The complaints' forms: filing one, answering, reopening, and the buttons (open, close)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from tracker import validation
from tracker.complaints.service import MAX_REFERENCE, MAX_TEXT

SEVERITY_CHOICES = [
    ("urgent", _l("Urgent: answer within 4 working hours")),
    ("high", _l("High: answer within 1 working day")),
    ("normal", _l("Normal: answer within 2 working days")),
    ("low", _l("Low: answer within 5 working days")),
]


class FileForm(FlaskForm):
    """A new complaint about a department's service."""

    department = SelectField(_l("About the department"), choices=[], validators=[DataRequired()])
    severity = SelectField(_l("Severity"), choices=SEVERITY_CHOICES, default="normal")
    what = TextAreaField(
        _l("What happened"),
        validators=[
            DataRequired(_l("Say what happened.")),
            Length(max=MAX_TEXT),
            validation.NoNul(),
        ],
    )
    deliverable = IntegerField(
        _l("Deliverable number (optional)"),
        validators=[Optional(), NumberRange(min=1, max=2**62)],
    )
    reference = StringField(
        _l("Deal reference (optional)"),
        validators=[Optional(), Length(max=MAX_REFERENCE), validation.NoNul()],
    )


class ActForm(FlaskForm):
    """A button that changes a complaint: open it, close it (the token only)."""


class AnswerForm(FlaskForm):
    """The owner's answer."""

    text = TextAreaField(
        _l("Answer"),
        validators=[
            DataRequired(_l("Write the answer.")),
            Length(max=MAX_TEXT),
            validation.NoNul(),
        ],
    )


class ReopenForm(FlaskForm):
    """The complainant reopens it, saying why."""

    note = TextAreaField(
        _l("Why it is not resolved"),
        validators=[
            DataRequired(_l("Say why it is not resolved.")),
            Length(max=MAX_TEXT),
            validation.NoNul(),
        ],  # fmt: skip
    )
