"""A department's group robot in a store, and the robot messages of the outbox."""

from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.org.models import Department, Store
from tracker.types import UTCDateTime

ROBOT_KINDS = ("wecom", "dingtalk")
MESSAGE_KINDS = ("summary", "notice", "test")
MESSAGE_STATUSES = ("pending", "sent", "failed", "cancelled")


class Robot(db.Model):
    """The group robot webhook of one department in one store: the URL the administrator pasted
    (its key or access token is a secret too) and, for DingTalk's signed (加签) robots, the
    signing secret. Neither is ever shown back in full nor logged."""

    __tablename__ = "robot"
    __table_args__ = (
        CheckConstraint(f"kind IN {ROBOT_KINDS!r}", name="kind"),
        UniqueConstraint("store_id", "department_id", name="uq_robot_store_department"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    kind: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    store: Mapped[Store] = relationship(lazy="joined")
    department: Mapped[Department] = relationship(lazy="joined")


class RobotMessage(db.Model):
    """One markdown message to one robot, composed once under a unique `key` (the robot and what
    it reports, e.g. the department's summary of a day). `raw` is the JSON body as it will be
    posted, built when composed; only DingTalk's `timestamp` and `sign` are added when sent.
    Delivery follows the email outbox: claim with a lease, record `sent` right after the
    robot's answer, back-off on failure, `failed` after N attempts."""

    __tablename__ = "robot_message"
    __table_args__ = (
        CheckConstraint(f"kind IN {MESSAGE_KINDS!r}", name="kind"),
        CheckConstraint(f"status IN {MESSAGE_STATUSES!r}", name="status"),
        Index("ix_robot_message_status_next", "status", "next_attempt_at"),
        # The rate limit's window: a robot's messages sent in the last minute.
        Index("ix_robot_message_robot_sent", "robot_id", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    robot_id: Mapped[int | None] = mapped_column(ForeignKey("robot.id", ondelete="SET NULL"))
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    kind: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(5))
    title: Mapped[str] = mapped_column(Text)
    # A summary's deliverables, checked again just before sending.
    deliverables: Mapped[list | None] = mapped_column(JSON)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    robot: Mapped[Robot | None] = relationship()
    store: Mapped[Store] = relationship()
    department: Mapped[Department] = relationship()
