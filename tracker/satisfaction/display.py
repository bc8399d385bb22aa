"""How the satisfaction index is named where the scorecards show it (page, trend, exports)."""

from flask_babel import lazy_gettext as _l

# Beside the on-time and first-pass rates: (key, header), in the scorecards' COLUMNS shape.
CSI_COLUMNS = [
    ("csi", _l("Satisfaction (CSI)")),
    ("csi_responses", _l("CSI responses")),
]
CSI_TREND_TITLE = _l("Satisfaction index (CSI) by month")
CSI_HELP = _l(
    "Satisfaction (CSI), 0–100: 40% the ratings given when items were accepted or returned "
    "that month, 60% the quarter's survey (counted from enough answers); either alone when "
    "only one exists. Beside it, the responses behind it."
)
MENU_LABEL = _l("Survey")
