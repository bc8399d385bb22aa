"""Forms of satisfaction: the rating beside an accept or return, the survey's answer, and the
administrator's survey dates and minimum of answers."""

from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError
from wtforms.widgets import DateInput, NumberInput

from tracker import validation
from tracker.errors import BadInput
from tracker.satisfaction import service
from tracker.satisfaction.models import TAGS

TAG_LABELS = {
    "complete": _l("complete"),
    "courteous": _l("courteous"),
    "had_to_chase": _l("had to chase"),
    "wrong_information": _l("wrong information"),
}
QUESTION_LABELS = {
    "timeliness": _l("Timeliness"),
    "completeness": _l("Completeness"),
    "attitude": _l("Attitude"),
    "overall": _l("Overall"),
}
SCORE_MESSAGE = _l("Choose from 1 to 5 stars.")


class Stars(StringField):
    """A 1-5 score, shown as five radio buttons styled as stars; empty when not given."""

    def process_formdata(self, valuelist):
        self.data = valuelist[0] if valuelist else ""

    def score(self) -> int | None:
        return service.check_rating(self.data) if self.data else None


def _check_stars(field, required: bool = False) -> None:
    try:
        value = service.check_rating(field.data)
    except BadInput:
        raise ValidationError(str(SCORE_MESSAGE)) from None
    if required and value is None:
        raise ValidationError(str(SCORE_MESSAGE))


class RatingFields:
    """The rating and tags an accept or return form carries: one click, never required."""

    rating = Stars(_l("Rating"))
    tags = SelectMultipleField(_l("Tags"), choices=list(TAG_LABELS.items()), validate_choice=False)

    def validate_rating(self, field) -> None:
        _check_stars(field)
        if self.tags.data and not field.data:
            raise ValidationError(_("Give a rating with the tags."))

    def validate_tags(self, field) -> None:
        if any(t not in TAGS for t in field.data or []):
            raise ValidationError(_("Not one of the choices."))

    def rated(self) -> dict:
        """The rating and tags as `satisfaction.service.rate` takes them."""
        return {"rating": self.rating.data or None, "tags": self.tags.data or []}


class AnswerForm(FlaskForm):
    """One answer of the survey about one department."""

    department = StringField(validators=[DataRequired()])
    timeliness = Stars(QUESTION_LABELS["timeliness"])
    completeness = Stars(QUESTION_LABELS["completeness"])
    attitude = Stars(QUESTION_LABELS["attitude"])
    overall = Stars(QUESTION_LABELS["overall"])
    comment = TextAreaField(
        _l("Comment (optional)"), validators=[Length(max=service.MAX_COMMENT), validation.NoNul()]
    )

    def validate_timeliness(self, field) -> None:
        _check_stars(field, required=True)

    validate_completeness = validate_attitude = validate_overall = validate_timeliness

    def scores(self) -> service.Scores:
        return service.check_scores(self.data)


class SurveyDatesForm(FlaskForm):
    """A store's survey of a quarter: the day it opens and the day it closes."""

    store = SelectField(
        _l("Store"), choices=[], validate_choice=False, validators=[DataRequired(_l("Required."))]
    )
    quarter = StringField(_l("Quarter (e.g. 2026Q4)"), validators=[DataRequired(_l("Required."))])
    opens_on = StringField(_l("Opens on"), widget=DateInput())
    closes_on = StringField(_l("Closes on"), widget=DateInput())

    def validate_quarter(self, field) -> None:
        try:
            field.data = service.check_quarter(field.data)
        except BadInput:
            raise ValidationError(_("Write a quarter as YYYYQn, e.g. 2026Q4.")) from None

    def validate_opens_on(self, field) -> None:
        _day(field)

    validate_closes_on = validate_opens_on


def _day(field) -> None:
    """A day written YYYY-MM-DD in the years the tracker accepts, kept as `field.parsed`."""
    text = (field.data or "").strip()
    try:
        day = date.fromisoformat(text) if len(text) == 10 and text.isascii() else None
    except ValueError:
        day = None
    if day is None or not validation.year_in_range(day):
        raise ValidationError(_("Write a date as YYYY-MM-DD."))
    field.parsed = day


class MinimumForm(FlaskForm):
    """N: the fewest answers before a department's aggregate is shown."""

    minimum = StringField(
        _l("Fewest answers before an aggregate is shown"),
        widget=NumberInput(min=1, max=service.MAX_MIN_ANSWERS),
    )

    def validate_minimum(self, field) -> None:
        text = (field.data or "").strip()
        if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 50:
            raise ValidationError(_("Write a whole number from 1 to 50."))
