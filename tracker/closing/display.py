"""How the month close names its groups and its menu entry, in the person's language."""

from flask_babel import lazy_gettext as _l

MENU_LABEL = _l("Month close")
# What blocks the close, in the page's order: (status, heading).
GROUPS = (
    ("open", _l("Open: still owed by the provider")),
    ("submitted", _l("Submitted, waiting for the receiver's decision")),
    ("returned", _l("Returned: owed again by the provider")),
)
