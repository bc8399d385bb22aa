"""Evidence files are kept only with their submission: staged under a temporary name, moved into
place when the submission commits, removed when it does not; checked by content as well as by
name; private on disk; and what a dead process left behind is cleaned up by the scheduler's job."""

import io
import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.pages import PDF, deliver, error_beside, token
from tracker.ledger import service as ledger
from tracker.ledger import uploads
from tracker.ledger.models import Submission

CLERK = "sales.clerk@sh01.test"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


@pytest.fixture
def owed(session, store, people):
    return deliver(session, store, people["sales.clerk"], ago=timedelta(hours=1))["sales-7"]


def _files(app) -> list[str]:
    folder = Path(app.config["UPLOAD_DIR"])
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _post(client, d, content: bytes, name: str, **fields):
    data = {
        "csrf_token": token(client, f"/deliverables/{d.id}/submit"),
        "state_version": str(d.state_version),
        "reference": d.reference or "",
        "file": (io.BytesIO(content), name),
        **fields,
    }
    return client.post(
        f"/deliverables/{d.id}/submit", data=data, content_type="multipart/form-data"
    )


def test_a_submitted_file_is_in_place_and_private_once_committed(client, auth, app, owed):
    auth.login(CLERK)
    assert _post(client, owed, PDF, "slip.pdf").status_code == 302
    (name,) = _files(app)
    assert not name.endswith(uploads.PART)
    path = Path(app.config["UPLOAD_DIR"]) / name
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


@pytest.mark.parametrize(
    "content, name",
    [
        (b"just some text", "slip.pdf"),  # a PDF by name only
        (PNG, "slip.pdf"),  # another type's bytes
        (PDF, "slip.png"),
        (b"a,b\n1,\0", "amounts.csv"),  # text with a NUL byte
        (PDF, "notes.txt"),  # a binary file named as text
    ],
)
def test_a_file_whose_content_is_not_its_type_is_refused_beside_the_field(
    client, auth, app, session, owed, content, name
):
    auth.login(CLERK)
    response = _post(client, owed, content, name)
    assert response.status_code == 400
    assert "content is not a" in error_beside(response.get_data(as_text=True), "file")
    assert session.scalar(select(func.count()).select_from(Submission)) == 0
    assert _files(app) == []


@pytest.mark.parametrize("content, name", [(PNG, "photo.png"), (b"a,b\n1,2\n", "list.csv")])
def test_files_whose_content_matches_their_type_are_kept(client, auth, app, owed, content, name):
    auth.login(CLERK)
    assert _post(client, owed, content, name).status_code == 302
    assert len(_files(app)) == 1


def test_a_refused_submission_keeps_no_file(client, auth, app, session, owed):
    auth.login(CLERK)
    stale = owed.state_version - 1  # another tab changed it meanwhile
    response = _post(client, owed, PDF, "slip.pdf", state_version=str(stale))
    assert response.status_code in (302, 409)
    assert session.scalar(select(func.count()).select_from(Submission)) == 0
    assert _files(app) == []


def test_a_staged_file_is_removed_when_its_transaction_ends_without_a_commit(app, session, owed):
    # What a 500 or a timeout does: the request's session is closed without committing.
    evidence = uploads.store(session, io.BytesIO(PDF), "slip.pdf")
    assert _files(app) == [evidence.file_path + uploads.PART]
    session.close()
    assert _files(app) == []


def test_a_staged_file_is_moved_into_place_by_the_commit_of_its_submission(
    app, session, owed, people, now
):
    evidence = uploads.store(session, io.BytesIO(PDF), "slip.pdf", reference=owed.reference)
    ledger.submit(session, owed, by=people["sales.clerk"], now=now, evidence=evidence)
    assert _files(app) == [evidence.file_path + uploads.PART]
    session.commit()
    assert _files(app) == [evidence.file_path]


def _aged(path: Path, now, age: timedelta) -> Path:
    stamp = (now - age).timestamp()
    os.utime(path, (stamp, stamp))
    return path


def test_the_job_moves_in_committed_files_and_removes_old_orphans(app, session, owed, people, now):
    folder = uploads.folder()
    hour = timedelta(hours=1, minutes=1)
    # A submission committed, but its process died before moving its file into place.
    committed = ledger.Evidence(reference=owed.reference, file_path="committed.pdf")
    ledger.submit(session, owed, by=people["sales.clerk"], now=now, evidence=committed)
    session.commit()
    (folder / "committed.pdf.part").write_bytes(PDF)
    _aged(folder / "committed.pdf.part", now, hour)
    for name in ("died.pdf.part", "legacy.pdf"):  # no row names these
        (folder / name).write_bytes(PDF)
        _aged(folder / name, now, hour)
    (folder / "young.pdf.part").write_bytes(PDF)  # perhaps still being submitted
    _aged(folder / "young.pdf.part", now, timedelta(minutes=5))

    report = uploads.remove_orphans(session, folder, now)

    assert report.as_dict() == {"moved": 1, "removed": 2}
    assert _files(app) == ["committed.pdf", "young.pdf.part"]


def test_the_scheduler_runs_the_evidence_job(app, session, now):
    from tracker.reminders import jobs

    (uploads.folder() / "old.pdf.part").write_bytes(PDF)
    _aged(uploads.folder() / "old.pdf.part", now, timedelta(hours=2))
    assert jobs.remove_orphan_evidence(now).removed == 1
    assert _files(app) == []


def test_the_cli_cleans_like_the_job(app, runner, now):
    (uploads.folder() / "old.pdf").write_bytes(PDF)
    _aged(uploads.folder() / "old.pdf", now, timedelta(hours=2))
    result = runner.invoke(
        args=["tracker", "evidence", "clean", "--json", "--now", now.isoformat()]
    )
    assert result.exit_code == 0, result.output
    assert '"removed": 1' in result.output
    assert _files(app) == []
