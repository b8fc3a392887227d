"""SQLite writers of every process queue on a lock file before BEGIN IMMEDIATE (core.writer_lock).

Each test holds a turn in another process (a real ``python`` subprocess or a fork) and watches
this process's writer wait for it, get it when the holder leaves or dies, and give up after
its time limit. No test measures speed: "waits" is checked as "has not got in while the other
still holds it", and "got its turn" by what the queue reports, not by a clock.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from core import db as core_db
from core.db import Database
from core.writer_lock import LOCK_FILE_SUFFIX, queue_for

REPOSITORY = Path(__file__).resolve().parents[1]
NOT_YET = 0.5  # seconds a blocked writer is given to (wrongly) get in

# A writer in another process: takes its turn (and with "insert", SQLite's write lock too),
# says "holding", and keeps it until a line arrives on stdin (or it is killed).
HOLDER = """
import sys
from sqlalchemy import text
from core.db import Database
db = Database.from_url(sys.argv[1])
with db.write() as session:
    if sys.argv[2] == "insert":
        session.execute(text("INSERT INTO notes (text) VALUES ('from the holder')"))
    print("holding", flush=True)
    sys.stdin.readline()
print("released", flush=True)
"""


@pytest.fixture
def database(sqlite_notes_database):
    return sqlite_notes_database


def _start_holder(database: Database, mode: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPOSITORY),
                                                                     os.environ.get("PYTHONPATH")]))}
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(database.engine.url), mode],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    assert holder.stdout.readline().strip() == "holding"
    return holder


def _writer_in_thread(database: Database, note: str) -> tuple[threading.Thread, threading.Event]:
    entered = threading.Event()

    def write():
        with database.write() as session:
            entered.set()
            session.execute(text("INSERT INTO notes (text) VALUES (:note)"), {"note": note})

    thread = threading.Thread(target=write)
    thread.start()
    return thread, entered


def _notes(database: Database) -> list[str]:
    with database.read() as session:
        return list(session.scalars(text("SELECT text FROM notes ORDER BY id")))


def test_the_lock_file_lies_beside_the_database(database):
    path = Path(database.engine.url.database)
    assert database._writers.lock_file == path.with_name(path.name + LOCK_FILE_SUFFIX)
    assert database._writers.lock_file.exists()


def test_a_writer_waits_for_another_process_that_has_its_turn(database):
    # The holder has run no statement, so SQLite itself would let this writer in at once:
    # only the lock file keeps it out until the holder is done.
    holder = _start_holder(database, "idle")
    thread, entered = _writer_in_thread(database, "after the holder")
    try:
        assert not entered.wait(NOT_YET), "a writer got in while another process had its turn"
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "released"
        assert entered.wait(30)
    finally:
        holder.kill()
        holder.wait()
        thread.join()
    assert _notes(database) == ["after the holder"]


def test_a_holder_that_dies_mid_transaction_frees_the_turn(database, monkeypatch):
    monkeypatch.setattr(core_db, "SQLITE_BUSY_TIMEOUT_MS", 120_000)  # no fallback: the turn must come
    holder = _start_holder(database, "insert")
    queue = queue_for(database.engine.url.database)
    got_turn = []

    def wait_for_turn():
        with queue.turn(120) as mine:
            got_turn.append(mine)

    thread = threading.Thread(target=wait_for_turn)
    thread.start()
    assert not thread.join(NOT_YET) and thread.is_alive()
    holder.send_signal(signal.SIGKILL)  # mid-transaction: no COMMIT, no ROLLBACK, no unlock
    holder.wait()
    thread.join(120)
    assert got_turn == [True], "the dead holder's lock was not released"
    with database.write() as session:
        session.execute(text("INSERT INTO notes (text) VALUES ('after the crash')"))
    assert _notes(database) == ["after the crash"]  # the dead holder's insert never happened


def test_past_the_time_limit_a_writer_goes_on_and_the_next_one_waits_again(database, monkeypatch):
    monkeypatch.setattr(core_db, "SQLITE_BUSY_TIMEOUT_MS", 300)
    holder = _start_holder(database, "idle")  # holds the turn, not SQLite's lock
    queue = queue_for(database.engine.url.database)
    try:
        with queue.turn(0.3) as mine:
            assert mine is False
        # It went on without its turn; SQLite had no writer, so the write itself succeeds.
        with database.write() as session:
            session.execute(text("INSERT INTO notes (text) VALUES ('without a turn')"))
        # The given-up wait is still on in the helper thread: the next writer adopts it.
        monkeypatch.setattr(core_db, "SQLITE_BUSY_TIMEOUT_MS", 120_000)
        thread, entered = _writer_in_thread(database, "after the holder")
        assert not entered.wait(NOT_YET), "a writer got in while another process had its turn"
        holder.stdin.write("\n")
        holder.stdin.flush()
        thread.join(120)
        assert entered.is_set()
    finally:
        holder.kill()
        holder.wait()
    with queue.turn(120) as mine:  # free again: got at once, nobody left holding it
        assert mine is True
    assert _notes(database) == ["without a turn", "after the holder"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_queues_behind_its_parent(database):
    """gunicorn --preload forks workers from a master that built the Database: a child must
    open its own lock file (a shared one would let both in) and not inherit a held turn."""
    queue = queue_for(database.engine.url.database)
    release_read, release_write = os.pipe()
    report_read, report_write = os.pipe()
    with queue.turn(5) as mine:
        assert mine
        child = os.fork()
        if child == 0:  # pragma: no cover - runs in the child
            code = 1
            try:
                os.close(release_write)
                with queue.turn(120) as child_turn:
                    os.write(report_write, b"T" if child_turn else b"F")
                code = 0
            finally:
                os._exit(code)
        os.close(report_write)
        os.close(release_read)
        blocked = threading.Event()
        reported = []

        def read_report():
            reported.append(os.read(report_read, 1))
            blocked.set()

        reader = threading.Thread(target=read_report)
        reader.start()
        assert not blocked.wait(NOT_YET), "the forked child got a turn its parent holds"
    reader.join(120)
    _pid, status = os.waitpid(child, 0)
    os.close(release_write)
    os.close(report_read)
    assert reported == [b"T"] and os.waitstatus_to_exitcode(status) == 0


def test_postgresql_writers_take_no_lock_file(tmp_path):
    database = Database.from_url("postgresql://nobody@127.0.0.1:1/none")  # never connects
    assert database._writers is None
