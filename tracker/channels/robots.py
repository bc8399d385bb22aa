"""The two robots' documented formats: the JSON body of a markdown message (WeCom's content
at most 4096 bytes), DingTalk's signature of a signed (加签) robot, the webhook URL's checks,
and posting one message with the robot's answer read (errcode 0 or a failure).

WeCom:    POST {"msgtype": "markdown", "markdown": {"content": ...}}
DingTalk: POST {"msgtype": "markdown", "markdown": {"title": ..., "text": ...}} to the URL with
          `&timestamp=<ms>&sign=<urlencoded base64 HmacSHA256(secret, f"{ms}\\n{secret}")>`."""

import base64
import hashlib
import hmac
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime

# The vendors' webhook hosts; others only when the configuration allows them (tests' servers).
HOSTS = {"wecom": "qyapi.weixin.qq.com", "dingtalk": "oapi.dingtalk.com"}
# How long a markdown body may be, in UTF-8 bytes (WeCom's documented limit is 4096; DingTalk
# documents none for markdown, its text messages stop at 20000).
LIMITS = {"wecom": 4096, "dingtalk": 20000}
# Each robot takes at most 20 messages a minute (both vendors' documented limit).
PER_MINUTE = 20
# WeCom's and DingTalk's errcode when that limit was passed.
RATE_LIMITED = {45009, 130101}


class RobotError(Exception):
    """The robot did not take the message: the reason, safe to keep and show (never the URL)."""


def body(kind: str, title: str, text: str) -> bytes:
    """The JSON body of a markdown message in this robot's format."""
    if kind == "wecom":
        payload = {"msgtype": "markdown", "markdown": {"content": text}}
    else:
        payload = {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
    return json.dumps(payload, ensure_ascii=False).encode()


def as_kind(raw: bytes, kind: str, title: str) -> bytes:
    """A stored body in this robot's format: the same, or (the robot's kind was changed since
    the message was composed) its markdown moved to the other format, cut to the limit."""
    markdown = json.loads(raw)["markdown"]
    if ("content" in markdown) == (kind == "wecom"):
        return raw
    text = markdown.get("content") or markdown.get("text") or ""
    cut = text.encode()[: LIMITS[kind]].decode(errors="ignore")
    return body(kind, title, cut)


def fit(kind: str, head: list[str], lines: list[str], more) -> str:
    """The markdown of `head` and as many of `lines` as the robot's limit takes; when some are
    left out, `more(n)` (a line saying how many, with a link) ends it."""
    limit = LIMITS[kind]
    text = "\n".join(head + lines)
    if len(text.encode()) <= limit:
        return text
    kept = list(head)
    for n, line in enumerate(lines):
        tail = more(len(lines) - n)
        if len("\n".join([*kept, line, tail]).encode()) > limit:
            return "\n".join([*kept, tail])
        kept.append(line)
    return "\n".join(kept)  # pragma: no cover - the whole text fitted after all


def sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's signature: base64 of HmacSHA256 over "timestamp\\nsecret", URL-encoded."""
    digest = hmac.new(
        secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode())


def signed_url(url: str, secret: str | None, at: datetime) -> str:
    """The URL to post to: DingTalk's signed robots get `timestamp` and `sign` (at `at`, which
    must be the real time: DingTalk refuses a timestamp more than an hour away)."""
    if not secret:
        return url
    timestamp = int(at.timestamp() * 1000)
    joiner = "&" if urllib.parse.urlsplit(url).query else "?"
    return f"{url}{joiner}timestamp={timestamp}&sign={sign(secret, timestamp)}"


def check_url(kind: str, url: str, allowed_hosts: set[str]) -> str | None:
    """Why this webhook URL cannot be used for a robot of this kind, or None: https to the
    vendor's host (or plain http or https to a host the configuration allows)."""
    parts = urllib.parse.urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if host in allowed_hosts and parts.scheme in ("http", "https"):
        return None
    if parts.scheme != "https":
        return "https"
    if host != HOSTS[kind] or parts.username or parts.password:
        return "host"
    return None


def masked(url: str) -> str:
    """The URL with its key or access token hidden but for its first four characters."""
    parts = urllib.parse.urlsplit(url)
    shown = "&".join(
        f"{urllib.parse.quote(k)}={urllib.parse.quote(v[:4]) if len(v) > 4 else ''}…"
        for k, v in urllib.parse.parse_qsl(parts.query)
    )
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, shown, ""))


def masked_secret(secret: str | None) -> str:
    """Whether a secret is set, with its last four characters only."""
    return "…" + secret[-4:] if secret and len(secret) > 8 else ("…" if secret else "")


@dataclass(frozen=True)
class Answer:
    """What the robot answered to a message it took."""

    errcode: int
    errmsg: str


def post(url: str, raw: bytes, timeout: float) -> Answer:
    """Post one message; the robot's answer when it took it (errcode 0), else RobotError with a
    reason that never holds the URL (its key is a secret). `rate_limited` on the error tells a
    refusal for the rate limit from others."""
    request = urllib.request.Request(
        url, data=raw, method="POST", headers={"Content-Type": "application/json; charset=utf-8"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - checked
            text = response.read(65536)
    except urllib.error.HTTPError as exc:
        raise RobotError(f"HTTP {exc.code}") from None
    except Exception as exc:  # noqa: BLE001 - any failure to post is retried later
        # Only the error's type: its text may hold the URL, whose key is a secret.
        reason = getattr(exc, "reason", exc)
        raise RobotError(f"unreachable: {type(reason).__name__}") from None
    try:
        answer = json.loads(text)
        code, message = int(answer.get("errcode", -1)), str(answer.get("errmsg", ""))[:200]
    except (ValueError, AttributeError, TypeError):
        raise RobotError("the answer is not the robot's JSON") from None
    if code != 0:
        error = RobotError(f"errcode {code}: {message}")
        error.rate_limited = code in RATE_LIMITED
        raise error
    return Answer(code, message)
