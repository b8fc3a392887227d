"""A sync gunicorn worker ends a finished connection at once (webui/gunicorn_config.py,
``post_request``), and still lingers where RFC 9112 9.6 needs it: request bytes it did not
read. Real gunicorn objects on real loopback sockets, and the app served by gunicorn."""
from __future__ import annotations

import select
import shutil
import socket
import time

import pytest
from gunicorn import http as gunicorn_http
from gunicorn.config import Config
from gunicorn.http import wsgi
from gunicorn.workers.sync import SyncWorker

from tests.bench_support.httpload import Gunicorn
from webui.gunicorn_config import post_request


def _connected_pair():
    """(client, server side) of one TCP connection on 127.0.0.1."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        client = socket.create_connection(listener.getsockname())
        server, _address = listener.accept()
    server.setblocking(True)
    return client, server


def _answered(client: socket.socket, server: socket.socket, sent: bytes, *, read_body: bool,
              then_sent: bytes = b""):
    """Parse ``sent`` from the server side as a sync worker does and answer it with a small
    200, after which the client sends ``then_sent``; returns what post_request gets (worker,
    request, environ, response)."""
    client.sendall(sent)
    config = Config()
    request = next(gunicorn_http.get_parser(config, server, ("127.0.0.1", 1)))
    response, environ = wsgi.create(request, server, ("127.0.0.1", 1), ("127.0.0.1", 2), config)
    response.force_close()
    if read_body:
        environ["wsgi.input"].read()
    response.start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    response.write(b"ok")
    response.close()
    if then_sent:
        client.sendall(then_sent)
        assert select.select([server], [], [], 10)[0], "the bytes reach the server's side"
    return object.__new__(SyncWorker), request, environ, response


def _shut_for_reading(sock: socket.socket) -> bool:
    """Whether reading ``sock`` ends at once (its read side was shut), without waiting."""
    try:
        return sock.recv(1, socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False


GET = b"GET /x HTTP/1.1\r\nHost: h\r\n\r\n"


def test_a_request_read_whole_is_ended_without_waiting_for_the_client():
    client, server = _connected_pair()
    with client, server:
        post_request(*_answered(client, server, GET, read_body=True))
        assert _shut_for_reading(server)  # gunicorn's close then finds the end at once
        answer = b""
        while chunk := client.recv(4096):
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"\r\n\r\nok")


def test_a_body_read_whole_is_ended_too():
    client, server = _connected_pair()
    with client, server:
        post = b"POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
        post_request(*_answered(client, server, post, read_body=True))
        assert _shut_for_reading(server)


@pytest.mark.parametrize("sent, read_body, then_sent", [
    (GET, True, GET),  # the client sent more: it waits in the kernel, gunicorn reads it first
    (b"POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello", False, b""),  # unread
    (b"POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
     True, b""),  # chunked: left to gunicorn's lingering close
], ids=["sent-more", "unread-body", "chunked"])
def test_a_connection_with_bytes_left_is_left_to_gunicorns_lingering_close(sent, read_body,
                                                                          then_sent):
    client, server = _connected_pair()
    with client, server:
        worker, request, environ, response = _answered(client, server, sent, read_body=read_body,
                                                       then_sent=then_sent)
        post_request(worker, request, environ, response)
        assert not _shut_for_reading(server)


def test_a_threaded_worker_keeps_its_connection():
    from gunicorn.workers.gthread import ThreadWorker

    client, server = _connected_pair()
    with client, server:
        _worker, request, environ, response = _answered(client, server, GET, read_body=True)
        post_request(object.__new__(ThreadWorker), request, environ, response)
        assert not _shut_for_reading(server)


def test_gunicorn_answers_the_next_client_while_the_last_one_keeps_its_connection(
        tmp_path, sqlite_template):
    """One sync worker: the first client reads its answer and keeps the connection open (a
    till's browser may). The worker has ended that connection, so what the client sends
    afterwards is refused with a reset (gunicorn's own close would have read it and waited for
    the client, up to two seconds, before taking the next request); the next client is
    answered."""
    database = tmp_path / "close.sqlite"
    shutil.copyfile(sqlite_template, database)
    with Gunicorn(f"sqlite:///{database}", tmp_path, workers=1) as server:
        first = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        with first:
            first.sendall(b"GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            answer = b""
            while chunk := first.recv(65536):
                answer += chunk
            assert answer.startswith(b"HTTP/1.1 200")
            first.sendall(b"GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            # The reset comes at once on 127.0.0.1; gunicorn's own close would read those bytes
            # and wait for this client up to two seconds, without a reset.
            deadline = time.monotonic() + 1.5
            while not first.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                assert time.monotonic() < deadline, "the worker still reads this connection"
                time.sleep(0.01)
            with socket.create_connection(("127.0.0.1", server.port), timeout=30) as second:
                second.sendall(b"GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                assert second.recv(65536).startswith(b"HTTP/1.1 200")


def test_huika_serve_sets_the_hook():
    from webui.serving import ServeOptions, gunicorn_settings

    assert gunicorn_settings(ServeOptions(threads=1))["post_request"] is post_request
