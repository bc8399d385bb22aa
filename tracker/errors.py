"""Domain errors: each carries a message fit to show a person or to return as JSON."""


class TrackerError(Exception):
    """Base of the errors the tracker explains to people."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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
