"""Forms of the receiving inbox."""

from datetime import date, datetime

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
from wtforms.widgets import DateInput, NumberInput

from tracker import validation
from tracker.catalog.models import Commitment
from tracker.inbox.service import DUE_WITHIN, SORTS, Filters, Pick
from tracker.ledger.display import RETURN_REASON_LABELS
from tracker.org.models import Department, Person, Store
from tracker.satisfaction.forms import RatingFields

REQUIRED = _l("Required.")


class AcceptForm(RatingFields, FlaskForm):
    """Accept the latest submission: every point of the commitment's checklist ticked; a
    rating beside it if the clerk gives one."""

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


class ReturnForm(RatingFields, FlaskForm):
    """Send the latest submission back with a reason from the list and a note (and a rating)."""

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


# --- the filters (a GET form: nothing to protect) and the batch decision ---

STATUS_CHOICES = [
    ("", _l("not decided yet")),
    ("submitted", _l("handed in, to check")),
    ("owed", _l("still owed")),
    ("open", _l("open")),
    ("returned", _l("returned")),
]
SORT_LABELS = {
    "age": _l("waiting or overdue longest"),
    "due": _l("due time"),
    "department": _l("department"),
}
DUE_CHOICES = [("", _l("any day")), ("today", _l("today")), ("week", _l("this week"))]
MAX_AGE_DAYS = 3650
FILTER_NAMES = ("provider", "commitment", "status", "due", "due_from", "due_to", "age_min")
FILTER_NAMES += ("age_max", "q", "sort")
DATE_MESSAGE = _l("Write a date as YYYY-MM-DD.")
DAYS_MESSAGE = _l("Write a number of days from 0 to 3650.")
PAGE_MESSAGE = _l("Not a page number: the first page is shown.")


def _day(text: str | None) -> date | None:
    """YYYY-MM-DD in the years the tracker accepts, or None (ValueError if it is not one)."""
    if not text:
        return None
    day = date.fromisoformat(text) if len(text) == 10 and text.isascii() else None
    if day is None or not validation.year_in_range(day):
        raise ValueError(text)
    return day


def _days(text: str | None) -> int | None:
    """A number of days 0-3650 in ASCII digits, or None (ValueError if it is not one)."""
    if not text:
        return None
    if not validation.ascii_digits(text) or int(text) > MAX_AGE_DAYS:
        raise ValueError(text)
    return int(text)


class FilterForm(FlaskForm):
    """The inbox's (and the cockpit lists') filters, sort and pages, from the query string.
    A value that is not one shows its message beside its field and filters nothing."""

    class Meta:
        csrf = False

    provider = SelectField(_l("From"), choices=[], validate_choice=False, default="")
    commitment = SelectField(_l("Commitment"), choices=[], validate_choice=False, default="")
    status = SelectField(_l("Status"), choices=STATUS_CHOICES, validate_choice=False, default="")
    due = SelectField(_l("Due"), choices=DUE_CHOICES, validate_choice=False, default="")
    due_from = StringField(_l("Due from"), widget=DateInput())
    due_to = StringField(_l("Due until"), widget=DateInput())
    age_min = StringField(_l("At least (days)"), widget=NumberInput(min=0, max=MAX_AGE_DAYS))
    age_max = StringField(_l("At most (days)"), widget=NumberInput(min=0, max=MAX_AGE_DAYS))
    q = StringField(_l("Reference, customer or VIN"), validators=[Length(max=100)])
    sort = SelectField(_l("Sort by"), choices=list(SORT_LABELS.items()), validate_choice=False)
    page = StringField()
    owed_page = StringField()

    def offer(
        self, departments: list[Department], commitments: list[Commitment], language: str
    ) -> None:
        """The departments and commitments one may filter by, named by their codes."""
        self.departments = {d.code: d for d in departments}
        self.commitments = {c.code: c for c in commitments}
        everything = [("", _("all"))]
        self.provider.choices = everything + [(d.code, d.name(language)) for d in departments]
        self.commitment.choices = everything + [
            (c.code, f"{c.code} · {c.current.title(language)}") for c in commitments
        ]

    def validate_provider(self, field) -> None:
        if field.data and field.data not in self.departments:
            raise ValidationError(_("Not one of the choices."))

    def validate_commitment(self, field) -> None:
        if field.data and field.data not in self.commitments:
            raise ValidationError(_("Not one of the choices."))

    def validate_status(self, field) -> None:
        if field.data not in dict(STATUS_CHOICES):
            raise ValidationError(_("Not one of the choices."))

    def validate_due(self, field) -> None:
        if field.data and field.data not in DUE_WITHIN:
            raise ValidationError(_("Not one of the choices."))

    def validate_sort(self, field) -> None:
        if field.data and field.data not in SORTS:
            raise ValidationError(_("Not one of the choices."))

    def validate_due_from(self, field) -> None:
        self._parsed(field, _day, DATE_MESSAGE)

    def validate_due_to(self, field) -> None:
        self._parsed(field, _day, DATE_MESSAGE)
        first, last = self._value("due_from", _day), self._value("due_to", _day)
        if first and last and last < first:
            raise ValidationError(_("The last day comes before the first."))

    def validate_age_min(self, field) -> None:
        self._parsed(field, _days, DAYS_MESSAGE)

    def validate_age_max(self, field) -> None:
        self._parsed(field, _days, DAYS_MESSAGE)

    def validate_page(self, field) -> None:
        self._page(field)

    def validate_owed_page(self, field) -> None:
        self._page(field)

    @staticmethod
    def _parsed(field, parse, message) -> None:
        try:
            parse(field.data)
        except ValueError:
            raise ValidationError(str(message)) from None

    @staticmethod
    def _page(field) -> None:
        if field.data and validation.parse_id(field.data) is None:
            raise ValidationError(str(PAGE_MESSAGE))

    def _value(self, name: str, parse=str):
        """A field's value if it passed its checks, else None (no filter)."""
        f = self[name]
        if f.errors or not f.data:
            return None
        try:
            return parse(f.data)
        except ValueError:
            return None

    def filters(self) -> Filters:
        """The filters as the service takes them; a refused value filters nothing."""
        provider = self.departments.get(self._value("provider") or "")
        commitment = self.commitments.get(self._value("commitment") or "")
        return Filters(
            provider_id=provider.id if provider else None,
            commitment_id=commitment.id if commitment else None,
            status=self._value("status") or "",
            due_from=self._value("due_from", _day),
            due_to=self._value("due_to", _day),
            age_min=self._value("age_min", _days),
            age_max=self._value("age_max", _days),
            text=self._value("q"),
            sort=self._value("sort") or "age",
            due=self._value("due") or "",
        )

    def pages(self) -> dict[str, int]:
        """The page asked for of each part (1 for one that is not a page number)."""
        return {k: validation.parse_id(self._value(k) or "1") or 1 for k in ("page", "owed_page")}

    def args(self) -> dict[str, str]:
        """The filters given (and valid), for links that keep them (paging, the batch form)."""
        args = {n: self._value(n) for n in FILTER_NAMES}
        return {k: v for k, v in args.items() if v}


class BatchForm(FlaskForm):
    """Several items decided at once: each picked card's checklist for accepting, one reason
    and note for returning. Each item's ticks and version come under its accept form's names."""

    decision = HiddenField()
    pick = SelectMultipleField(choices=[], validate_choice=False)
    reason = SelectField(
        _l("Reason"),
        choices=[("", "—")] + list(RETURN_REASON_LABELS.items()),
        default="",
        validate_choice=False,
    )
    note = TextAreaField(_l("Note"), validators=[Length(max=2000)])

    def validate_decision(self, field) -> None:
        if field.data not in ("accept", "return"):
            raise ValidationError(_("Choose to accept or to return."))

    def validate_pick(self, field) -> None:
        if not field.data:
            raise ValidationError(_("Pick at least one item."))
        if any(validation.parse_id(v) is None for v in field.data):
            raise ValidationError(_("Not one of the choices."))

    def validate_reason(self, field) -> None:
        if self.decision.data == "return" and field.data not in RETURN_REASON_LABELS:
            raise ValidationError(_("Choose a reason."))

    def validate_note(self, field) -> None:
        if self.decision.data == "return" and self.reason.data == "other":
            if not (field.data or "").strip():
                raise ValidationError(_("Say what is wrong: a note is needed with “other”."))

    def picks(self, formdata) -> list[Pick]:
        """The items picked, each with the version its card showed and the points ticked."""
        picks = []
        for value in dict.fromkeys(self.pick.data):
            n = int(value)
            ticks = formdata.getlist(f"a{n}-checklist")
            ticked = {validation.parse_id(t, minimum=0) for t in ticks}
            version = validation.parse_id(formdata.get(f"a{n}-state_version") or "", minimum=0)
            picks.append(Pick(n, version, frozenset(t for t in ticked if t is not None)))
        return picks
