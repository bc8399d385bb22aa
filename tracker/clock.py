"""The one clock. Views, jobs and CLI commands read it and pass `now` down; services never do.

An app may be given its own clock in `app.config["CLOCK"]`: a zero-argument callable returning
an aware instant, read by `now()` inside that app's context (the tests fix it to one instant;
a drill could run it from another date). Outside an app context, or without it, the clock is
the machine's."""

from datetime import UTC, datetime

from flask import current_app, has_app_context


def now() -> datetime:
    """The current instant, aware, in UTC: the app's `CLOCK` if it has one, else the machine's."""
    if has_app_context():
        source = current_app.config.get("CLOCK")
        if source is not None:
            return source().astimezone(UTC)
    return datetime.now(UTC)
