"""The app served by a real gunicorn on 127.0.0.1, as docs/operations.md deploys it.

``python -m gunicorn -w 2 'webui:create_app()'`` runs as a subprocess in its own process
group with DATABASE_URL, HUIKA_SECRET_KEY and HUIKA_INSTANCE_PATH set and PYTHONPATH leading
to this checkout's code (plus any extra folders, e.g. a throwaway plugin's site). ``start``
waits until a worker answers; ``kill`` is a SIGKILL of the whole group (master and workers,
mid-request: the crash the fault tests need), and what leaving the ``with`` block does;
``stop`` ends it politely (SIGTERM, then SIGKILL for what is left). The same object can be started again on the same port after a kill.

    with GunicornServer(database_url, tmp_path) as server:
        status, body, headers = http_json(server.port, "POST", "/api/v1/checkout", {...}, {...})
"""
from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from core.faults import VARIABLE as FAULT_VARIABLE

REPOSITORY = Path(__file__).resolve().parents[2]
READY_PATH = "/api/v1/openapi.json"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_json(port: int, method: str, path: str, body: dict | None = None,
              headers: dict | None = None, timeout: float = 60.0):
    """One request on a fresh connection: (status, parsed JSON or None, response headers).

    Raises OSError (refused, reset, timed out; http.client.RemoteDisconnected is one) when no
    answer comes, e.g. because the server was killed while the request was in flight.
    """
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        payload = None
        headers = dict(headers or {})
        if body is not None:
            payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
            headers.setdefault("Content-Type", "application/json")
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        raw = response.read()
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = None
        return response.status, parsed, dict(response.headers)
    except http.client.HTTPException as error:  # e.g. IncompleteRead: no whole answer either
        raise ConnectionError(f"{type(error).__name__}: {error}") from error
    finally:
        connection.close()


class GunicornServer:
    """One gunicorn server (master + ``workers``) for ``database_url``; see the module doc."""

    def __init__(self, database_url: str, workdir: Path, *, workers: int = 2, threads: int = 1,
                 preload: bool = False, pythonpath: list[Path] | tuple = (), env: dict | None = None,
                 port: int | None = None, timeout: int = 60, args: list[str] | tuple = ()) -> None:
        self.database_url = database_url
        self.workdir = Path(workdir)
        self.workers = workers
        self.threads = threads  # > 1: gunicorn's gthread worker, this many requests per worker
        # --preload: the master builds the app once and forks the workers from it, so a start
        # costs one app load instead of one per worker (create_app opens no connection).
        self.preload = preload
        self.pythonpath = [str(p) for p in pythonpath]
        self.extra_env = dict(env or {})
        self.args = list(args)  # more gunicorn options, e.g. an access log
        self.port = port or free_port()
        self.timeout = timeout  # gunicorn's worker timeout, seconds
        self.log = self.workdir / f"gunicorn-{self.port}.log"
        self.process: subprocess.Popen | None = None
        self.starts = 0
        self.start_seconds = 0.0  # spent in start(): launching and waiting until it answers

    # -- life cycle ----------------------------------------------------------------------

    def start(self, ready_within: float = 60.0) -> "GunicornServer":
        if self.running:
            raise RuntimeError("this gunicorn server is already running")
        began = time.monotonic()
        self.workdir.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env.pop(FAULT_VARIABLE, None)  # only ever armed on purpose, through ``env``
        env.update({
            "DATABASE_URL": self.database_url,
            "HUIKA_SECRET_KEY": "gunicorn-test-secret-" + "x" * 32,
            "HUIKA_INSTANCE_PATH": str(self.workdir / "instance"),
            "PYTHONPATH": os.pathsep.join([*self.pythonpath, str(REPOSITORY),
                                           env.get("PYTHONPATH", "")]).strip(os.pathsep),
        })
        env.update(self.extra_env)
        command = [sys.executable, "-m", "gunicorn", "--workers", str(self.workers),
                   "--threads", str(self.threads), "--bind", f"127.0.0.1:{self.port}",
                   "--timeout", str(self.timeout), "--graceful-timeout", "5",
                   "--log-level", "warning", "--error-logfile", str(self.log),
                   *(["--preload"] if self.preload else []), *self.args, "webui:create_app()"]
        with open(self.log, "ab") as log:
            # Its own session (process group), so kill() and stop() reach the workers too.
            self.process = subprocess.Popen(command, cwd=self.workdir, env=env, stdout=log,
                                            stderr=log, stdin=subprocess.DEVNULL,
                                            start_new_session=True)
        self.starts += 1
        try:
            self._wait_ready(ready_within)
        except BaseException:
            self.kill()
            raise
        finally:
            self.start_seconds += time.monotonic() - began
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def _wait_ready(self, within: float) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                status, _body, _headers = http_json(self.port, "GET", READY_PATH, timeout=10)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"gunicorn did not answer within {within:.0f} s:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL the master and every worker at once (a power cut for the server)."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM (gunicorn finishes its requests), then SIGKILL whatever is left of the group."""
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=grace)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        self.kill()  # also reaps workers a dead master left behind

    def __enter__(self) -> "GunicornServer":
        return self.start()

    def __exit__(self, *_exc) -> None:
        # A test is done with it: what was committed is on disk, so no graceful shutdown wait.
        self.kill()

    def log_tail(self, characters: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-characters:]
        except OSError:
            return "(no log)"
