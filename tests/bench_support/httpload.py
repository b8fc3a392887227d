"""Serving the app with gunicorn on 127.0.0.1 and loading it from client threads."""
from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable

from .stats import Timings

# (method, path, JSON body or None, headers) for the i-th request of a client thread
RequestMaker = Callable[[int, int], tuple[str, str, dict | None, dict]]


def gunicorn_available() -> bool:
    try:
        import gunicorn  # noqa: F401
    except ImportError:
        return False
    return True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """``python -m gunicorn 'webui:create_app()'`` with DATABASE_URL, as in production."""

    def __init__(self, database_url: str, workdir: Path, *, workers: int = 2,
                 pythonpath: list[Path] = (), args: list[str] = (), env: dict | None = None) -> None:
        self.database_url = database_url
        self.workdir = workdir
        self.workers = workers
        self.pythonpath = [str(p) for p in pythonpath]
        self.args = list(args)  # more gunicorn options, e.g. an access log
        self.env = dict(env or {})  # more environment for the app
        self.port = free_port()
        self.log = workdir / f"gunicorn-{self.port}.log"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Gunicorn":
        env = dict(os.environ)
        env["DATABASE_URL"] = self.database_url
        env["HUIKA_INSTANCE_PATH"] = str(self.workdir / "instance")
        env["PYTHONPATH"] = os.pathsep.join([*self.pythonpath, env.get("PYTHONPATH", "")]).strip(os.pathsep)
        env.update(self.env)
        command = [sys.executable, "-m", "gunicorn", "--workers", str(self.workers),
                   "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning",
                   "--error-logfile", str(self.log), "--timeout", "60", *self.args,
                   "webui:create_app()"]
        self.process = subprocess.Popen(command, cwd=self.workdir, env=env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._wait_ready()
        return self

    def _wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see {self.log}:\n"
                                   + self.log.read_text(errors="replace")[-2000:])
            try:
                status, _body = request(self.port, "GET", "/api/v1/openapi.json", None, {})
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s; see {self.log}")

    def cpu_seconds(self) -> float:
        """User + system CPU of the gunicorn master and its workers so far (Linux /proc)."""
        ticks = os.sysconf("SC_CLK_TCK")
        pids = [self.process.pid]
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
            pids += [int(pid) for pid in children.split()]
        except OSError:
            return float("nan")
        total = 0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / ticks

    def __exit__(self, *_exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def request(port: int, method: str, path: str, body: dict | None, headers: dict,
            timeout: float = 30.0) -> tuple[int, bytes]:
    """One request on a fresh connection (gunicorn's sync workers close after each one)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        payload = None
        if body is not None:
            payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
            headers = {"Content-Type": "application/json", **headers}
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def load(port: int, make: RequestMaker, *, threads: int, seconds: float,
         on_response: Callable[[int, bytes], None] | None = None,
         rate: float | None = None) -> Timings:
    """``threads`` clients each sending requests back to back for ``seconds`` (closed loop),
    or, with ``rate``, together sending ``rate`` requests/s on a fixed schedule (open loop;
    a request's latency then counts from its scheduled time, so a late start is not hidden)."""
    timings = Timings()
    start = threading.Barrier(threads + 1)
    clock: list[float] = []  # [start, deadline]

    def client(thread: int) -> None:
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
                status, raw = request(port, method, path, body, headers)
            except OSError as error:
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
