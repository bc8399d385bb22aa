"""The one clock. Views, jobs and CLI commands read it and pass `now` down; services never do."""

from datetime import UTC, datetime


def now() -> datetime:
    """The server's current instant, aware, in UTC."""
    return datetime.now(UTC)
