"""The token form of the profile: a name, an expiry and the kind of token."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, StringField
from wtforms.validators import Length, NumberRange, Optional


class TokenForm(FlaskForm):
    """A new API token for oneself; its secret is shown once."""

    name = StringField(_l("Name"), validators=[Optional(), Length(max=100)])
    expires_days = IntegerField(
        _l("Expires after (days)"),
        validators=[Optional(), NumberRange(1, 3650, message=_l("From 1 to 3650 days."))],
    )
    integration = BooleanField(_l("Integration token (may only record events and read)"))
