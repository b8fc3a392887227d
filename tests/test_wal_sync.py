"""A SQLite commit is fsynced before the committer goes on, after the writer's turn (core.wal_sync).

A power cut cannot be staged here; what is checked is what the durability rests on: the
connections' ``synchronous`` setting, that every commit path is followed by its fsync (and
only then the caller goes on), that a write transaction's fsync comes after its writer's turn
(another writer can start meanwhile), and that a new WAL file's folder is synced once.
"""
from __future__ import annotations

import os
import threading

import pytest
from sqlalchemy import text

from core.db import Database, make_engine, wal_sync_of
from core.wal_sync import AFTER_COMMIT, FULL


@pytest.fixture
def database(sqlite_notes_database):
    return sqlite_notes_database


def _synchronous(engine) -> int:
    with engine.connect() as connection:
        return connection.exec_driver_sql("PRAGMA synchronous").scalar_one()


def _note(session, words="a note") -> None:
    session.execute(text("INSERT INTO notes (text) VALUES (:words)"), {"words": words})


def test_sqlite_commits_without_fsync_and_syncs_itself(database):
    assert _synchronous(database.engine) == 1  # NORMAL: COMMIT writes the WAL, no fsync
    wal = wal_sync_of(database.engine)
    before = wal.syncs
    with database.write() as session:
        _note(session)
    assert wal.syncs == before + 1
    assert os.path.getsize(wal.wal_file) > 0


def test_commits_in_a_deferred_block_are_synced_once_at_its_end(database):
    wal = wal_sync_of(database.engine)
    before = wal.syncs
    with wal.deferred():
        with database.engine.begin() as connection:
            connection.execute(text("INSERT INTO notes (text) VALUES ('first')"))
        assert wal.syncs == before
        with wal.deferred():  # nested: the outermost block's end counts
            with database.engine.begin() as connection:
                connection.execute(text("INSERT INTO notes (text) VALUES ('second')"))
        assert wal.syncs == before
    assert wal.syncs == before + 1


def test_a_refused_write_waits_for_the_disk_too(database):
    """A write that rolls back (a refusal) may have read another writer's commit that is not
    on disk yet: its answer waits for the WAL's fsync as well."""
    wal = wal_sync_of(database.engine)
    before = wal.syncs
    with pytest.raises(RuntimeError):
        with database.write() as session:
            _note(session)
            raise RuntimeError("refused")
    assert wal.syncs == before + 1
    with database.read() as session:
        assert session.execute(text("SELECT count(*) FROM notes")).scalar_one() == 0


def test_commits_outside_database_write_sync_at_once(database):
    """Migrations and tools commit on the engine: their fsync follows the COMMIT directly."""
    wal = wal_sync_of(database.engine)
    before = wal.syncs
    with database.engine.begin() as connection:
        connection.execute(text("INSERT INTO notes (text) VALUES ('by a tool')"))
    assert wal.syncs == before + 1


def test_the_fsync_comes_after_the_writers_turn(database):
    """While one write waits for the disk, the next writer has its turn already."""
    wal = wal_sync_of(database.engine)
    real_sync = wal.sync
    seen = {}

    def sync_watching_the_turn():
        if "first_sync" in seen:  # the other writer's own sync
            return real_sync()
        seen["first_sync"] = True
        other = threading.Thread(target=lambda: seen.setdefault("other_wrote", _write_other()))
        other.start()
        other.join(10)
        real_sync()

    def _write_other():
        with database.write() as session:  # blocks if this thread still held the turn
            _note(session, "the next writer")
        return True

    wal.sync = sync_watching_the_turn
    try:
        with database.write() as session:
            _note(session, "the first writer")
    finally:
        wal.sync = real_sync
    assert seen == {"first_sync": True, "other_wrote": True}
    with database.read() as session:
        assert session.execute(text("SELECT count(*) FROM notes")).scalar_one() == 2


def test_a_failed_fsync_stops_writing_in_every_process_until_the_marker_goes(
        database, monkeypatch):
    """After an fsync failure nothing more is written to the file: not by this process, not
    by another one (a second Database stands in for another worker), not after a restart,
    until the operator removes the marker file; reads go on."""
    import core.wal_sync

    wal = wal_sync_of(database.engine)
    real = core.wal_sync._datasync

    def failing(fd):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(core.wal_sync, "_datasync", failing)
    with pytest.raises(core.wal_sync.DiskFailure):
        with database.write() as session:
            _note(session, "its fsync fails")
    monkeypatch.setattr(core.wal_sync, "_datasync", real)
    assert os.path.exists(wal.failure_file)
    other = Database.from_url(str(database.engine.url))  # another worker, or a restart
    try:
        with pytest.raises(core.wal_sync.DiskFailure, match="remove .*-fsync-failed"):
            with other.write() as session:
                _note(session, "refused before it is written")
        with other.read() as session:  # reads go on; the refused write left nothing
            assert session.execute(text("SELECT text FROM notes")).scalars().all() == [
                "its fsync fails"]
        with pytest.raises(core.wal_sync.DiskFailure):
            other.wait_for_disk()  # a replay is refused too
    finally:
        other.dispose()
    os.remove(wal.failure_file)
    restarted = Database.from_url(str(database.engine.url))
    try:
        with restarted.write() as session:
            _note(session, "after the disk was checked")
    finally:
        restarted.dispose()


def test_full_mode_leaves_the_fsync_to_sqlite(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'full.sqlite'}", sqlite_sync=FULL)
    try:
        assert _synchronous(engine) == 2
        assert wal_sync_of(engine) is None
    finally:
        engine.dispose()


def test_a_memory_database_needs_no_wal_sync():
    engine = make_engine("sqlite://", sqlite_sync=AFTER_COMMIT)
    try:
        assert wal_sync_of(engine) is None
    finally:
        engine.dispose()


def test_an_unknown_mode_is_refused_at_start(tmp_path):
    from webui import create_app

    with pytest.raises(ValueError, match="HUIKA_SQLITE_SYNC must be one of after_commit, full"):
        make_engine(f"sqlite:///{tmp_path / 'x.sqlite'}", sqlite_sync="sometimes")
    with pytest.raises(ValueError, match="not 'sometimes'"):
        create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'y.sqlite'}",
                    "SECRET_KEY": "test-secret", "HUIKA_SQLITE_SYNC": "sometimes"})
