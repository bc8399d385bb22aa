"""Loaded by `./dev test-dates` only (it puts this folder on PYTHONPATH), in every Python process
the suite starts. Debian's libfaketime 0.9.10, with the monotonic clock left real, refuses the
absolute-deadline clock_nanosleep() behind time.sleep() (EINVAL); a timed wait on an event,
which it lets through, sleeps as long."""

import threading
import time


def _sleep(seconds: float) -> None:
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    threading.Event().wait(seconds)


time.sleep = _sleep
