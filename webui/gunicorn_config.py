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
import os

from . import scheduling

# gunicorn's workers touch a heartbeat file all the time: on a disk-backed /tmp that metadata
# write waits behind the database's fsyncs, and they behind it (gunicorn's docs advise
# /dev/shm). Measured with the bench: the same checkouts, heartbeats in /tmp vs /dev/shm.
HEARTBEAT_FOLDER = "/dev/shm"


def heartbeat_folder() -> str | None:
    """Where workers keep their heartbeat files: memory, where there is such a folder."""
    if os.path.isdir(HEARTBEAT_FOLDER) and os.access(HEARTBEAT_FOLDER, os.W_OK):
        return HEARTBEAT_FOLDER
    return None


worker_tmp_dir = heartbeat_folder()  # a gunicorn setting (None: gunicorn's default, /tmp)


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
