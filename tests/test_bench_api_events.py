"""The API bench's work: distinct deliveries per store, every n-th post the previous one again
(the same external_id), so the figure mixes 201s and 200s as a DMS re-sending would."""

import json
from datetime import UTC, datetime

from bench.api_events import posts


def test_every_nth_post_repeats_the_previous_event_and_the_others_are_distinct():
    at = datetime(2026, 11, 18, 2, tzinfo=UTC)
    items = posts("S001", "run1", 25, 10, at)
    bodies = [json.loads(body) for _method, _path, body in items]
    ids = [b["external_id"] for b in bodies]
    assert len(items) == 25 and {m for m, _p, _b in items} == {"POST"}
    assert ids[9] == ids[8] and ids[19] == ids[18]
    assert len(set(ids)) == 23 and all(b["store"] == "S001" for b in bodies)
    assert all(datetime.fromisoformat(b["occurred_at"]) <= at for b in bodies)
    assert len({json.loads(b)["external_id"] for _m, _p, b in posts("S001", "r", 5, 0, at)}) == 5
