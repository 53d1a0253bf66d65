"""Fixtures of the Svix SDK compatibility suite.

The server is started once by run.sh; its URL and an org token arrive in SLUICE_URL and
SLUICE_TOKEN. Every test makes its own applications (unique uids) and, when it needs
deliveries, its own HTTP receiver on 127.0.0.1.
"""

from __future__ import annotations

import os
import threading
import time
import typing as t
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from svix.api import ApplicationIn, EventTypeIn, Svix, SvixOptions
from svix.exceptions import HttpError

# Every wait in the suite is bounded by this (seconds); deliveries are local and the retry
# schedule is 1 s, 1 s, so anything slower than this is a failure.
WAIT = 15.0


def _require_env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.exit(f"{name} is not set: run the suite through tests/compat/run.sh", returncode=2)
    return value


@pytest.fixture(scope="session")
def server_url() -> str:
    return _require_env("SLUICE_URL").rstrip("/")


@pytest.fixture(scope="session")
def token() -> str:
    return _require_env("SLUICE_TOKEN")


def make_client(token: str, url: str) -> Svix:
    # No SDK-side retries: a 5xx must show up as a failure, not be papered over.
    return Svix(token, SvixOptions(server_url=url, retry_schedule=[], timeout=10.0))


@pytest.fixture(scope="session")
def svix(token: str, server_url: str) -> Svix:
    return make_client(token, server_url)


def unique(prefix: str) -> str:
    """An identifier unique to this run: [a-zA-Z0-9-_.], not shaped like an id."""
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


def wait_for(what: str, probe: t.Callable[[], t.Any], timeout: float = WAIT, interval: float = 0.1) -> t.Any:
    """Calls `probe` until it returns a truthy value (returned) or `timeout` passes (fails)."""
    deadline = time.monotonic() + timeout
    last: t.Any = None
    while True:
        last = probe()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}; last value: {last!r}")
        time.sleep(interval)


@pytest.fixture
def app(svix: Svix):
    """A fresh application, deleted afterwards."""
    uid = unique("app")
    out = svix.application.create(ApplicationIn(name=f"compat {uid}", uid=uid))
    yield out
    try:
        svix.application.delete(out.id)
    except HttpError:
        pass


@pytest.fixture
def event_types(svix: Svix) -> t.List[str]:
    """Two fresh event type names (registered), for filters."""
    names = []
    for kind in ("created", "deleted"):
        name = f"{unique('compat')}.{kind}"
        svix.event_type.create(EventTypeIn(name=name, description=f"compat {kind}"))
        names.append(name)
    return names


# --- a local webhook receiver -------------------------------------------------------------


@dataclass
class Delivery:
    path: str
    headers: t.Dict[str, str]
    body: bytes
    status: int


@dataclass
class Receiver:
    """Records every POST it gets; answers with the next status of `statuses` (then 200)."""

    statuses: t.List[int] = field(default_factory=list)
    deliveries: t.List[Delivery] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def next_status(self) -> int:
        with self.lock:
            return self.statuses.pop(0) if self.statuses else 200

    def record(self, d: Delivery) -> None:
        with self.lock:
            self.deliveries.append(d)

    def received(self) -> t.List[Delivery]:
        with self.lock:
            return list(self.deliveries)

    def for_msg(self, msg_id: str) -> t.List[Delivery]:
        return [d for d in self.received() if d.headers.get("webhook-id") == msg_id]

    def wait_msgs(self, msg_ids: t.Iterable[str], timeout: float = WAIT) -> t.Dict[str, Delivery]:
        """Waits until each message id has arrived at least once; returns the first arrival of each."""
        ids = list(msg_ids)

        def probe():
            got = {}
            for d in self.received():
                mid = d.headers.get("webhook-id")
                if mid in ids and mid not in got:
                    got[mid] = d
            return got if len(got) == len(ids) else None

        return wait_for(f"deliveries of {ids} at {self.url}", probe, timeout)


def _handler(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):  # noqa: N802 (http.server naming)
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            status = receiver.next_status()
            # Header names are case-insensitive: store them lower-cased.
            headers = {k.lower(): v for k, v in self.headers.items()}
            receiver.record(Delivery(self.path, headers, body, status))
            reply = b'{"ok":true}' if status < 300 else b'{"error":"compat receiver says no"}'
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args):  # keep pytest output clean
            pass

    return Handler


@pytest.fixture
def receiver():
    rec = Receiver()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(rec))
    httpd.daemon_threads = True
    rec.url = f"http://127.0.0.1:{httpd.server_address[1]}/hook"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    yield rec
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)
