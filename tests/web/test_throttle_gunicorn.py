"""The throttle's counters are shared by all gunicorn workers: the app served as in production
(`gunicorn -w 2 'webui:create_app()'`), wrong passwords sent in parallel over fresh
connections, so both workers answer them, and still exactly the limit is evaluated."""
from __future__ import annotations

import http.client
import re
import shutil
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.bench_support.httpload import Gunicorn
from tests.support.factories import make_merchant

ROOT = Path(__file__).resolve().parents[2]
ATTEMPTS = 30
CLIENT_THREADS = 6


def call(port: int, method: str, path: str, body: str | None = None, headers: dict | None = None):
    """One request on a fresh connection (so any worker may take it): status, headers, text."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        connection.close()


def workers_seen(access_log: Path) -> set[str]:
    return {line.split()[0] for line in access_log.read_text().splitlines()} if access_log.exists() else set()


def wait_for_both_workers(port: int, access_log: Path, timeout: float = 60.0) -> None:
    """Gunicorn answers as soon as one worker is up; the other may still be importing the app.
    Ask in pairs until both have answered (or the test would measure one worker)."""
    deadline = time.monotonic() + timeout
    while len(workers_seen(access_log)) < 2:
        assert time.monotonic() < deadline, f"only {workers_seen(access_log)} answered in {timeout} s"
        pair = [threading.Thread(target=call, args=(port, "GET", "/login")) for _ in range(2)]
        for thread in pair:
            thread.start()
        for thread in pair:
            thread.join(timeout=30)


@pytest.fixture
def sqlite_file(tmp_path, sqlite_template) -> str:
    """A migrated SQLite file (the database of a one-shop install; on PostgreSQL the counter is
    shared the same way, through the same statement: test_throttle.py races it in threads)."""
    path = tmp_path / "huika.sqlite"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


def test_two_workers_share_the_sign_in_counter(sqlite_file, plugin_registry, tmp_path):
    from webui import create_app

    app = create_app({"DATABASE_URL": sqlite_file, "PLUGIN_REGISTRY": plugin_registry})
    shop = make_merchant(app.extensions["huika"], "两进程店")
    app.extensions["huika"].db.dispose()
    access_log = tmp_path / "access.log"
    server = Gunicorn(sqlite_file, tmp_path, workers=2, pythonpath=[ROOT],
                      env={"HUIKA_SECRET_KEY": "gunicorn-test-secret"},
                      args=["--access-logfile", str(access_log),
                            "--access-logformat", "%(p)s %(m)s %(U)s %(s)s"])
    with server:
        wait_for_both_workers(server.port, access_log)
        _status, answer_headers, page = call(server.port, "GET", "/login")
        session = answer_headers["Set-Cookie"].split(";", 1)[0]
        token = re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', page).group(1)
        form = urlencode({"merchant": shop.name, "username": "owner", "password": "wrong",
                          "csrf_token": token})
        headers = {"Cookie": session, "Content-Type": "application/x-www-form-urlencoded"}
        statuses: list[int] = []
        retry_after: list[str] = []
        lock = threading.Lock()

        def guesser(count: int) -> None:
            for _ in range(count):
                status, answer_headers, _page = call(server.port, "POST", "/login", form, headers)
                with lock:
                    statuses.append(status)
                    if status == 429:
                        retry_after.append(answer_headers["Retry-After"])

        threads = [threading.Thread(target=guesser, args=(ATTEMPTS // CLIENT_THREADS,))
                   for _ in range(CLIENT_THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        right = urlencode({"merchant": shop.name, "username": "owner",
                           "password": "password-123", "csrf_token": token})
        after, _headers, _page = call(server.port, "POST", "/login", right, headers)

    served = Counter()
    for line in access_log.read_text().splitlines():
        pid, method, path, status = line.split()
        if method == "POST" and path == "/login":
            served[pid, int(status)] += 1
    workers = {pid for pid, _status in served}
    assert len(workers) == 2, f"one worker answered everything: {served}"
    assert Counter(statuses) == {401: 5, 429: ATTEMPTS - 5}, served  # not 5 per worker
    assert all(value.isdigit() and 0 < int(value) <= 60 for value in retry_after)
    assert after == 429  # the right password too, within the minute
