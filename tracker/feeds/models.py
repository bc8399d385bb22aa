"""A person's secret calendar feed: the random key in its URL.

The key is kept as it is (not hashed, unlike passwords and API tokens): the profile shows the
address again and `tracker feed url` prints the same one, so a phone's subscription keeps
working; it only ever reads the person's due items, and renewing it ends the old address."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from tracker.extensions import db
from tracker.types import UTCDateTime


class FeedKey(db.Model):
    """The one live feed key of a person; renewing it replaces the key, so the old URL stops
    working at once."""

    __tablename__ = "feed_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), unique=True)
    secret: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
