"""API tokens: a person's (acting with their rights) or a store integration's (the DMS: it may
only record events and read). Only the SHA-256 of the secret is kept."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.org.models import Person
from tracker.types import UTCDateTime


class ApiToken(db.Model):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # sha256 hex of the secret: a token is 32 random bytes, so no slow hash is needed.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    integration: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    person: Mapped[Person] = relationship(lazy="joined")

    def usable(self, now: datetime) -> bool:
        """Not revoked, not expired, and its person still active."""
        return (
            self.revoked_at is None
            and (self.expires_at is None or self.expires_at > now)
            and self.person.active
        )
