"""gunicorn settings module for running the app with gunicorn directly:
``gunicorn -c python:webui.gunicorn_config 'webui:create_app()'`` (``huika serve`` sets the
same hooks itself, webui/serving.py).

Once a worker has built (or, with ``--preload``, inherited) the app, everything alive then
(modules, the app, compiled statements, schemas) lives as long as the worker: ``gc.freeze``
moves it out of the garbage collector's generations, so the collections that requests trigger
no longer walk it again and again (issue 11, F4), and forked workers keep sharing those pages
instead of copying them when the collector would touch their reference counts.

Then the worker starts its scheduler thread, unless ``HUIKA_SCHEDULER=off``: the workers
compete for the installation's scheduler lock, one runs the jobs (webui/scheduling.py).
"""
from __future__ import annotations

import gc

from . import scheduling


def freeze_after_load(worker) -> None:
    """gunicorn hook without the scheduler (``huika serve --no-scheduler``)."""
    gc.collect()
    gc.freeze()


def post_worker_init(worker) -> None:
    """gunicorn hook: after the worker has loaded the app, before its first request."""
    freeze_after_load(worker)
    if scheduling.wanted():
        scheduling.start_in_worker(worker)


def worker_exit(server, worker) -> None:
    """gunicorn hook: in the worker, as it ends (not after a SIGKILL: the lock dies with it)."""
    scheduling.stop_in_worker(worker)
