"""Who may see and do what. Every view calls one of these; nothing is left to the templates."""

from flask import abort


def require(condition: bool) -> None:
    """Abort with 403 unless the condition holds."""
    if not condition:
        abort(403)
