"""Sign-in and profile forms, and the password policy as a form validator."""

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from tracker.auth.passwords import password_problem


class PasswordPolicy:
    """The password policy beside the field; the form's `email` and `name` fields, or its
    `person`, say whose password it is."""

    def __call__(self, form, field) -> None:
        person = getattr(form, "person", None)
        email = form.email.data if "email" in form else getattr(person, "email", "")
        name = form.name.data if "name" in form else getattr(person, "name", "")
        problem = password_problem(field.data or "", email=email or "", name=name or "")
        if problem:
            raise ValidationError(gettext(problem))


class SignInForm(FlaskForm):
    """Email and password."""

    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class ProfileForm(FlaskForm):
    """A person's own settings."""

    language = SelectField(_l("Language"), choices=[("zh", "简体中文"), ("en", "English")])


class ChangePasswordForm(FlaskForm):
    """One's own new password, with the current one."""

    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])
    password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(max=200), PasswordPolicy()]
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two do not match."))],
    )

    def __init__(self, person, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.person = person
