"""Domain errors and HTTP error pages read in the person's language; the CLI and JSON answers
keep the English messages scripts rely on; every marked error message is translated."""

import io
import json
import re
import subprocess
import tempfile
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale, gettext

from tests.pages import OVERDUE, PDF, deliver, submit, token
from tracker.errors import N_, BadInput, Conflict, Word
from tracker.ledger.models import Deliverable

ROOT = Path(__file__).resolve().parent.parent
FINANCE = "finance.clerk@sh01.test"
SALES = "sales.clerk@sh01.test"
PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdirf]")


def speaks(session, person, language: str) -> None:
    person.language = language
    session.commit()


@pytest.fixture
def handed_in(session, store, people):
    """sales-7 of a delivery a month ago, handed in (late): it is 'submitted'."""
    d = deliver(session, store, people["sales.clerk"], ago=OVERDUE)
    submit(session, d["sales-7"], people["sales.clerk"], reason="bank was slow")
    return d["sales-7"]


# --- the error object itself ---


def test_message_is_the_english_text_and_localized_is_english_outside_a_request(app):
    exc = BadInput(
        N_("unknown event type %(type)r; known: %(known)s"), type="car_sold", known="a, b"
    )
    assert exc.message == "unknown event type 'car_sold'; known: a, b"
    assert str(exc) == exc.message and exc.status == 400
    assert exc.localized() == exc.message  # no request: the CLI, jobs


def test_a_plain_message_still_works_and_reads_the_same_in_every_language(app):
    exc = Conflict("nothing to do")
    with app.test_request_context(), force_locale("zh"):
        assert (exc.message, exc.localized(), exc.status) == ("nothing to do",) * 2 + (409,)


def test_localized_translates_the_message_and_the_words_of_the_app_but_not_the_values(app):
    exc = BadInput(
        N_("deliverable %(id)s is %(status)s: only an open or returned deliverable can be waived"),
        id=42,
        status=Word("submitted"),
    )
    assert exc.message == (
        "deliverable 42 is submitted: only an open or returned deliverable can be waived"
    )
    with app.test_request_context(), force_locale("zh"):
        assert exc.localized() == "事项 42 当前为“已提交”：只有待提交或已退回的事项才能免除"
    with app.test_request_context(), force_locale("en"):
        assert exc.localized() == exc.message


def test_parameters_that_do_not_fit_the_message_give_the_bare_text_rather_than_a_crash(app):
    exc = BadInput(N_("no deliverable %(id)s"), number=7)  # a slip in a raise
    assert exc.message == "no deliverable %(id)s"
    with app.test_request_context(), force_locale("zh"):
        assert exc.localized() == "no deliverable %(id)s"


# --- a domain error on a page, through the CLI, as JSON ---


@pytest.mark.parametrize(
    ("language", "shown", "absent"),
    [
        ("zh", "事项 {id} 当前为“已提交”：只有待提交或已退回的事项才能免除", "only an open"),
        ("en", "deliverable {id} is submitted: only an open or returned deliverable", "只有"),
    ],
    ids=["zh", "en"],
)
def test_a_refused_waiver_is_explained_on_the_inbox_in_the_clerks_language(
    client, auth, session, people, handed_in, language, shown, absent
):
    speaks(session, people["finance.clerk"], language)
    auth.login(FINANCE)
    d = handed_in
    response = client.post(
        f"/inbox/{d.id}/waive",
        data={
            "csrf_token": token(client, "/inbox"),
            f"w{d.id}-reason": "not needed",
            f"w{d.id}-state_version": str(d.state_version),
        },
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert shown.format(id=d.id) in html and absent not in html
    session.expire_all()
    assert session.get(Deliverable, d.id).status == "submitted"


def test_the_same_refusal_through_the_cli_json_stays_english(runner, session, people, handed_in):
    speaks(session, people["finance.clerk"], "zh")
    result = runner.invoke(
        args=["tracker", "deliverable", "waive", str(handed_in.id), "--by", FINANCE]
        + ["--reason", "not needed", "--json"]
    )
    assert result.exit_code == 1, result.output
    assert json.loads(result.stdout)["error"] == (
        f"deliverable {handed_in.id} is submitted: "
        "only an open or returned deliverable can be waived"
    )


def test_a_domain_error_on_the_generic_page_is_chinese_and_as_json_english(
    client, auth, session, people
):
    speaks(session, people["finance.head"], "zh")
    auth.login("finance.head@sh01.test")
    path = "/scorecards/deliverables?measure=returned&reason=bogus"
    page = client.get(path)
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert "未知退回原因 &#39;bogus&#39;" in html and "unknown return reason" not in html
    answer = client.get(path, headers={"Accept": "application/json"})
    assert answer.status_code == 400
    assert answer.get_json() == {"error": "unknown return reason 'bogus'", "status": 400}


# --- HTTP error pages ---

HTTP_PAGES = {
    400: ("表单打开时间过长，它已经失效：请刷新页面后重试", "it has expired: reload the page"),
    404: ("此地址没有内容。", "There is nothing at this address."),
    405: ("此地址不能这样使用。", "This address cannot be used that way."),
    413: ("一次最多只能发送 1 MB", "at most 1 MB can be sent at once"),
}
WERKZEUG = ("The browser (or proxy)", "Request Entity Too Large", "not allowed for the requested")


def _meet(code: int, client, app, deliverable_id: int):
    if code == 400:  # a form sent without its CSRF token (an expired page does the same)
        return client.post("/logout", data={})
    if code == 404:
        return client.get("/no/such/page")
    if code == 405:
        return client.get("/logout")
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024  # a small limit keeps the test light
    return client.post(
        f"/deliverables/{deliverable_id}/submit",
        data={"file": (io.BytesIO(PDF + b"0" * (2 * 1024 * 1024)), "big.pdf")},
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("code", sorted(HTTP_PAGES))
def test_http_error_pages_read_plainly_in_the_persons_language(
    app, client, auth, session, store, people, code, language
):
    d = deliver(session, store, people["sales.clerk"])["sales-2"]
    speaks(session, people["sales.clerk"], language)
    auth.login(SALES)
    response = _meet(code, client, app, d.id)
    assert response.status_code == code
    html = response.get_data(as_text=True)
    zh, en = HTTP_PAGES[code]
    assert (zh if language == "zh" else en) in html
    assert (en if language == "zh" else zh) not in html
    assert not any(text in html for text in WERKZEUG)


def test_http_errors_as_json_keep_their_english_description(client, auth, people):
    auth.login(SALES)
    answer = client.get("/logout", headers={"Accept": "application/json"})
    assert answer.status_code == 405
    assert answer.get_json()["error"].startswith("The method is not allowed")


# --- the catalogue ---


def _marked_error_messages() -> list[str]:
    with tempfile.TemporaryDirectory() as folder:
        pot = Path(folder) / "errors.pot"
        subprocess.run(
            ["pybabel", "-q", "extract", "--no-default-keywords", "-k", "N_", "-o", str(pot)]
            + ["tracker"],
            cwd=ROOT,
            check=True,
        )
        with pot.open("rb") as f:
            return sorted(m.id for m in read_po(f) if m.id)


MARKED = _marked_error_messages()


def test_the_service_errors_are_marked_for_translation():
    assert len(MARKED) > 60
    assert "unknown event type %(type)r; known: %(known)s" in MARKED


@pytest.mark.parametrize("msgid", MARKED)
def test_every_marked_error_message_has_a_chinese_translation_with_the_same_placeholders(
    app, msgid
):
    with app.test_request_context(), force_locale("zh"):
        translated = gettext(msgid)
    assert translated != msgid
    assert sorted(PLACEHOLDER.findall(translated)) == sorted(PLACEHOLDER.findall(msgid))
    assert translated.count("%") == msgid.count("%")


def test_no_error_message_has_two_different_translations_in_two_catalogues():
    # All catalogues merge into one at run time: a second translation would silently lose.
    found = {}
    for po in sorted((ROOT / "translations").glob("*/zh/LC_MESSAGES/messages.po")):
        with po.open("rb") as f:
            for m in read_po(f):
                if m.id in MARKED:
                    found.setdefault(m.id, set()).add(m.string)
    assert sorted(found) == MARKED
    assert {msgid: s for msgid, s in found.items() if len(s) > 1} == {}
