"""Saved column mappings of DMS exports, and the files a watched folder has imported.

A mapping is named after its source (the DMS, its export): it says which column holds each of
an event's fields, and how the export's event names map to the tracker's event types
(`交车` → `vehicle_delivered`). The mapping's name is the events' `source`, so the same row
imported twice (its external id) is recorded once. `standard` is built in (see service)."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tracker.extensions import db
from tracker.types import UTCDateTime


class ImportMapping(db.Model):
    """Which column of a source's export holds which field of an event."""

    __tablename__ = "import_mapping"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    # {"type": header, "occurred_at": header, "reference": ..., "external_id": ...,
    #  "customer"?: ..., "vin"?: ..., "amount"?: ...}
    columns: Mapped[dict] = mapped_column(JSON)
    # The export's event names to the tracker's event type codes; codes pass as they are.
    types: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ImportedFile(db.Model):
    """A file a watched folder imported: by its content, so the same file again (renamed or
    not) is not read twice, and a changed file of the same name is."""

    __tablename__ = "imported_file"
    __table_args__ = (UniqueConstraint("store_id", "sha256", name="uq_imported_file"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    mapping: Mapped[str] = mapped_column(String(40))
    created: Mapped[int] = mapped_column(default=0)
    already: Mapped[int] = mapped_column(default=0)
    errors: Mapped[int] = mapped_column(default=0)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)
