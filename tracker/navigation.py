"""The menu: each area registers its pages under these endpoint names; a link shows only when
its page exists and the person may open it."""

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from tracker.admin.permissions import can_administer
from tracker.closing.display import MENU_LABEL as CLOSE_LABEL
from tracker.closing.permissions import can_close
from tracker.cockpit.permissions import has_cockpit
from tracker.complaints.display import MENU_LABEL as COMPLAINTS_LABEL
from tracker.extensions import db
from tracker.ledger.permissions import has_inbox
from tracker.satisfaction.display import MENU_LABEL as SURVEY_LABEL
from tracker.satisfaction.permissions import may_answer, sees_results
from tracker.scorecards.permissions import can_see_scorecards

# (endpoint, label, who sees the link)
MENU = [
    ("cockpit.index", _l("Now"), lambda p: has_cockpit(db.session, p)),
    ("ledger.mine", _l("Our department"), lambda p: True),
    ("ledger.record_event", _l("Record an event"), lambda p: True),
    ("ledger.deal_file", _l("Deal file"), lambda p: True),
    ("inbox.index", _l("Receiving inbox"), lambda p: has_inbox(db.session, p)),
    ("complaints.index", COMPLAINTS_LABEL, lambda p: True),
    ("scorecards.index", _l("Scorecards"), can_see_scorecards),
    ("closing.index", CLOSE_LABEL, can_close),
    ("satisfaction.index", SURVEY_LABEL, lambda p: may_answer(p) or sees_results(p)),
    ("admin.index", _l("Admin"), can_administer),
]


def init_app(app: Flask) -> None:
    """Offer `menu` to every template."""

    @app.context_processor
    def menu():
        if not current_user or not current_user.is_authenticated:
            return {"menu": []}
        return {
            "menu": [
                (endpoint, label)
                for endpoint, label, allowed in MENU
                if endpoint in current_app.view_functions and allowed(current_user)
            ]
        }
