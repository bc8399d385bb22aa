"""Mail transport from one URL (TRACKER_MAIL_URL), through Flask-Mailman's backends.

A digest's message is built once, when it is composed (`message_bytes`), and kept as bytes;
delivery sends those bytes as they are (`send_bytes`): on the SMTP connection itself, or
written to the .eml file or the console.

smtp://user:pass@host:port            plain SMTP (add ?starttls=1 for STARTTLS)
smtps://user:pass@host:port           SMTP over TLS
file:///path/to/folder                one .eml file per message (the embedded default)
console://                            print messages to standard output
"""

import os
import re
import smtplib
from collections.abc import Callable
from datetime import datetime
from email.utils import format_datetime
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from flask_mailman import EmailMultiAlternatives
from flask_mailman.backends.console import EmailBackend as ConsoleEmailBackend
from flask_mailman.backends.smtp import EmailBackend as SMTPEmailBackend
from flask_mailman.message import sanitize_address

from tracker import files
from tracker.errors import N_, BadInput

TRUE = ("1", "true", "yes", "on")


def mail_settings(url: str) -> dict:
    """The Flask-Mailman settings a mail URL stands for."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in ("smtp", "smtps"):
        query = parse_qs(parts.query)
        if not parts.hostname:
            raise BadInput(N_("mail URL %(url)r names no host"), url=url)
        return {
            "MAIL_BACKEND": "smtp",
            "MAIL_SERVER": parts.hostname,
            "MAIL_PORT": parts.port or (465 if scheme == "smtps" else 25),
            "MAIL_USERNAME": unquote(parts.username) if parts.username else None,
            "MAIL_PASSWORD": unquote(parts.password) if parts.password else None,
            "MAIL_USE_SSL": scheme == "smtps",
            "MAIL_USE_TLS": scheme == "smtp" and query.get("starttls", ["0"])[0].lower() in TRUE,
            "MAIL_TIMEOUT": int(query.get("timeout", ["20"])[0]),
        }
    if scheme == "file":
        return {
            "MAIL_BACKEND": "tracker.reminders.transport.EmlFileEmailBackend",
            "MAIL_FILE_PATH": unquote(parts.path),
        }
    if scheme == "console":
        return {"MAIL_BACKEND": "console"}
    raise BadInput(
        N_("mail URL %(url)r: use smtp://, smtps://, file:///folder or console://"), url=url
    )


class EmlFileEmailBackend(ConsoleEmailBackend):
    """Writes each message to its own .eml file, named after its Message-ID, in a folder."""

    def __init__(self, *args, file_path=None, **kwargs):
        kwargs["stream"] = None
        super().__init__(*args, **kwargs)
        self.folder = Path(file_path or self.mailman.file_path).resolve()
        files.private_folder(self.folder)

    def open(self):
        return False

    def close(self):
        return None

    def write_bytes(self, raw: bytes, message_id: str | None) -> None:
        """One message, as these bytes, into `<Message-ID>.eml` (written whole, then renamed)."""
        name = re.sub(r"[^A-Za-z0-9._-]", "_", message_id or str(id(raw)))
        path = self.folder / f"{name.strip('_')}.eml"
        tmp = path.with_suffix(".tmp")
        files.write_private(tmp, raw)
        os.replace(tmp, path)

    def send_messages(self, email_messages):
        count = 0
        for message in email_messages or []:
            mime = message.message()
            self.write_bytes(mime.as_bytes(linesep="\r\n"), mime["Message-ID"])
            count += 1
        return count


def build(
    message, mail_from: str, connection, *, date: datetime | None = None
) -> EmailMultiAlternatives:
    """The email of an outbox message: plain text with an HTML alternative, our Message-ID,
    dated `date` (when it was composed) if given."""
    headers = {"Message-ID": message.message_id, "Auto-Submitted": "auto-generated"}
    if date is not None:
        headers["Date"] = format_datetime(date)
    email_ = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=mail_from,
        to=[message.to_address],
        headers=headers,
        connection=connection,
    )
    email_.attach_alternative(message.body_html, "text/html")
    return email_


def message_bytes(message, mail_from: str, date: datetime) -> bytes:
    """The whole email of an outbox message as it goes over the wire (CRLF line ends): what
    composing stores and delivery sends unchanged."""
    return build(message, mail_from, None, date=date).message().as_bytes(linesep="\r\n")


# An address Flask-Mailman's sanitize_address gives back unchanged (plain ASCII, no name).
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+\Z")


@lru_cache(maxsize=256)
def _sanitized(address: str, encoding: str) -> str:
    return sanitize_address(address, encoding)


def envelope_address(address: str, encoding: str) -> str:
    """An address for the SMTP envelope, as Flask-Mailman would give it (a name dropped into
    its encoded form, a non-ASCII domain in IDNA), without parsing the plain ones again."""
    if _PLAIN_ADDRESS.match(address):
        return address
    return _sanitized(address, encoding)


def _nothing() -> None:
    return None


def send_bytes(
    connection,
    raw: bytes,
    *,
    mail_from: str,
    to: str,
    message_id: str,
    before_data: Callable[[], None] = _nothing,
) -> None:
    """Send one message's stored bytes, unchanged, through an open Flask-Mailman connection.
    `before_data` runs just before the message itself is handed over (for SMTP, once the
    server has taken its envelope, before DATA): nothing of this message can have been
    accepted before it returns, and if it raises, nothing is.

    SMTP: the exchange of smtplib's `sendmail` (MAIL FROM, RCPT TO, DATA, with its errors) on
    the backend's own connection. file://: the bytes into `<Message-ID>.eml`. console://: the
    bytes to its stream (the only backends the mail URL can name)."""
    if isinstance(connection, SMTPEmailBackend):
        if connection.connection is None:
            connection.open()
        encoding = connection.mailman.default_charset
        _sendmail(
            connection.connection,
            envelope_address(mail_from, encoding),
            envelope_address(to, encoding),
            raw,
            connection.mailman.mail_options or [],
            before_data,
        )
        return
    before_data()
    if isinstance(connection, EmlFileEmailBackend):
        connection.write_bytes(raw, message_id)
    elif isinstance(connection, ConsoleEmailBackend):
        with connection._lock:
            connection.stream.write(raw.decode("utf-8", "replace").replace("\r\n", "\n") + "\n")
            connection.stream.write("-" * 79 + "\n")
            connection.stream.flush()
    else:
        raise TypeError(f"no way to send stored bytes through {type(connection).__name__}")


def _reset(smtp: smtplib.SMTP, code: int) -> None:
    """After a refusal: close on 421 (the server is going away), else RSET (as smtplib does)."""
    if code == 421:
        smtp.close()
        return
    try:
        smtp.rset()
    except smtplib.SMTPServerDisconnected:
        pass


def _sendmail(
    smtp: smtplib.SMTP,
    mail_from: str,
    to: str,
    raw: bytes,
    mail_options: list[str],
    before_data: Callable[[], None],
) -> None:
    """`smtplib.SMTP.sendmail(mail_from, [to], raw, mail_options)`, step by step, with
    `before_data` run between RCPT TO and DATA."""
    smtp.ehlo_or_helo_if_needed()
    options = []
    if smtp.does_esmtp:
        if smtp.has_extn("size"):
            options.append(f"size={len(raw)}")
        options.extend(mail_options)
    code, answer = smtp.mail(mail_from, options)
    if code != 250:
        _reset(smtp, code)
        raise smtplib.SMTPSenderRefused(code, answer, mail_from)
    code, answer = smtp.rcpt(to)
    if code not in (250, 251):
        _reset(smtp, code)
        raise smtplib.SMTPRecipientsRefused({to: (code, answer)})
    before_data()
    code, answer = smtp.data(raw)
    if code != 250:
        _reset(smtp, code)
        raise smtplib.SMTPDataError(code, answer)
