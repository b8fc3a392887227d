"""Serving the app in production: gunicorn, started by ``huika serve``.

Each worker builds its own app (no ``preload``): database engines and connections must never
cross a ``fork``. The master only checks the configuration (an insecure one fails before any
worker starts) and migrates the database. ``kill -HUP <master>`` reloads gracefully: new
workers with fresh code start before the old ones finish their requests. Each worker also
runs a scheduler thread; one of them holds the scheduler lock (webui/scheduling.py).
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from gunicorn.app.base import BaseApplication

from .gunicorn_config import (freeze_after_load, post_request, post_worker_init, worker_exit,
                              worker_tmp_dir)

DEFAULT_THREADS = 4


def default_workers() -> int:
    """One worker per core: SQLite serialises writes, so more would only queue."""
    return max(1, os.cpu_count() or 1)


@dataclass
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 5000
    workers: int = 0  # 0: one per core
    threads: int = DEFAULT_THREADS
    timeout: int = 60
    access_log: str = "-"  # a path, or "-" for standard output; "" turns it off
    pid_file: str | None = None
    scheduler: bool = True  # every worker runs a scheduler thread; one gets the lock


def gunicorn_settings(options: ServeOptions) -> dict:
    settings = {
        "bind": f"{options.host}:{options.port}",
        "workers": options.workers or default_workers(),
        "threads": options.threads,
        "worker_class": "gthread" if options.threads > 1 else "sync",
        "timeout": options.timeout,
        "graceful_timeout": 30,
        "keepalive": 5,
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "huika",
        # Limits on the request line and headers, before the app sees anything.
        "limit_request_line": 8190,
        "limit_request_fields": 100,
        # gc.freeze() once the app is built, then the worker's scheduler thread
        "post_worker_init": post_worker_init if options.scheduler else freeze_after_load,
        "worker_exit": worker_exit,  # stops the scheduler thread, gives the lock back
        "post_request": post_request,  # a sync worker ends a finished connection at once
    }
    if worker_tmp_dir:
        settings["worker_tmp_dir"] = worker_tmp_dir
    if options.access_log:
        settings["accesslog"] = options.access_log
        settings["access_log_format"] = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
    if options.pid_file:
        settings["pidfile"] = options.pid_file
    return settings


class HuikaServer(BaseApplication):
    """gunicorn running ``factory()`` in every worker."""

    def __init__(self, factory, options: ServeOptions) -> None:
        self.factory = factory
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for name, value in gunicorn_settings(self.options).items():
            self.cfg.set(name, value)

    def load(self):
        return self.factory()

