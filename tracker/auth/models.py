"""Sign-in throttling: failed attempts per account and per client address, in the database so
every process sees them."""

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tracker.extensions import db
from tracker.types import UTCDateTime


class SignInThrottle(db.Model):
    """Recent failed sign-ins for one email (known or not) or one client address, and when the
    last one was. Each attempt is counted before its password is checked (see auth.service)."""

    __tablename__ = "sign_in_throttle"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(8), server_default="account")  # or "address"
    key: Mapped[str] = mapped_column(String(254))
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime)
