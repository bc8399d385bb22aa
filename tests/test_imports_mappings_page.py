"""The mappings page: administrators list the saved DMS column mappings and add or edit one as
JSON, with what is wrong said beside the field and nothing saved. SQLite and PostgreSQL."""

import json
import re
from pathlib import Path

from sqlalchemy import select

from tracker.imports import service
from tracker.imports.models import ImportMapping

ADMIN = "finance.admin@sh01.test"
SPEC = json.loads(
    (Path(__file__).resolve().parent.parent / "docs" / "dms-mapping.json").read_text("utf-8")
)


def _csrf(client, path) -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def _save(client, name, spec):
    data = {"csrf_token": _csrf(client, "/imports/mappings/edit"), "name": name}
    data["spec"] = spec if isinstance(spec, str) else json.dumps(spec, ensure_ascii=False)
    return client.post("/imports/mappings/edit", data=data)


def test_an_administrator_adds_a_mapping_and_sees_it_listed(client, auth, session, people):
    auth.login(ADMIN)
    r = _save(client, "dms-daily", SPEC)
    assert r.status_code == 302 and r.headers["Location"].endswith("/imports/mappings")
    page = client.get("/imports/mappings").get_data(as_text=True)
    assert 'data-mapping="dms-daily"' in page and "交车" in page and "流水号" in page
    assert service.get_mapping(session, "dms-daily").types["交车"] == "vehicle_delivered"


def test_editing_shows_the_saved_mapping_and_replaces_it(client, auth, session, people):
    auth.login(ADMIN)
    _save(client, "dms-daily", SPEC)
    form = client.get("/imports/mappings/edit?name=dms-daily").get_data(as_text=True)
    assert "流水号" in form and 'value="dms-daily"' in form
    changed = {**SPEC, "types": {"交车": "vehicle_delivered"}}
    assert _save(client, "dms-daily", changed).status_code == 302
    session.expire_all()
    assert service.get_mapping(session, "dms-daily").types == {"交车": "vehicle_delivered"}
    assert client.get("/imports/mappings/edit?name=nope").status_code == 404


def test_bad_json_or_a_bad_mapping_is_said_beside_the_field_and_saves_nothing(
    client, auth, session, people
):
    auth.login(ADMIN)
    cases = [
        ("dms", "{not json", "spec"),
        ("dms", ["a list"], "spec"),
        ("dms", {"columns": {"type": "业务类型"}}, "spec"),  # required fields missing
        ("dms", {**SPEC, "types": {"交车": "no_such_type"}}, "spec"),
        ("standard", SPEC, "name"),
        ("", SPEC, "name"),
    ]
    for name, spec, field in cases:
        r = _save(client, name, spec)
        assert r.status_code == 400, (name, spec)
        assert f'id="{field}-error"' in r.text, (name, spec)
    assert session.scalar(select(ImportMapping.id)) is None


def test_only_administrators_keep_mappings_and_the_form_needs_its_csrf_token(
    client, auth, session, people
):
    auth.login("finance.clerk@sh01.test")  # imports files, but does not keep the mappings
    assert client.get("/imports/mappings").status_code == 403
    assert client.get("/imports/mappings/edit").status_code == 403
    auth.logout()
    auth.login(ADMIN)
    data = {"name": "dms", "spec": json.dumps(SPEC)}
    assert client.post("/imports/mappings/edit", data=data).status_code == 400
    assert session.scalar(select(ImportMapping.id)) is None


def test_the_mappings_page_reads_in_chinese(client, auth, session, people):
    people["finance.admin"].language = "zh"
    session.commit()
    auth.login(ADMIN)
    assert "字段对应" in client.get("/imports/mappings").get_data(as_text=True)
