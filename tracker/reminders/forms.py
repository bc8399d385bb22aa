"""The form of a person's reminder choices (shown on /profile)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField

from tracker.reminders.preferences import GROUP_LABELS

WHEN = [("now", _l("At once")), ("digest", _l("In my digest"))]


class PreferencesForm(FlaskForm):
    """The time of day of the digest and, for each group of notices, at once or in the digest.
    Overdue reminders and escalations are not offered: they cannot be turned off."""

    digest_at = SelectField(_l("My digest"), choices=[])
    returned = SelectField(GROUP_LABELS["returned"], choices=WHEN)
    handed_in = SelectField(GROUP_LABELS["handed_in"], choices=WHEN)
    requested = SelectField(GROUP_LABELS["requested"], choices=WHEN)

    def at_once(self) -> set[str]:
        return {g for g in GROUP_LABELS if getattr(self, g).data == "now"}


def preferences_form(preference, times: list[str]) -> PreferencesForm:
    """The form filled with the person's choices (the posted ones when posted); `times`: the
    digest times offered."""
    kwargs = {"digest_at": preference.digest_at or ""}
    for group in GROUP_LABELS:
        kwargs[group] = "now" if getattr(preference, f"{group}_at_once") is not False else "digest"
    form = PreferencesForm(**kwargs)
    form.digest_at.choices = [("", _l("As soon as something waits, in working hours"))] + [
        (t, t) for t in times
    ]
    return form
