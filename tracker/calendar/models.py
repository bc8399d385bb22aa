"""The administrator's overrides of a store's working calendar."""

from datetime import date

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tracker.extensions import db


class CalendarOverride(db.Model):
    """A day the administrator declares a working day or a holiday for one store."""

    __tablename__ = "calendar_override"
    __table_args__ = (UniqueConstraint("store_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    day: Mapped[date] = mapped_column(Date)
    working: Mapped[bool]
    note: Mapped[str | None] = mapped_column(String(200))


class OfficialDay(db.Model):
    """A day of a country's official calendar for one year, as an administrator imported it
    (the State Council's holidays and swapped working days). An imported year replaces what the
    `holidays` package says of that year: its other days follow the weekend."""

    __tablename__ = "official_day"
    __table_args__ = (UniqueConstraint("country", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    country: Mapped[str] = mapped_column(String(8))
    year: Mapped[int] = mapped_column(index=True)
    day: Mapped[date] = mapped_column(Date)
    working: Mapped[bool]
    name: Mapped[str | None] = mapped_column(String(200))
