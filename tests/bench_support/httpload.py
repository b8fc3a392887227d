"""Serving the app with gunicorn on 127.0.0.1 and loading it from client threads."""
from __future__ import annotations

import http.client
import json
import threading
import time
from typing import Callable

from tests.support.gunicorn import GunicornServer

from .stats import Timings, process_tree_cpu

# (method, path, JSON body or None, headers) for the i-th request of a client thread
RequestMaker = Callable[[int, int], tuple[str, str, dict | None, dict]]


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
        # the worker hook ``huika serve`` sets too (gc.freeze once the app is built)
        kwargs["args"] = ["-c", "python:webui.gunicorn_config", *kwargs.get("args", ())]
        super().__init__(*args, **kwargs)

    def cpu_seconds(self) -> float:
        """User + system CPU of the gunicorn master and its workers so far (Linux /proc)."""
        return process_tree_cpu(self.process.pid)


def request(port: int, method: str, path: str, body: dict | None, headers: dict,
            timeout: float = 30.0, connection: http.client.HTTPConnection | None = None
            ) -> tuple[int, bytes]:
    """One request, on ``connection`` if given (kept open while the server keeps it alive, as
    a till's browser does), else on a fresh connection (gunicorn's sync workers close after
    each one)."""
    fresh = connection is None
    if fresh:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        payload = None
        if body is not None:
            payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
            headers = {"Content-Type": "application/json", **headers}
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()  # a "Connection: close" answer closes it
    except (OSError, http.client.HTTPException):
        connection.close()  # the next request on it opens a new one
        raise
    finally:
        if fresh:
            connection.close()


def load(port: int, make: RequestMaker, *, threads: int, seconds: float,
         on_response: Callable[[int, bytes], None] | None = None,
         rate: float | None = None, keep_alive: bool = False) -> Timings:
    """``threads`` clients each sending requests back to back for ``seconds`` (closed loop),
    or, with ``rate``, together sending ``rate`` requests/s on a fixed schedule (open loop;
    a request's latency then counts from its scheduled time, so a late start is not hidden)."""
    timings = Timings()
    start = threading.Barrier(threads + 1)
    clock: list[float] = []  # [start, deadline]

    def client(thread: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30.0) if keep_alive else None
        start.wait()
        started, deadline = clock
        index = 0
        while True:
            scheduled = None
            if rate:
                scheduled = started + (index * threads + thread) / rate
                if scheduled >= deadline:
                    break
                pause = scheduled - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
            elif time.perf_counter() >= deadline:
                break
            method, path, body, headers = make(thread, index)
            index += 1
            began = scheduled if scheduled is not None else time.perf_counter()
            try:
                status, raw = request(port, method, path, body, headers, connection=connection)
            except (OSError, http.client.HTTPException) as error:
                timings.error(error)
                continue
            timings.add(time.perf_counter() - began, status)
            if on_response is not None:
                on_response(status, raw)

    workers = [threading.Thread(target=client, args=(t,), daemon=True) for t in range(threads)]
    for worker in workers:
        worker.start()
    timings.began = time.perf_counter()
    clock.extend([timings.began, timings.began + seconds])
    start.wait()
    for worker in workers:
        worker.join(timeout=seconds + 60)
    return timings.finish()
