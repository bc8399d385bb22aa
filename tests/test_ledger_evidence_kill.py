"""`kill -9` of the server while a submission waits for a row lock: no submission is written and
no evidence file is kept; what the dead process staged is removed by the scheduler's job. Run
for real: gunicorn on the PostgreSQL test database, the deliverable's row locked by the test."""

import http.client
import os
import re
import signal
import subprocess
import sys
import threading
import uuid
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import func, select

from tests.pages import PDF, deliver
from tests.test_deploy_multiprocess import (
    PG_URL,
    ROOT,
    Browser,
    _answers,
    _environment,
    _free_port,
    _wait_for,
)
from tracker.ledger import uploads
from tracker.ledger.models import Deliverable, Submission

pytestmark = pytest.mark.skipif(
    not PG_URL, reason="a second process holds the row lock: PostgreSQL only"
)


def _multipart(fields: dict, file_name: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
        f"Content-Type: application/pdf\r\n\r\n".encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def test_a_server_killed_while_a_submission_waits_keeps_no_row_and_no_file(
    database_url, session, store, people, tmp_path, now
):
    d = deliver(session, store, people["sales.clerk"], ago=timedelta(days=30))["sales-7"]
    env = _environment(database_url, tmp_path)
    upload_dir = tmp_path / "instance" / "uploads"
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=(tmp_path / "gunicorn.log").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: the master and its worker die together
    )
    try:
        browser = Browser(port)
        _wait_for(lambda: _answers(browser), 30, "the server to answer")
        assert browser.sign_in("sales.clerk@sh01.test") == 302
        _, page = browser.request("GET", f"/deliverables/{d.id}/submit")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        body, content_type = _multipart(
            {
                "csrf_token": token,
                "state_version": str(d.state_version),
                "reference": d.reference,
                "late_reason": "the customer signed late",
            },
            "slip.pdf",
            PDF,
        )
        url = PG_URL.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(url) as lock:
            lock.execute("SELECT id FROM deliverable WHERE id = %s FOR UPDATE", (d.id,))

            def post():
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                cookie = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
                headers = {"Cookie": cookie, "Content-Type": content_type}
                try:
                    conn.request("POST", f"/deliverables/{d.id}/submit", body, headers)
                    conn.getresponse().read()
                except OSError:
                    pass  # the server is killed mid-request

            waiting = threading.Thread(target=post)
            waiting.start()
            staged = _wait_for(
                lambda: list(upload_dir.glob("*" + uploads.PART)) if upload_dir.exists() else [],
                30,
                "the submission's file to be staged while it waits for the row",
            )
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(10)
            waiting.join(30)
            lock.rollback()
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(10)

    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Submission)) == 0
    assert session.get(Deliverable, d.id).status == "open"
    assert sorted(p.name for p in upload_dir.iterdir()) == [p.name for p in staged]
    # The dead process's staged file is not a submission's: the hourly job removes it.
    for path in staged:
        stamp = (now - timedelta(hours=2)).timestamp()
        os.utime(path, (stamp, stamp))
    report = uploads.remove_orphans(session, Path(upload_dir), now)
    assert report.as_dict() == {"moved": 0, "removed": len(staged)}
    assert list(upload_dir.iterdir()) == []
