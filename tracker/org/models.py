"""Stores, departments and the people who work in them."""

from datetime import datetime, time

from flask_login import UserMixin
from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.types import UTCDateTime

ROLES = ("clerk", "head", "lead", "admin")
LANGUAGES = ("zh", "en")


class Store(db.Model):
    """One dealership store: its own time zone, working calendar and working hours."""

    __tablename__ = "store"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    country: Mapped[str] = mapped_column(String(8))
    subdiv: Mapped[str | None] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(5), default="zh")
    work_start: Mapped[time] = mapped_column(Time, default=time(9, 0))
    work_end: Mapped[time] = mapped_column(Time, default=time(18, 0))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @property
    def zone(self):
        """The store's time zone as a ZoneInfo."""
        from zoneinfo import ZoneInfo

        return ZoneInfo(self.timezone)


class Department(db.Model):
    """A department; every store has the same ones (finance, sales, insurance, ...)."""

    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_en: Mapped[str] = mapped_column(String(100))
    name_zh: Mapped[str] = mapped_column(String(100))

    def name(self, lang: str = "en") -> str:
        """The department's name in that language."""
        return self.name_zh if lang == "zh" else self.name_en


class Person(UserMixin, db.Model):
    """Someone who signs in: a clerk, head, lead or administrator of one department and store."""

    __tablename__ = "person"
    __table_args__ = (
        CheckConstraint(f"role IN {ROLES!r}", name="role"),
        CheckConstraint(f"language IN {LANGUAGES!r}", name="language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"), index=True)
    role: Mapped[str] = mapped_column(String(16), default="clerk")
    language: Mapped[str] = mapped_column(String(5), default="zh")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Kept in each signed-in session; one more ends them all (tracker.auth.service).
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")

    department: Mapped[Department] = relationship(lazy="joined")
    store: Mapped[Store] = relationship(lazy="joined")

    @property
    def is_active(self) -> bool:  # Flask-Login: an inactive person cannot sign in
        return self.active

    @property
    def sees_all_stores(self) -> bool:
        """Finance/compliance leads and administrators look across stores."""
        return self.role in ("lead", "admin")


class GroupSetting(db.Model):
    """One setting of the whole dealer group, by key (e.g. the scorecards' age bands); the
    area that owns the key reads and checks its value."""

    __tablename__ = "group_setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict | list] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
