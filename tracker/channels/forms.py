"""The administrator's robot form: where, which kind, the webhook address and DingTalk's secret."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

KINDS = [("wecom", _l("WeCom")), ("dingtalk", _l("DingTalk"))]


class RobotForm(FlaskForm):
    """A department's robot in a store. The address and secret are never shown back: left
    empty when editing, the ones already set are kept."""

    store = SelectField(_l("Store"), validators=[DataRequired()])
    department = SelectField(_l("Department"), validators=[DataRequired()])
    kind = SelectField(_l("Robot"), choices=KINDS, validators=[DataRequired()])
    url = StringField(_l("Webhook address"), validators=[Optional(), Length(max=2000)])
    secret = PasswordField(
        _l("Signing secret (DingTalk 加签)"), validators=[Optional(), Length(max=200)]
    )


class ActionForm(FlaskForm):
    """A button that changes something (test, remove, try again): only its CSRF token."""
