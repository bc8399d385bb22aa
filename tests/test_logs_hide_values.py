"""A crash is logged without what caused it: no statement parameters (a password hash), no
form values, no driver message (which quotes the values)."""

import logging

from sqlalchemy import event

from tests.pages import token
from tracker.extensions import db

ADMIN = "finance.admin@sh01.test"
PASSWORD = "a-secret-Passw0rd-77"


def test_a_failed_person_insert_logs_no_hash_and_no_form_value(app, client, auth, people, caplog):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer a 500 page and log, as in production

    def break_the_insert(conn, cursor, statement, parameters, context, executemany):
        # The insert reaches the database and fails there, its parameters attached.
        if statement.startswith("INSERT INTO person "):
            statement = statement.replace("INSERT INTO person ", "INSERT INTO person_gone ", 1)
        return statement, parameters

    auth.login(ADMIN)
    csrf = token(client, "/admin/people/new")
    event.listen(db.engine, "before_cursor_execute", break_the_insert, retval=True)
    try:
        with caplog.at_level(logging.DEBUG):
            response = client.post(
                "/admin/people/new",
                data={
                    "csrf_token": csrf,
                    "email": "zhao.secret@sh01.test",
                    "name": "Zhao Uniquename",
                    "role": "clerk",
                    "department": "sales",
                    "store": "SH01",
                    "language": "zh",
                    "password": PASSWORD,
                },
            )
    finally:
        event.remove(db.engine, "before_cursor_execute", break_the_insert)
    assert response.status_code == 500
    logged = caplog.text + "".join(
        str(r.exc_info) + str(r.exc_text) for r in caplog.records if r.exc_info or r.exc_text
    )
    assert "person_gone" not in logged or "[message hidden]" in logged
    assert "Exception on /admin/people/new [POST]" in logged
    for secret in (
        "password_hash",
        "scrypt:",
        "pbkdf2:",
        PASSWORD,
        "zhao.secret",
        "Uniquename",
        "parameters",
    ):
        assert secret not in logged, secret


def test_the_engine_hides_statement_parameters_by_default(app):
    assert db.engine.hide_parameters is True
