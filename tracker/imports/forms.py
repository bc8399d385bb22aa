"""Forms of the import page (the file and its mapping, then the choice after the preview) and
of the mappings page."""

import json

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

MODES = {"all": _l("all rows, or none if one is wrong"), "valid": _l("the valid rows only")}


class UploadForm(FlaskForm):
    """A DMS export and the mapping to read it with."""

    file = FileField(_l("Export file (.csv or .xlsx)"), validators=[FileRequired(_l("Required."))])
    mapping = SelectField(_l("Column mapping"), validators=[DataRequired(_l("Required."))])


class RunForm(FlaskForm):
    """The previewed file, imported all or none, or its valid rows only."""

    upload = HiddenField(validators=[DataRequired()])
    mapping = HiddenField(validators=[DataRequired()])
    mode = RadioField(_l("Import"), choices=list(MODES.items()), default="all")


class MappingForm(FlaskForm):
    """A saved mapping: its name and, as JSON, its columns and event names."""

    name = StringField(_l("Name"), validators=[DataRequired(_l("Required.")), Length(max=40)])
    spec = TextAreaField(_l("Mapping (JSON)"), validators=[DataRequired(_l("Required."))])

    def validate_name(self, field) -> None:
        if field.data.strip() in ("standard", "api"):
            raise ValidationError(_l("standard and api are taken: choose another name."))

    def validate_spec(self, field) -> None:
        """A JSON object with a `columns` object and, if given, a `types` object."""
        try:
            spec = json.loads(field.data)
        except ValueError as exc:
            raise ValidationError(
                _l(
                    "Not valid JSON (line %(line)s, column %(column)s).",
                    line=exc.lineno,
                    column=exc.colno,
                )
            ) from None
        if not isinstance(spec, dict) or not isinstance(spec.get("columns"), dict):
            raise ValidationError(_l('A JSON object with "columns": {field: column header}.'))
        if not isinstance(spec.get("types", {}), dict):
            raise ValidationError(_l('"types" is an object: {name in the export: event type}.'))
        self.parsed = spec
