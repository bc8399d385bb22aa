"""Bad input on the command line: a clean usage error (exit code 2, no traceback) and nothing
written, for every kind of value that used to end in a traceback."""

import pytest

from tests.pages import snapshot

HUGE = str(2**64)
CLERK = "sales.clerk@sh01.test"


def due(*options: str) -> list[str]:
    return ["tracker", "due", "--commitment", "sales-7", "--store", "SH01", *options]


def event(*options: str) -> list[str]:
    base = ["tracker", "event", "record", "--type", "customer_payment", "--store", "SH01"]
    return base + ["--ref", "P-1", "--by", CLERK, *options]


CASES = [
    ("due from year 1", due("--from", "0001-01-01T00:00-23:59")),
    ("due from year 9999", due("--from", "9999-12-31T23:59+23:59")),
    ("due from 1999", due("--from", "1999-12-31T23:59+08:00")),
    (
        "count beyond any use",
        ["tracker", "due", "--commitment", "loans-8", "--store", "SH01"]
        + ["--from", "2026-10-01T00:00+08:00", "--count", "99999999999999999999999"],
    ),
    ("event at year 1", event("--at", "0001-01-01T00:00+23:59")),
    ("event at year 9999", event("--at", "9999-12-31T23:59-23:59")),
    ("event amount NaN", event("--amount", "NaN")),
    ("event amount sNaN", event("--amount", "sNaN")),
    ("event amount Infinity", event("--amount", "Infinity")),
    ("event amount 1e309", event("--amount", "1e309")),
    ("event amount 1e20", event("--amount", "1e20")),
    ("sweep now year 1", ["tracker", "sweep", "--now", "0001-01-01T00:00+23:59"]),
    ("sweep now year 9999", ["tracker", "sweep", "--now", "9999-12-31T23:59-23:59"]),
    ("accept an id above 2^63", ["tracker", "deliverable", "accept", HUGE, "--by", CLERK]),
    ("waive an id above 2^63", ["tracker", "deliverable", "waive", HUGE, "--by", CLERK]),
    ("return an id above 2^63", ["tracker", "deliverable", "return", HUGE, "--by", CLERK]),
    ("submit an id above 2^63", ["tracker", "deliverable", "submit", HUGE, "--by", CLERK]),
    ("submit an id in other digits", ["tracker", "deliverable", "submit", "\u0662", "--by", CLERK]),
    (
        "accept at year 9999",
        ["tracker", "deliverable", "accept", "1", "--by", CLERK, "--at", "9999-12-31T00:00Z"],
    ),
    ("retry an id above 2^63", ["tracker", "outbox", "--retry", HUGE]),
    (
        "a 2,000-character zone",
        ["tracker", "store", "add", "BJ01", "--name", "B", "--tz", "A" * 2000, "--country", "CN"],
    ),
    (
        "a zone that is a path",
        [
            "tracker",
            "store",
            "add",
            "BJ01",
            "--name",
            "B",
            "--tz",
            "../../etc/x",
            "--country",
            "CN",
        ],
    ),
]


@pytest.mark.parametrize("args", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_cli_refuses_a_value_out_of_range_with_a_usage_error(runner, people, args):
    before = snapshot()
    result = runner.invoke(args=args)
    assert result.exit_code == 2, result.output
    assert "Error: Invalid value" in result.output
    assert "Traceback" not in result.output and not isinstance(result.exception, ValueError)
    assert snapshot() == before


def test_a_count_within_range_still_lists_its_due_times(runner, people):
    result = runner.invoke(
        args=["tracker", "due", "--commitment", "loans-8", "--store", "SH01"]
        + ["--from", "2026-10-01T00:00+08:00", "--count", "3", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.count('"due"') == 3
