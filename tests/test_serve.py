"""``huika serve``: gunicorn with workers and threads, access log, graceful reload, proxies."""
from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.gunicorn import free_port

ROOT = Path(__file__).resolve().parents[1]


def _get(port: int, path: str, headers: dict | None = None) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers=headers or {})
    response = connection.getresponse()
    response.body = response.read()
    connection.close()
    return response


def _wait_ready(process: subprocess.Popen, port: int, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"huika serve exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if _get(port, "/login").status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"huika serve did not answer in {timeout} s:\n{log.read_text()[-3000:]}")


def _worker_pids(master: int) -> set[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return {int(pid) for pid in children.read_text().split()} if children.exists() else set()


@pytest.fixture(scope="module")
def served(tmp_path_factory, sqlite_template):
    """``huika serve`` as a subprocess on a copy of the migrated template, 2 workers x 2 threads.

    One server for the module (starting one takes seconds); the reload-and-stop test is last.
    """
    import shutil

    tmp_path = tmp_path_factory.mktemp("serve")
    database = tmp_path / "serve.sqlite"
    shutil.copyfile(sqlite_template, database)
    port = free_port()
    log = tmp_path / "serve.log"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "HUIKA_INSTANCE_PATH": str(tmp_path / "instance"),
           "HUIKA_PROXY_HOPS": "1", "PYTHONPATH": str(ROOT)}
    env.pop("HUIKA_SECRET_KEY", None)
    env.pop("HUIKA_ENV", None)
    with log.open("wb") as output:
        process = subprocess.Popen([sys.executable, "-m", "webui.cli", "serve", "--port", str(port),
                                    "--workers", "2", "--threads", "2"],
                                   cwd=tmp_path, env=env, stdout=output, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        _wait_ready(process, port, log)
        yield process, port, log
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def test_serve_runs_gunicorn_workers_with_an_access_log_and_no_version(served):
    process, port, log = served
    response = _get(port, "/login")
    assert response.status == 200
    assert [v for k, v in response.getheaders() if k.lower() == "server"] == ["gunicorn"]
    assert response.getheader("X-Frame-Options") == "DENY"
    assert len(_worker_pids(process.pid)) == 2
    time.sleep(0.5)
    assert '"GET /login HTTP/1.1" 200' in log.read_text()


def test_serve_trusts_the_configured_proxy_for_https(served):
    _process, port, _log = served
    behind_tls = _get(port, "/login", {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "shop.example"})
    assert behind_tls.getheader("Set-Cookie", "").startswith("__Host-session=")
    assert behind_tls.getheader("Strict-Transport-Security")
    plain = _get(port, "/login")
    assert plain.getheader("Set-Cookie", "").startswith("session=")


def test_production_without_a_key_stops_before_serving(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}", "HUIKA_ENV": "production",
           "HUIKA_INSTANCE_PATH": str(tmp_path / "instance"), "PYTHONPATH": str(ROOT)}
    env.pop("HUIKA_SECRET_KEY", None)
    result = subprocess.run([sys.executable, "-m", "webui.cli", "serve", "--port", str(free_port())],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith("error: HUIKA_ENV=production needs HUIKA_SECRET_KEY")
    assert "Traceback" not in result.stderr


def test_a_bad_proxy_count_is_refused(tmp_path, plugin_registry):
    from webui import InsecureConfiguration, create_app

    with pytest.raises(InsecureConfiguration, match="HUIKA_PROXY_HOPS"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}", "SECRET_KEY": "k" * 40,
                    "PROXY_HOPS": "many", "PLUGIN_REGISTRY": plugin_registry})


def test_hup_reloads_gracefully_and_term_stops(served):
    process, port, _log = served
    before = _worker_pids(process.pid)
    os.kill(process.pid, signal.SIGHUP)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        now = _worker_pids(process.pid)
        if len(now) == 2 and not now & before:
            break
        time.sleep(0.2)
    else:
        raise AssertionError("the workers were not replaced after HUP")
    assert _get(port, "/login").status == 200
    os.kill(process.pid, signal.SIGTERM)
    assert process.wait(timeout=60) == 0
