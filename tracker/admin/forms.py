"""The administrator's forms. Each checks what it can beside its fields, in the person's
language; the services check again (the command line uses them too)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
    ValidationError,
    widgets,
)
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)

from tracker import validation
from tracker.auth.forms import PasswordPolicy
from tracker.calendar.deadlines import MAX_WORKING_DAY
from tracker.errors import BadInput
from tracker.org import service as org
from tracker.scorecards import service as scorecards

LANGUAGE_CHOICES = [("zh", "简体中文"), ("en", "English")]
ROLE_CHOICES = [
    ("clerk", _l("clerk")),
    ("head", _l("department head")),
    ("lead", _l("lead (finance / compliance)")),
    ("admin", _l("administrator")),
]
EMAIL = Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Not an email address."))
CODE = Regexp(r"^[A-Za-z0-9_-]{1,32}$", message=_l("Letters, digits, '-' or '_' only."))


def _checked(check, *args):
    """A service's check of one field; its BadInput is shown beside the field."""
    try:
        return check(*args)
    except BadInput as exc:
        raise ValidationError(exc.localized()) from None


class StoreForm(FlaskForm):
    """A store: its code (when added), name, zone, calendar country and working hours."""

    code = StringField(_l("Code"), validators=[DataRequired(), CODE])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    timezone = StringField(
        _l("Time zone"),
        default="Asia/Shanghai",
        validators=[DataRequired(), Length(max=64), validation.TimeZoneName()],
    )
    country = StringField(
        _l("Country of the working calendar"),
        default="CN",
        validators=[DataRequired(), Length(max=8)],
    )
    subdiv = StringField(_l("Region (optional)"), validators=[Optional(), Length(max=16)])
    language = SelectField(_l("Default language"), choices=LANGUAGE_CHOICES)
    work_start = TimeField(_l("Working hours start"), validators=[InputRequired()])
    work_end = TimeField(_l("Working hours end"), validators=[InputRequired()])

    # The store rules are the service's (tracker.org.service), shown beside their fields.
    def validate_timezone(self, field):
        _checked(org.check_zone, field.data)

    def validate_country(self, field):
        field.data = _checked(org.check_country, (field.data or "").strip())

    def validate_subdiv(self, field):
        _checked(org.check_subdivision, (self.country.data or "").strip(), field.data)

    def validate_language(self, field):
        _checked(org.check_language, field.data)

    def validate_work_end(self, field):
        if self.work_start.data and field.data:
            _checked(org.check_hours, self.work_start.data, field.data)

    def fields(self) -> dict:
        """What the store services take from this form (all but the code)."""
        return {
            "name": self.name.data,
            "timezone": self.timezone.data,
            "country": self.country.data,
            "subdiv": self.subdiv.data or None,
            "language": self.language.data,
            "work_start": self.work_start.data,
            "work_end": self.work_end.data,
        }


class DepartmentForm(FlaskForm):
    """A department: code (when added) and its names."""

    code = StringField(_l("Code"), validators=[DataRequired(), CODE])
    name_zh = StringField(_l("Name in Chinese"), validators=[DataRequired(), Length(max=100)])
    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=100)])


class PersonForm(FlaskForm):
    """A person: email and password (when added), name, role, department, store, language."""

    email = EmailField(
        _l("Email"),
        validators=[DataRequired(), EMAIL, Length(max=254)],
    )
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    department = SelectField(_l("Department"), choices=[])
    store = SelectField(_l("Store"), choices=[])
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(),
            Length(max=200),
            PasswordPolicy(),
        ],
    )

    @classmethod
    def for_person(cls, person) -> "PersonForm":
        """The form to edit a person (no email or password), filled with their data."""
        form = cls(
            data={
                "email": person.email,
                "name": person.name,
                "role": person.role,
                "department": person.department.code,
                "store": person.store.code,
                "language": person.language,
            }
        )
        del form.email, form.password
        return form

    def fields(self) -> dict:
        """What the people services take from this form, besides department and store."""
        return {"name": self.name.data, "role": self.role.data, "language": self.language.data}


class PasswordForm(FlaskForm):
    """A new password for someone who forgot theirs."""

    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(max=200), PasswordPolicy()],
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two do not match."))],
    )


class MultiCheckboxField(SelectMultipleField):
    """Several choices as checkboxes."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


EVIDENCE_CHOICES = [
    ("reference", _l("reference")),
    ("amount", _l("amount")),
    ("note", _l("note")),
    ("file", _l("file")),
]
FREQUENCY_CHOICES = [("monthly", _l("monthly")), ("weekly", _l("weekly")), ("daily", _l("daily"))]
DAY_TYPE_CHOICES = [("calendar", _l("calendar days")), ("working", _l("working days"))]
MONTH_DAY_TYPE_CHOICES = [
    ("calendar", _l("calendar days")),
    ("working", _l("working days (monthly only)")),
]
NON_WORKING_CHOICES = [
    ("keep", _l("keep the day")),
    ("next", _l("move to the next working day")),
    ("previous", _l("move to the previous working day")),
    ("skip", _l("skip it (recurring only)")),
]


class CommitmentForm(FlaskForm):
    """A commitment's wording, evidence, checklist, deadline rule and reminder policy. The
    rule's fields shown depend on the kind: recurring rules have a frequency and a day, event
    and request rules count days from their trigger."""

    title_zh = TextAreaField(_l("Title in Chinese"), validators=[DataRequired()])
    title_en = TextAreaField(_l("Title in English"), validators=[DataRequired()])
    deadline_as_written = StringField(_l("Deadline as written"), validators=[Optional()])
    evidence = MultiCheckboxField(_l("Evidence required"), choices=EVIDENCE_CHOICES)
    checklist = TextAreaField(
        _l("Checklist"),
        description=_l("One point a line: Chinese | English."),
        validators=[Optional()],
    )
    # The deadline rule.
    frequency = SelectField(_l("Frequency"), choices=FREQUENCY_CHOICES)
    day = IntegerField(
        _l("Day"),
        description=_l(
            "Monthly: day of the month 1–31; on working days, 1–23 = the Nth working day, "
            "-1 = the last working day, -2 … -23 = the Nth-last (-3: two working days before "
            "the last). Weekly: 0 = Monday … 6 = Sunday."
        ),
        validators=[Optional()],
    )
    period_back = IntegerField(
        _l("Reports on the period before (0 = the due one)"),
        default=0,
        validators=[InputRequired(), NumberRange(min=0, max=12)],
    )
    offset_days = IntegerField(
        _l("Days after the trigger (0 = the same day)"),
        default=0,
        validators=[InputRequired(), NumberRange(min=0, max=366)],
    )
    day_type = SelectField(_l("Count"), choices=DAY_TYPE_CHOICES)
    recurring_day_type = SelectField(_l("The day counts"), choices=MONTH_DAY_TYPE_CHOICES)
    at_time = TimeField(
        _l("Due at (local time)"),
        description=_l("Empty: the end of the day."),
        validators=[Optional()],
    )
    non_working = SelectField(_l("If the day is not a working day"), choices=NON_WORKING_CHOICES)
    trigger_after = TimeField(_l("Only events at or after (local time)"), validators=[Optional()])
    # The reminder policy.
    before_working_days = IntegerField(
        _l("Remind this many working days before"),
        default=1,
        validators=[InputRequired(), NumberRange(min=0, max=30)],
    )
    on_due = BooleanField(_l("Remind when it falls due"))
    overdue_every_working_day = BooleanField(_l("Remind every working day while overdue"))
    ladder = StringField(
        _l("Escalation ladder after the owner"),
        description=_l(
            "Who is told, after how many working days overdue: clerks 1, head 3, lead 5 (clerks: "
            "every clerk of the department; lead: the store's general manager or finance lead). "
            "Empty: nobody beyond the owner."
        ),
        default="head 3",
        validators=[Optional(), Length(max=200)],
    )
    preview_store = SelectField(_l("Preview for store"), choices=[])
    preview = SubmitField(_l("Preview"))
    save = SubmitField(_l("Save as a new version"))

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        recurring = kind == "recurring"
        hidden = (
            ("offset_days", "day_type", "trigger_after")
            if recurring
            else ("frequency", "day", "recurring_day_type", "period_back")
        )
        if kind == "request":
            hidden += ("trigger_after",)
        for name in hidden:
            delattr(self, name)
        if not recurring:
            self.non_working.choices = NON_WORKING_CHOICES[:3]

    def validate_ladder(self, field):
        from tracker.reminders.policy import parse_ladder

        try:
            parse_ladder(field.data or "")
        except BadInput as exc:
            raise ValidationError(exc.localized()) from None

    def validate_checklist(self, field):
        for number, line in enumerate((field.data or "").splitlines(), start=1):
            if line.strip() and "|" not in line:
                raise ValidationError(
                    _l("Line %(n)d: write the point as Chinese | English.", n=number)
                )

    def validate(self, extra_validators=None) -> bool:
        """The fields one by one, then the day against the frequency (an empty day stops the
        day field's own validators, so the pair is checked here)."""
        valid = super().validate(extra_validators)
        if self.kind != "recurring" or self.day.errors:
            return valid
        frequency, day = self.frequency.data, self.day.data
        working = self.recurring_day_type.data == "working"
        message = None
        if working and frequency != "monthly":
            self.recurring_day_type.errors.append(
                _l("Working days apply to monthly deadlines only.")
            )
            return False
        if working and not (day is not None and 1 <= abs(day) <= MAX_WORKING_DAY):
            message = _l(
                "On working days, give 1 to 23 (the Nth working day of the month), -1 (the "
                "last) or -2 to -23 (the Nth-last)."
            )
        elif not working and frequency == "monthly" and not (day is not None and 1 <= day <= 31):
            message = _l("A monthly deadline needs a day of the month, 1 to 31.")
        elif frequency == "weekly" and not (day is not None and 0 <= day <= 6):
            message = _l("A weekly deadline needs a weekday, 0 (Monday) to 6 (Sunday).")
        elif frequency == "daily" and day is not None:
            message = _l("A daily deadline takes no day.")
        if message is not None:
            self.day.errors.append(message)
            return False
        return valid

    def changes(self) -> dict:
        """The version fields this form sets."""
        from tracker.reminders.policy import parse_ladder

        ladder = parse_ladder(self.ladder.data or "")
        checklist = []
        for line in (self.checklist.data or "").splitlines():
            if line.strip():
                zh, _, en = line.partition("|")
                checklist.append({"zh": zh.strip(), "en": en.strip() or zh.strip()})
        fields = {
            "title_zh": self.title_zh.data.strip(),
            "title_en": self.title_en.data.strip(),
            "deadline_as_written": (self.deadline_as_written.data or "").strip() or None,
            "evidence": list(self.evidence.data or []),
            "checklist": checklist,
            "at_time": self.at_time.data,
            "non_working": self.non_working.data,
            "reminder_policy": {
                "before_working_days": self.before_working_days.data,
                "on_due": bool(self.on_due.data),
                "overdue_every_working_day": bool(self.overdue_every_working_day.data),
                "escalate_after_working_days": next(
                    (r["after"] for r in ladder if r["to"] == "heads"), 0
                ),
                "ladder": ladder,
            },
        }
        if self.kind == "recurring":
            fields |= {
                "frequency": self.frequency.data,
                "day": self.day.data,
                "period_back": self.period_back.data,
                "offset_days": 0,
                "day_type": self.recurring_day_type.data,
            }
        else:
            fields |= {
                "frequency": None,
                "day": None,
                "offset_days": self.offset_days.data,
                "day_type": self.day_type.data,
            }
            if hasattr(self, "trigger_after"):
                fields["trigger_after"] = self.trigger_after.data
        return fields

    @classmethod
    def for_version(cls, version, kind: str, **kwargs) -> "CommitmentForm":
        """The form filled with a version's fields (a GET), or with the posted data."""
        from tracker.reminders.policy import format_ladder, policy_of

        policy = policy_of(version)
        data = {
            "title_zh": version.title_zh,
            "title_en": version.title_en,
            "deadline_as_written": version.deadline_as_written,
            "evidence": list(version.evidence or []),
            "checklist": "\n".join(
                f"{p.get('zh', '')} | {p.get('en', '')}" if isinstance(p, dict) else str(p)
                for p in version.checklist or []
            ),
            "frequency": version.frequency,
            "day": version.day,
            "period_back": version.period_back,
            "offset_days": version.offset_days,
            "day_type": version.day_type,
            "recurring_day_type": version.day_type,
            "at_time": version.at_time,
            "non_working": version.non_working,
            "trigger_after": version.trigger_after,
            **policy,
            "ladder": format_ladder(policy["ladder"]),
        }
        return cls(data=data, kind=kind, **kwargs)


class OverrideForm(FlaskForm):
    """A day declared a holiday or a working day for one store."""

    day = DateField(
        _l("Day"),
        validators=[InputRequired(message=_l("Give a date.")), validation.BusinessDate()],
    )
    working = SelectField(
        _l("The day is"), choices=[("0", _l("a holiday")), ("1", _l("a working day"))]
    )
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)])


class RiskBandsForm(FlaskForm):
    """The age bands of amounts at risk, for the whole group: "0-2, 3-7, 8+"."""

    bands = StringField(
        _l("Age bands (days overdue)"),
        description=_l(
            "Two to six bands from 0, each following on from the one before, the last "
            "open-ended: e.g. 0-2, 3-7, 8+ or 0-6, 7-29, 30+."
        ),
        validators=[DataRequired(), Length(max=200)],
    )

    def validate_bands(self, field):
        _checked(scorecards.parse_bands, field.data)


class MailCheckForm(FlaskForm):
    """Where to send a test email."""

    to = EmailField(
        _l("Send a test email to"),
        validators=[DataRequired(), EMAIL, Length(max=254)],
    )


class RetireForm(FlaskForm):
    """Retiring a commitment is confirmed with a tick, not a single click."""

    sure = BooleanField(
        _l("Yes, retire it: it makes no new deliverables from now on"),
        validators=[DataRequired(_l("Tick it to confirm."))],
    )


class ConfirmForm(FlaskForm):
    """A button that changes something: only its CSRF token."""


class OfficialImportForm(FlaskForm):
    """A year's official calendar for every store of a country: a pasted table or an ICS file."""

    country = StringField(
        _l("Country"),
        default="CN",
        validators=[
            InputRequired(message=_l("Give a country code.")),
            Regexp(r"^[A-Za-z]{2}$", message=_l("Two letters, e.g. CN.")),
        ],
    )
    year = IntegerField(
        _l("Year"),
        validators=[Optional(), NumberRange(min=1990, max=2100)],
        description=_l("Optional: every day must fall in it."),
    )
    table = TextAreaField(
        _l("Holidays and workdays"),
        validators=[Optional(), Length(max=20000)],
        description=_l(
            "One line a day or range: 2027-01-01 holiday 元旦, "
            "2027-02-06..2027-02-12 休 春节, 2027-02-07 workday 春节调休."
        ),
    )
    file = FileField(_l("Or an ICS file"))
    preview = SubmitField(_l("Preview"))
    save = SubmitField(_l("Save for every store of the country"))


class ListFilterForm(FlaskForm):
    """The filters of the people's or the stores' list (a GET form: nothing to protect): a
    store (people only) and a piece of text. A store that is not one shows its message beside
    the field and filters nothing."""

    class Meta:
        csrf = False

    store = SelectField(_l("Store"), choices=[], validate_choice=False, default="")
    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])

    def offer(self, stores: list) -> None:
        """The stores one may filter by, by code."""
        self.stores = {s.code: s for s in stores}
        self.store.choices = [("", _l("All stores"))] + [(s.code, s.code) for s in stores]

    def validate_store(self, field) -> None:
        if field.data and field.data not in self.stores:
            raise ValidationError(_l("Not one of the choices."))

    def chosen_store(self):
        """The store picked, if it is one (the stores' list has no store to pick)."""
        if "store" not in self or self.store.errors:
            return None
        return self.stores.get(self.store.data or "")

    def text(self) -> str | None:
        """The text searched for, if it passed its checks."""
        return None if self.q.errors else self.q.data

    def args(self) -> dict[str, str]:
        """The filters given and valid, for the pages' links (which keep them)."""
        given = {"store": self.chosen_store() and self.store.data, "q": self.text()}
        return {name: value for name, value in given.items() if value}
