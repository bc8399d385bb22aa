"""Forms of the import page: the file and its mapping, then the choice after the preview."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, RadioField, SelectField
from wtforms.validators import DataRequired

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
