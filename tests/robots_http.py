"""A real HTTP server for the robot tests, in the test process (http.server in a thread): it
plays WeCom's and DingTalk's group robot webhooks and checks what it is sent as they document
it: the markdown message's JSON, WeCom's 4096-byte limit, DingTalk's `timestamp` (within an
hour of the test's clock) and `sign`, and 20 messages a minute per robot (answered with the
rate-limit errcode beyond). It can fail on purpose: HTTP 5xx, or an errcode."""

import base64
import hashlib
import hmac
import json
import threading
import urllib.parse
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RATE_LIMITED = {"wecom": 45009, "dingtalk": 130101}


@dataclass
class Got:
    """One message a robot took: which robot, its markdown, and when (on the test's clock)."""

    robot: str
    kind: str
    title: str
    text: str
    at: datetime


@dataclass
class Hold:
    """The answer to one message, held until `release` is set; `held` once it has arrived."""

    nth: int
    keep: bool
    held: threading.Event
    release: threading.Event


def expected_sign(secret: str, timestamp: str) -> str:
    """DingTalk's signature, computed here independently of the tracker's code."""
    mac = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


class RobotServer:
    """Robots at http://127.0.0.1:<port>: WeCom's `/cgi-bin/webhook/send?key=K` and DingTalk's
    `/robot/send?access_token=T` (signed with `secrets[T]` when given)."""

    def __init__(self, clock):
        self.clock = clock  # the test's now: DingTalk's timestamps and the minute's count
        self.secrets: dict[str, str] = {}
        self.got: list[Got] = []
        self.problems: list[str] = []  # anything sent against the documented format
        self.over_limit = 0  # messages answered with the rate-limit errcode
        self.fail_with: int | None = None  # an HTTP status (5xx) or an errcode to answer
        self.arrived = 0
        self.holding: Hold | None = None
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                hold = server.arrive()
                if hold is None:
                    status, answer = server.take(self.path, self.headers, raw)
                else:  # held: taken (or not), and answered only once released
                    status, answer = (
                        server.take(self.path, self.headers, raw)
                        if hold.keep
                        else (503, {"errcode": -1, "errmsg": "held"})
                    )
                    hold.held.set()
                    hold.release.wait(60)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def wecom_url(self, key: str) -> str:
        return f"{self.base}/cgi-bin/webhook/send?key={key}"

    def dingtalk_url(self, token: str) -> str:
        return f"{self.base}/robot/send?access_token={token}"

    def hold(self, nth: int, *, keep: bool) -> "Hold":
        """Hold the answer to the nth message arriving from now on (1 = the next one); with
        `keep` the robot has taken it (kept with the others) though the sender never hears so."""
        self.holding = Hold(self.arrived + nth, keep, threading.Event(), threading.Event())
        return self.holding

    def release(self) -> None:
        if self.holding is not None:
            self.holding.release.set()

    def arrive(self) -> "Hold | None":
        with self.lock:
            self.arrived += 1
            hold = self.holding
            return hold if hold is not None and hold.nth == self.arrived else None

    def close(self) -> None:
        self.release()
        self.httpd.shutdown()
        self.httpd.server_close()

    def taken(self) -> list[Got]:
        with self.lock:
            return list(self.got)

    def _problem(self, text: str) -> tuple[int, dict]:
        self.problems.append(text)
        return 400, {"errcode": 40035, "errmsg": text}

    def take(self, path: str, headers, raw: bytes) -> tuple[int, dict]:
        with self.lock:
            parts = urllib.parse.urlsplit(path)
            query = dict(urllib.parse.parse_qsl(parts.query))
            kind = {"/cgi-bin/webhook/send": "wecom", "/robot/send": "dingtalk"}.get(parts.path)
            if kind is None:
                return 404, {"errcode": 404, "errmsg": "no such robot"}
            robot = query.get("key" if kind == "wecom" else "access_token", "")
            if self.fail_with is not None:
                if 500 <= self.fail_with < 600:
                    return self.fail_with, {"errcode": -1, "errmsg": "system busy"}
                return 200, {"errcode": self.fail_with, "errmsg": "failing on purpose"}
            if "application/json" not in (headers.get("Content-Type") or ""):
                return self._problem("not JSON")
            try:
                body = json.loads(raw)
            except ValueError:
                return self._problem("not JSON")
            now = self.clock()
            if kind == "dingtalk" and robot in self.secrets:
                stamp = query.get("timestamp", "")
                if not stamp.isdigit():
                    return self._problem("no timestamp")
                at = datetime.fromtimestamp(int(stamp) / 1000, now.tzinfo)
                if abs(at - now) > timedelta(hours=1):
                    return self._problem("timestamp more than an hour away")
                if query.get("sign") != expected_sign(self.secrets[robot], stamp):
                    return self._problem("bad sign")
            markdown = body.get("markdown") if isinstance(body, dict) else None
            if body.get("msgtype") != "markdown" or not isinstance(markdown, dict):
                return self._problem("not a markdown message")
            if kind == "wecom":
                text, title = markdown.get("content"), ""
                if set(markdown) != {"content"} or not isinstance(text, str):
                    return self._problem("WeCom markdown takes content only")
                if len(text.encode()) > 4096:
                    return self._problem("WeCom content over 4096 bytes")
            else:
                text, title = markdown.get("text"), markdown.get("title")
                if not isinstance(text, str) or not isinstance(title, str) or not title:
                    return self._problem("DingTalk markdown needs title and text")
            minute = [g for g in self.got if g.robot == robot and now - g.at < timedelta(minutes=1)]
            if len(minute) >= 20:
                self.over_limit += 1
                return 200, {"errcode": RATE_LIMITED[kind], "errmsg": "api freq out of limit"}
            self.got.append(Got(robot, kind, title, text, now))
            return 200, {"errcode": 0, "errmsg": "ok"}
