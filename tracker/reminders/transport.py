"""Mail transport from one URL (TRACKER_MAIL_URL), sent through Flask-Mailman.

smtp://user:pass@host:port            plain SMTP (add ?starttls=1 for STARTTLS)
smtps://user:pass@host:port           SMTP over TLS
file:///path/to/folder                one .eml file per message (the embedded default)
console://                            print messages to standard output
"""

import os
import re
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from flask_mailman import EmailMultiAlternatives
from flask_mailman.backends.console import EmailBackend as ConsoleEmailBackend

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
        self.folder.mkdir(parents=True, exist_ok=True)

    def open(self):
        return False

    def close(self):
        return None

    def send_messages(self, email_messages):
        count = 0
        for message in email_messages or []:
            mime = message.message()
            name = re.sub(r"[^A-Za-z0-9._-]", "_", mime["Message-ID"] or str(id(message)))
            path = self.folder / f"{name.strip('_')}.eml"
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(mime.as_bytes())
            os.replace(tmp, path)
            count += 1
        return count


def build(message, mail_from: str, connection) -> EmailMultiAlternatives:
    """The email of an outbox message: plain text with an HTML alternative, our Message-ID."""
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=mail_from,
        to=[message.to_address],
        headers={"Message-ID": message.message_id, "Auto-Submitted": "auto-generated"},
        connection=connection,
    )
    email.attach_alternative(message.body_html, "text/html")
    return email
