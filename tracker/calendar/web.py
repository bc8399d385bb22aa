"""The calendar's template helper: which years of the due times a page shows have no known
official calendar, so that the page can say so."""

from collections.abc import Iterable
from datetime import datetime

from flask import Flask, g

from tracker.calendar.service import KnownYears
from tracker.extensions import db
from tracker.org.models import Store


def calendar_unknown(store: Store | None, moments: Iterable[datetime | None]) -> list[int]:
    """The years (in the store's zone) of these due times whose official calendar is not known.
    The imported years are read once a request, however many rows and calls ask."""
    if store is None:
        return []
    known = g.get("known_years")
    if known is None:
        known = g.known_years = KnownYears(db.session)
    return known.unknown(store, moments)


def register(app: Flask) -> None:
    """Offer `calendar_unknown` to every template."""
    app.add_template_global(calendar_unknown)
