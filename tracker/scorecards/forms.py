"""The scorecard's filter: which month and, for leads and administrators, which store."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import Optional

from tracker import validation


class ScopeForm(FlaskForm):
    """Month and store of a scorecard (a GET form: it changes nothing, so it needs no token)."""

    class Meta:
        csrf = False

    month = StringField(
        _l("Month"),
        validators=[
            Optional(),
            # ASCII digits, 2000-2100: '٢٠٢٦-11' matched \d and broke the export's file name.
            validation.Month(message=_l("Write the month as YYYY-MM.")),
        ],
    )
    # The view checks the store against who is asking (403/404), not the form.
    store = SelectField(_l("Store"), choices=[], validate_choice=False)
