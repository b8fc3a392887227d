"""The bench's lean HTTP load generator (tests/bench_support/httpload.py) against a real
local HTTP server: whole answers by Content-Length, chunks or close, kept and fresh
connections, closed and open loop; and gunicorn's heartbeat folder as ``huika serve`` sets it."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.bench_support.httpload import ResponseReader, encode_request, load


class _Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        answer = json.dumps({"got": json.loads(body), "path": self.path}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        if self.path == "/chunked":
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (answer[:5], answer[5:]):
                self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
            return
        if self.path == "/until-close":
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(answer)
            self.close_connection = True
            return
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def echo_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("path", ["/length", "/chunked", "/until-close"])
@pytest.mark.parametrize("keep_alive", [True, False])
def test_closed_loop_reads_every_answer_whole(echo_server, path, keep_alive):
    seen = []

    def make(client, index):
        return "POST", path, {"client": client, "index": index, "名": "会卡"}, {"X-Test": "1"}

    timings = load(echo_server, make, threads=3, seconds=0.3, keep_alive=keep_alive,
                   on_response=lambda client, status, raw: seen.append((client, status, raw)))
    assert timings.ok == len(seen) > 3 and not timings.errors
    assert set(timings.statuses) == {201}
    for client, _status, raw in seen:
        answer = json.loads(raw)
        assert answer["path"] == path and answer["got"]["client"] == client
        assert answer["got"]["名"] == "会卡"
    assert timings.client_cpu_ms_per_op is not None


def test_open_loop_keeps_its_schedule(echo_server):
    timings = load(echo_server, lambda c, i: ("POST", "/length", {"i": i}, {}), threads=2,
                   seconds=0.5, rate=40, keep_alive=True)
    assert 18 <= timings.ok <= 21  # 40/s for half a second, starts before the end only


def test_a_refused_connection_is_an_error_not_a_hang():
    from tests.support.gunicorn import free_port

    timings = load(free_port(), lambda c, i: ("GET", "/", None, {}), threads=2, seconds=0.2)
    assert timings.ok == 0 and sum(timings.errors.values()) > 0


def test_response_reader_takes_pieces():
    reader = ResponseReader()
    whole = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
    assert not any(reader.feed(whole[i:i + 1]) for i in range(len(whole) - 1))
    assert reader.feed(whole[-1:]) and reader.status == 200 and reader.keep
    assert reader.body() == b"hello"


def test_encode_request_counts_bytes_not_characters():
    data = encode_request(80, "POST", "/x", {"名": "会"}, {}, keep_alive=False)
    head, body = data.split(b"\r\n\r\n", 1)
    assert f"Content-Length: {len(body)}".encode() in head and b"Connection: close" in head


def test_gunicorn_heartbeats_live_in_memory_as_huika_serve_sets_them():
    import os

    from webui import gunicorn_config
    from webui.serving import ServeOptions, gunicorn_settings

    expected = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    assert gunicorn_config.worker_tmp_dir == expected
    assert gunicorn_settings(ServeOptions()).get("worker_tmp_dir") == expected
