"""The password policy, in one place for the profile, the administrator's pages and the CLI."""

from functools import cache

from tracker.errors import N_, BadInput

MIN_LENGTH = 10
MIN_DISTINCT = 5  # "aaaaaaaaaa" or "abababab12" are long but guessed at once


@cache
def _common() -> frozenset[str]:
    # The 30,000 most common passwords of the zxcvbn package (Dropbox's estimator, kept up by
    # its maintainers on PyPI), compared without case.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """What is wrong with this password for this person (a message id), or None."""
    password = password or ""
    folded = password.casefold()
    email = (email or "").strip().casefold()
    name = (name or "").strip().casefold()
    if len(password) < MIN_LENGTH:
        return N_("a password has at least 10 characters")
    if email and folded in (email, email.split("@")[0]):
        return N_("a password must not be the email address")
    if name and folded in (name, name.replace(" ", "")):
        return N_("a password must not be the name")
    if len(set(folded)) < MIN_DISTINCT or folded in _common():
        return N_("this password is too common or too simple; choose another")
    return None


def check_password(password: str, *, email: str = "", name: str = "") -> None:
    """Raise BadInput unless the password meets the policy."""
    problem = password_problem(password, email=email, name=name)
    if problem:
        raise BadInput(problem)
