"""Each person's iCal feed, parsed with `icalendar`: the department's open items at their due
times with stable UIDs, closed items gone, a lead's whole store, renewal ending the old URL, an
unknown key a 404, no session needed, constant queries."""

import json

from icalendar import Calendar

from tests.pages import OVERDUE, counted_queries, deliver, submit, token
from tracker.feeds import service


def _key(session, person, now) -> str:
    key = service.renew_key(session, person, now=now)
    session.commit()
    return key


def _events(client, key):
    response = client.get(f"/feed/{key}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    cal = Calendar.from_ical(response.data)
    return {str(e["uid"]): e for e in cal.walk("VEVENT")}


def test_the_feed_lists_the_departments_open_items_at_their_due_time(
    client, session, store, people, now
):
    made = deliver(session, store, people["sales.clerk"], ago=OVERDUE, ref="D-77")
    owed = {d.id: d for d in made.values() if d.provider_id == people["sales.clerk"].department_id}
    events = _events(client, _key(session, people["sales.clerk"], now))
    assert set(events) == {f"deliverable-{i}@tracker" for i in owed}
    for d in owed.values():
        event = events[f"deliverable-{d.id}@tracker"]
        assert event.decoded("dtstart") == d.due_at
        assert str(event["summary"]) == f"{d.version.title_en} · D-77"
        assert str(event["url"]) == f"http://tracker.test/deliverables/{d.id}"


def test_uids_stay_and_closed_items_drop_out(client, session, store, people, now):
    made = deliver(session, store, people["sales.clerk"], ago=OVERDUE)
    key = _key(session, people["sales.clerk"], now)
    before = _events(client, key)
    handed_in = made["sales-7"]
    submit(session, handed_in, people["sales.clerk"])
    after = _events(client, key)
    assert set(after) == set(before) - {f"deliverable-{handed_in.id}@tracker"}
    assert after == {uid: e for uid, e in _events(client, key).items()}


def test_a_lead_gets_the_whole_store(client, session, store, people, now):
    lead = people["finance.lead"]
    made = deliver(session, store, people["sales.clerk"], ago=OVERDUE)
    events = _events(client, _key(session, lead, now))
    assert len(events) == len(made)


def test_renewal_ends_the_old_url_and_an_unknown_key_is_404(client, session, people, now):
    old = _key(session, people["sales.clerk"], now)
    new = _key(session, people["sales.clerk"], now)
    assert client.get(f"/feed/{old}.ics").status_code == 404
    assert client.get(f"/feed/{new}.ics").status_code == 200
    assert client.get("/feed/nonsense.ics").status_code == 404


def test_the_profile_shows_the_url_and_renews_it(client, auth, session, people):
    auth.login("sales.clerk@sh01.test")
    response = client.post("/profile/feed", data={"csrf_token": token(client, "/profile")})
    assert response.status_code == 302
    session.expire_all()
    key = service.current_key(session, people["sales.clerk"])
    assert f"/feed/{key}.ics" in client.get("/profile").get_data(as_text=True)


def test_the_command_prints_the_same_url_until_renewed(runner, people):
    args = ["tracker", "feed", "url", "--for", "sales.clerk@sh01.test", "--json"]
    first = json.loads(runner.invoke(args=args).output)["url"]
    assert first == json.loads(runner.invoke(args=args).output)["url"]
    assert first.startswith("http://tracker.test/feed/") and first.endswith(".ics")
    renewed = json.loads(runner.invoke(args=[*args, "--renew"]).output)["url"]
    assert renewed != first


def test_an_unknown_person_is_a_usage_error(runner, people):
    result = runner.invoke(args=["tracker", "feed", "url", "--for", "nobody@x.test"])
    assert result.exit_code == 2


def test_the_feed_takes_the_same_queries_whatever_its_length(client, session, store, people, now):
    key = _key(session, people["sales.clerk"], now)
    counts = []
    for refs in (["D-0"], ["D-1", "D-2", "D-3", "D-4"]):
        for ref in refs:
            deliver(session, store, people["sales.clerk"], ago=OVERDUE, ref=ref)
        with counted_queries() as statements:
            assert client.get(f"/feed/{key}.ics").status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1] <= 3


def test_ones_own_items_come_first_and_the_others_name_their_owner(
    client, session, store, people, now
):
    clerk, head = people["sales.clerk"], people["sales.head"]
    theirs = deliver(session, store, head, ago=OVERDUE, ref="D-2")
    mine = deliver(session, store, clerk, ref="D-1")  # due later than the head's
    response = client.get(f"/feed/{_key(session, clerk, now)}.ics")
    order = [str(e["summary"]) for e in Calendar.from_ical(response.data).walk("VEVENT")]
    sales = clerk.department_id
    own = [d for d in mine.values() if d.provider_id == sales]
    others = [d for d in theirs.values() if d.provider_id == sales]
    assert own and others and all(d.owner_id == head.id for d in others)
    assert order == [f"{d.version.title_en} · D-1" for d in sorted(own, key=_due)] + [
        f"{d.version.title_en} · D-2 ({head.name})" for d in sorted(others, key=_due)
    ]


def _due(d):
    return (d.due_at, d.id)
