"""The month close's forms: which store and month to look at, closing, reopening."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from tracker import validation

MONTH_MESSAGE = _l("Write the month as YYYY-MM.")


class ReadinessForm(FlaskForm):
    """Store and month of the readiness page (a GET form: it changes nothing, so no token)."""

    class Meta:
        csrf = False

    month = StringField(_l("Month"), validators=[Optional(), validation.Month(MONTH_MESSAGE)])
    # The view checks the store against who is asking (404), not the form.
    store = SelectField(_l("Store"), choices=[], validate_choice=False)


class CloseForm(FlaskForm):
    """Close the month of this store or of every store; undecided items need acknowledging."""

    store = HiddenField(validators=[InputRequired(), Length(max=32), validation.NoNul()])
    month = HiddenField(validators=[InputRequired(), validation.Month(MONTH_MESSAGE)])
    every_store = BooleanField(_l("Close this month in every store at once"))
    with_open = BooleanField(
        _l("I know some items are not decided yet: close anyway with them as they are now")
    )


class ReopenForm(FlaskForm):
    """Reopen a closed month: administrators only, with a reason."""

    store = HiddenField(validators=[InputRequired(), Length(max=32), validation.NoNul()])
    month = HiddenField(validators=[InputRequired(), validation.Month(MONTH_MESSAGE)])
    reason = TextAreaField(
        _l("Why reopen it?"),
        validators=[
            DataRequired(_l("Say why the month is reopened.")),
            Length(max=2000),
            validation.NoNul(),
        ],
    )
