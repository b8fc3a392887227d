"""gunicorn settings module for running the app with gunicorn directly:
``gunicorn -c python:webui.gunicorn_config 'webui:create_app()'`` (``huika serve`` sets the
same hook itself, webui/serving.py).

Once a worker has built (or, with ``--preload``, inherited) the app, everything alive then
(modules, the app, compiled statements, schemas) lives as long as the worker: ``gc.freeze``
moves it out of the garbage collector's generations, so the collections that requests trigger
no longer walk it again and again (issue 11, F4), and forked workers keep sharing those pages
instead of copying them when the collector would touch their reference counts.
"""
from __future__ import annotations

import gc


def post_worker_init(worker) -> None:
    """gunicorn hook: after the worker has loaded the app, before its first request."""
    gc.collect()
    gc.freeze()
