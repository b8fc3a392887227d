"""Serving the app with gunicorn on 127.0.0.1 and loading it from a lean HTTP client.

The load generator shares the machine's cores with the server it measures, so it must cost
little: one thread drives every client connection through ``selectors``, each request is
encoded to bytes once and written with one ``sendall``, and a response is read by its
Content-Length (or chunks) without an HTTP library (about a tenth of ``http.client``'s CPU per
request, as ``wrk`` is to browsers). What it costs is measured and printed beside the server's
CPU (``Timings.client_cpu``).
"""
from __future__ import annotations

import heapq
import json
import selectors
import socket
import time
from typing import Callable

from tests.support.gunicorn import GunicornServer

from .stats import Timings, process_tree_cpu

# (method, path, JSON body or None, headers) for the i-th request of client ``thread``
RequestMaker = Callable[[int, int], tuple[str, str, dict | None, dict]]
# (client, status, body) of each whole response
ResponseSeen = Callable[[int, int, bytes], None]

TIMEOUT_SECONDS = 30.0


def gunicorn_available() -> bool:
    try:
        import gunicorn  # noqa: F401
    except ImportError:
        return False
    return True


class Gunicorn(GunicornServer):
    """``python -m gunicorn 'webui:create_app()'`` with DATABASE_URL, as in production
    (tests/support/gunicorn.py), plus the CPU time its processes used. ``--preload`` by
    default: the app is built once and the workers forked from it, so starting costs one app
    load instead of one per worker (the measures are deltas after a warm-up either way). With
    ``huika serve``'s worker hook (webui/gunicorn_config.py)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("preload", True)
        # No scheduler in the measured workers: on a fresh database it catches up a week of
        # daily jobs (reminder scans, member care over every member, rollups) inside the
        # measured seconds: 98 ms of server CPU per checkout at 10/s in a full run. Jobs have
        # benches of their own (--reminders, --reports).
        kwargs["env"] = {"HUIKA_SCHEDULER": "off", **(kwargs.get("env") or {})}
        # the worker hook ``huika serve`` sets too (gc.freeze once the app is built)
        kwargs["args"] = ["-c", "python:webui.gunicorn_config", *kwargs.get("args", ())]
        super().__init__(*args, **kwargs)

    def cpu_seconds(self) -> float:
        """User + system CPU of the gunicorn master and its workers so far (Linux /proc)."""
        return process_tree_cpu(self.process.pid)


def encode_request(port: int, method: str, path: str, body: dict | None, headers: dict,
                   keep_alive: bool) -> bytes:
    """The bytes of one HTTP/1.1 request (a JSON body, if any, as UTF-8)."""
    payload = b""
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    if body is not None:
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        lines.append("Content-Type: application/json")
    if body is not None or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(payload)}")
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append("Connection: keep-alive" if keep_alive else "Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + payload


class ResponseReader:
    """One HTTP/1.1 response read in pieces: its status, whether the server keeps the
    connection open, and its body (by Content-Length, chunked, or up to the close)."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.status: int | None = None
        self.keep = False
        self.length: int | None = None  # body bytes announced
        self.chunked = False
        self.body_at = 0

    def feed(self, data: bytes) -> bool:
        """Add what arrived; True once the whole response is here."""
        self.buffer += data
        if self.status is None:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return False
            self._head(bytes(self.buffer[:end]).decode("latin-1").split("\r\n"))
            self.body_at = end + 4
        if self.chunked:
            return self._chunks() is not None
        return self.length is not None and len(self.buffer) - self.body_at >= self.length

    def _head(self, lines: list[str]) -> None:
        version, status = lines[0].split(" ", 2)[:2]
        self.status = int(status)
        fields = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip()
        connection = fields.get("connection", "").lower()
        self.keep = connection == "keep-alive" or (version == "HTTP/1.1" and connection != "close")
        self.chunked = "chunked" in fields.get("transfer-encoding", "").lower()
        if "content-length" in fields:
            self.length = int(fields["content-length"])
        elif not self.chunked:
            self.keep = False  # the body ends where the server closes the connection

    def ends_at_close(self) -> bool:
        """Whether the server closing the connection now completes this response."""
        return self.status is not None and self.length is None and not self.chunked

    def _chunks(self) -> bytes | None:
        """The chunked body once it is whole, else None."""
        raw, at, parts = self.buffer, self.body_at, []
        while True:
            line_end = raw.find(b"\r\n", at)
            if line_end < 0:
                return None
            size = int(bytes(raw[at:line_end]).split(b";")[0], 16)
            if size == 0:
                return b"".join(parts) if raw.find(b"\r\n", line_end + 2) >= 0 else None
            if line_end + 2 + size + 2 > len(raw):
                return None
            parts.append(bytes(raw[line_end + 2:line_end + 2 + size]))
            at = line_end + 2 + size + 2

    def body(self) -> bytes:
        if self.chunked:
            return self._chunks() or b""
        raw = bytes(self.buffer[self.body_at:])
        return raw if self.length is None else raw[:self.length]


class _Client:
    """One client connection of the load: its socket, the request in flight, its count."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.sock: socket.socket | None = None
        self.reader: ResponseReader | None = None
        self.began = 0.0  # when the request in flight counts from (its schedule, open loop)
        self.sent_at = 0.0
        self.count = 0  # requests made so far


def load(port: int, make: RequestMaker, *, threads: int, seconds: float,
         on_response: ResponseSeen | None = None,
         rate: float | None = None, keep_alive: bool = False) -> Timings:
    """``threads`` clients each sending requests back to back for ``seconds`` (closed loop),
    or, with ``rate``, together sending ``rate`` requests/s on a fixed schedule (open loop;
    a request's latency then counts from its scheduled time, so a late start is not hidden).
    A client keeps its connection while the server does (``keep_alive``), else opens one per
    request. Requests in flight at the end are waited for and counted."""
    timings = Timings()
    selector = selectors.DefaultSelector()
    clients = [_Client(index) for index in range(threads)]
    due: list[tuple[float, int]] = []  # (scheduled start, client) of open-loop requests waiting
    in_flight = 0

    def close(client: _Client) -> None:
        if client.sock is not None:
            selector.unregister(client.sock)
            client.sock.close()
            client.sock = None

    def send(client: _Client, began: float) -> bool:
        """Send the client's next request; False (an error counted) if that failed."""
        nonlocal in_flight
        method, path, body, headers = make(client.index, client.count)
        client.count += 1
        data = encode_request(port, method, path, body, headers, keep_alive)
        client.began, client.reader = began, ResponseReader()
        for attempt in (1, 2):
            fresh = client.sock is None
            try:
                if fresh:
                    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_SECONDS)
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    client.sock = sock
                    selector.register(sock, selectors.EVENT_READ, client)
                client.sock.sendall(data)
            except OSError as error:
                close(client)
                if fresh or attempt == 2:  # a kept connection the server had closed: once more
                    timings.error(error)
                    client.reader = None
                    return False
                continue
            break
        client.sent_at = time.perf_counter()
        in_flight += 1
        return True

    def schedule_next(client: _Client, now: float) -> None:
        """Start the client's next request now (closed loop) or put it in the queue."""
        if rate:
            start = timings.began + (client.count * threads + client.index) / rate
            if start < deadline:
                heapq.heappush(due, (start, client.index))
            return
        while now < deadline and not send(client, now):
            now = time.perf_counter()

    def finish(client: _Client, ok: bool, now: float, error: BaseException | None = None) -> None:
        nonlocal in_flight
        in_flight -= 1
        reader, client.reader = client.reader, None
        if ok:
            timings.add(now - client.began, reader.status)
            if not (reader.keep and keep_alive):  # "Connection: close" asked it, or the server
                close(client)
            if on_response is not None:
                on_response(client.index, reader.status, reader.body())
        else:
            timings.error(error or ConnectionError("no whole answer"))
            close(client)
        schedule_next(client, time.perf_counter())

    cpu_began = time.process_time()
    timings.began = time.perf_counter()
    deadline = timings.began + seconds
    for client in clients:
        schedule_next(client, timings.began)
    while in_flight or due:
        now = time.perf_counter()
        while due and due[0][0] <= now:
            start, index = heapq.heappop(due)
            if not send(clients[index], start):
                schedule_next(clients[index], now)
        wait = max(0.0, due[0][0] - now) if due else 1.0
        if not in_flight and due:
            time.sleep(wait)
            continue
        for key, _events in selector.select(min(wait, 1.0)):
            client = key.data
            if client.reader is None:  # an idle kept connection the server closed
                close(client)
                continue
            try:
                data = client.sock.recv(65536)
            except OSError as error:
                finish(client, False, time.perf_counter(), error)
                continue
            now = time.perf_counter()
            if not data:
                whole = client.reader.ends_at_close()
                if whole:
                    client.reader.keep = False
                finish(client, whole, now)
            elif client.reader.feed(data):
                finish(client, True, now)
        now = time.perf_counter()
        for client in clients:
            if client.reader is not None and now - client.sent_at > TIMEOUT_SECONDS:
                finish(client, False, now, TimeoutError("no answer in time"))
    for client in clients:
        close(client)
    selector.close()
    timings.client_cpu = time.process_time() - cpu_began
    return timings.finish()
