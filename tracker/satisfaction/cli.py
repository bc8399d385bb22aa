"""`flask --app wsgi tracker survey open | minimum | results`, and the --rating and --tags
options that `deliverable accept | return` take (checked before anything is decided: a bad
value is a usage error, exit code 2)."""

from datetime import date

import click
from flask.cli import AppGroup

from tracker import clock
from tracker.cli import command, table
from tracker.errors import BadInput
from tracker.extensions import db
from tracker.org import service as org
from tracker.satisfaction import service


class RatingText(click.ParamType):
    """A rating of 1 to 5."""

    name = "1-5"

    def convert(self, value, param, ctx):
        try:
            return service.check_rating(value)
        except BadInput as exc:
            self.fail(exc.message, param, ctx)


class TagsText(click.ParamType):
    """Tags separated by commas, each one of the known tags."""

    name = "tags"

    def convert(self, value, param, ctx):
        if isinstance(value, list):
            return value
        try:
            return service.check_tags(value)
        except BadInput as exc:
            self.fail(exc.message, param, ctx)


class DayText(click.ParamType):
    """A day written YYYY-MM-DD."""

    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx):
        try:
            day = date.fromisoformat(str(value))
        except ValueError:
            day = None
        if day is None or not 2000 <= day.year <= 2100:
            self.fail(f"{value!r} is not a day written YYYY-MM-DD (2000-2100)", param, ctx)
        return day


class QuarterText(click.ParamType):
    name = "YYYYQn"

    def convert(self, value, param, ctx):
        try:
            return service.check_quarter(value)
        except BadInput as exc:
            self.fail(exc.message, param, ctx)


def options(fn):
    """--rating and --tags, checked when the command line is read, so that a bad one stops the
    command before the decision is made."""

    def tags_need_rating(ctx, param, value):
        if value and ctx.params.get("rating_") is None:
            raise click.BadParameter("give --rating with --tags", ctx=ctx, param=param)
        return value or []

    fn = click.option(
        "--tags",
        type=TagsText(),
        default=None,
        callback=tags_need_rating,
        help="complete, courteous, had_to_chase, wrong_information (comma-separated).",
    )(fn)
    return click.option(
        "--rating", "rating_", type=RatingText(), default=None, is_eager=True, help="1 to 5."
    )(fn)


def register(group: AppGroup) -> None:
    """Add the `survey` commands to the `tracker` command group (once per process)."""
    if "survey" in group.commands:
        return
    survey_cli = AppGroup("survey", help="The quarterly satisfaction survey.")
    group.add_command(survey_cli)

    @command(survey_cli, "open")
    @click.option("--store", "store_code", required=True)
    @click.option("--quarter", required=True, type=QuarterText(), help="e.g. 2026Q4")
    @click.option("--from", "opens_on", required=True, type=DayText(), help="First day.")
    @click.option("--to", "closes_on", required=True, type=DayText(), help="Last day.")
    def survey_open(store_code, quarter, opens_on, closes_on):
        """Set (or move) the days a store's survey of a quarter is open, in the store's zone."""
        store = org.get_store(db.session, store_code)
        survey = service.open_survey(
            db.session,
            store,
            quarter,
            opens_on=opens_on,
            closes_on=closes_on,
            by=None,
            now=clock.now(),
        )
        data = {
            "store": store.code,
            "quarter": survey.quarter,
            "opens_on": survey.opens_on.isoformat(),
            "closes_on": survey.closes_on.isoformat(),
        }
        return (
            data,
            f"{store.code} {survey.quarter}: open {data['opens_on']} to {data['closes_on']}",
        )

    @command(survey_cli, "minimum")
    @click.argument("answers", type=click.IntRange(1, service.MAX_MIN_ANSWERS))
    def survey_minimum(answers):
        """Set N, the fewest answers before a department's survey aggregate is shown."""
        value = service.set_minimum_answers(db.session, answers, now=clock.now(), by=None)
        return {"minimum_answers": value}, f"aggregates are shown from {value} answers"

    @command(survey_cli, "results")
    @click.option("--store", "store_code", required=True)
    @click.option("--quarter", required=True, type=QuarterText())
    def survey_results(store_code, quarter):
        """A store's survey aggregates: each department's number of answers, and the mean of
        each question from N answers (never who answered)."""
        store = org.get_store(db.session, store_code)
        survey = service.survey_of(db.session, store, quarter)
        found = service.results(db.session, None, survey) if survey is not None else []
        rows = [{"department": r.department.code, "answers": r.answers, **r.means} for r in found]
        columns = ["department", "answers", "timeliness", "completeness", "attitude", "overall"]
        return rows, table(rows, columns)
