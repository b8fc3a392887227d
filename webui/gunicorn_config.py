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
import socket

from gunicorn.http.body import LengthReader
from gunicorn.workers.sync import SyncWorker

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


def post_request(worker, req, environ, resp) -> None:
    """gunicorn hook: after a sync worker answered, end a connection with nothing left to read.

    The sync worker closes every connection after its answer the way RFC 9112 9.6 asks: it
    sends FIN, then waits up to two seconds for the client to close, reading what the client
    still sends, so that no unread request bytes make the kernel answer with a reset that
    could destroy the response in flight. When the request was read whole and nothing more is
    waiting in the kernel, there is nothing to read: that wait only parks the worker until the
    client's close arrives, a sleep and a wake-up per request (about a tenth of a member
    lookup's server CPU, issue 11 F4). Then the connection is shut both ways here, and
    gunicorn's close finds the end at once. A request with unread body bytes, a chunked one, a
    client that sent more, an answer not sent whole, or a kept-alive connection (threaded
    workers): gunicorn waits as before.
    """
    if resp is None or type(worker) is not SyncWorker or not resp.headers_sent:
        return
    if resp.response_length is not None and resp.sent < resp.response_length:
        return
    reader = getattr(getattr(req, "body", None), "reader", None)
    if not isinstance(reader, LengthReader) or reader.length != 0:
        return  # body bytes not read (or chunked / read to the end of the stream)
    client = environ.get("gunicorn.socket")
    if client is None:
        return
    try:
        if client.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT):
            return  # the client sent more: gunicorn reads it before closing
    except BlockingIOError:
        pass  # nothing waiting: the request was all there was
    except OSError:
        return
    try:
        client.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # the client is gone already: gunicorn's close ends it as usual


def worker_exit(server, worker) -> None:
    """gunicorn hook: in the worker, as it ends (not after a SIGKILL: the lock dies with it)."""
    scheduling.stop_in_worker(worker)
