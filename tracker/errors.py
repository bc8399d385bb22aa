"""Domain errors: each carries a message fit to show a person or to return as JSON.

A service raises an error from a message id (English, marked with `N_` for extraction) and
named parameters::

    raise BadInput(N_("unknown event type %(type)r; known: %(known)s"), type=t, known=k)

`.message` is the English text (the CLI and JSON answers give it, scripts and tests read it);
`.localized()` is the same message in the language of the person making the request (pages).
"""

from flask import has_request_context
from flask_babel import gettext


def N_(msgid: str) -> str:
    """Mark a message for translation (pybabel extracts it); the message itself is unchanged."""
    return msgid


class Word(str):
    """A parameter a person reads as a word of the app (a status such as "open"): it stays as
    it is in `.message` and is translated in `.localized()` (it must be a msgid somewhere)."""


class TrackerError(Exception):
    """Base of the errors the tracker explains to people."""

    status = 400

    def __init__(self, msgid: str, /, **params) -> None:
        self.msgid = msgid
        self.params = params
        try:
            self.message = msgid % params if params else msgid
        except (KeyError, ValueError, TypeError):  # a slip in the raise must not hide the error
            self.message = msgid
        super().__init__(self.message)

    def localized(self) -> str:
        """The message in the requesting person's language (English outside a request)."""
        if not has_request_context():
            return self.message
        try:
            text = gettext(self.msgid)
            if not self.params:
                return text
            return text % {
                k: gettext(v) if isinstance(v, Word) else v for k, v in self.params.items()
            }
        except (KeyError, ValueError, TypeError):
            return self.message


class BadInput(TrackerError):
    """The request makes no sense: unknown code, missing reason, naive time, ..."""


class NotFound(TrackerError):
    """What was named does not exist."""

    status = 404


class NotAllowed(TrackerError):
    """This person may not do this."""

    status = 403


class Conflict(TrackerError):
    """The state changed under the request (another tab, another clerk): nothing was done."""

    status = 409
