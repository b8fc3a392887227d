"""SQLite durability after the writer's turn (core.wal_sync), from the review: no commit is told
to anyone before it is on disk, and no commit's fsync is skipped.

Each test states the claim of core/wal_sync.py / docs/operations.md it checks: "every answered
write is on disk exactly as under FULL", "every commit of this engine is followed by the WAL's
fsync". A power cut cannot be staged; like tests/test_wal_sync.py these tests watch the fsyncs.
"""
from __future__ import annotations

import os
import threading

import pytest
from sqlalchemy import text

from core import cards, config_versions
from core.db import Database, wal_sync_of
from tests.support.factories import basic_document, make_merchant


# --- 1. a replay waits for the replayed commit's fsync ----------------------------------------

@pytest.fixture
def sqlite_shop(hk):
    if hk.db.dialect != "sqlite":
        pytest.skip("the WAL fsync is SQLite's")
    made = make_merchant(hk, "落盘店", basic_document())
    with hk.db.write() as session:
        config = config_versions.published_config(session, made.id, hk.plugins)
        card = cards.issue_card(session, config, made.id, {"number": "DISK01"})
        card.status = "active"
    return made


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_replay_is_not_answered_before_the_replayed_commit_is_on_disk(hk, app, sqlite_shop):
    """Request A commits a checkout and waits for its fsync (held here, as a slow disk would).
    Its till times out and retries with the same Idempotency-Key. Under FULL the retry cannot
    see A's commit before it is on disk; here it reads it at once and answers "paid" (201,
    Idempotent-Replayed) while A's commit is still only in the page cache: a power cut now
    loses a sale the till was told about. The retry must not answer before some fsync of the
    WAL has completed after A's commit (its own fsync would do: it covers every frame)."""
    wal = wal_sync_of(hk.db.engine)
    real_sync = wal.sync
    a_committed, release = threading.Event(), threading.Event()
    state = {"a_thread": None, "syncs_after_a": 0}

    def watched_sync():
        if threading.current_thread() is state["a_thread"] and not a_committed.is_set():
            a_committed.set()
            release.wait(20)  # A's fsync, slow
        elif a_committed.is_set():
            real_sync()
            state["syncs_after_a"] += 1
            return
        real_sync()

    body = {"card_number": "DISK01", "lines": [{"sku": "TEA", "unit_price_fen": 1000, "quantity": 1}],
            "payments": [{"method": "cash", "amount_fen": 950}]}
    headers = {**sqlite_shop.headers("cashier"), "Idempotency-Key": "slow-disk-1"}
    answers = {}

    def request_a():
        answers["a"] = app.test_client().post("/api/v1/checkout", json=body, headers=headers)

    wal.sync = watched_sync
    try:
        first = threading.Thread(target=request_a)
        state["a_thread"] = first
        first.start()
        assert a_committed.wait(20), "request A never committed"
        retry = app.test_client().post("/api/v1/checkout", json=body, headers=headers)
        synced_before_the_retry_answered = state["syncs_after_a"]
        release.set()
        first.join(20)
    finally:
        release.set()
        wal.sync = real_sync
    assert answers["a"].status_code == 201, answers["a"].json
    assert retry.status_code == 201 and retry.headers.get("Idempotent-Replayed") == "true"
    assert synced_before_the_retry_answered > 0, (
        "the retry replayed A's answer while A's commit was not yet fsynced")


# --- 2. a database file reached through a symbolic link ------------------------------------

def test_a_symlinked_database_file_is_still_fsynced(tmp_path):
    """SQLite resolves symbolic links and keeps its WAL beside the real file: a WAL looked
    for beside the link is never found, and with synchronous=NORMAL no commit would be
    fsynced. WalSync follows the file SQLite opened (PRAGMA database_list)."""
    (tmp_path / "disk").mkdir()
    (tmp_path / "etc").mkdir()
    real = tmp_path / "disk" / "huika.sqlite"
    link = tmp_path / "etc" / "huika.sqlite"
    real.touch()
    link.symlink_to(real)
    database = Database.from_url(f"sqlite:///{link}")
    try:
        with database.write() as session:
            session.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)"))
        wal = wal_sync_of(database.engine)
        before = wal.syncs
        with database.write() as session:
            session.execute(text("INSERT INTO notes (text) VALUES ('a sale')"))
        assert os.path.exists(f"{real}-wal")  # SQLite's WAL: beside the real file
        assert wal.syncs == before + 1, f"no fsync: WalSync watched {wal.wal_file}"
    finally:
        database.dispose()


# --- 3. after a failed fsync, later commits are not answered --------------------------------

def test_after_a_failed_fsync_later_commits_are_not_answered(sqlite_notes_database, monkeypatch):
    """Commit A's fsync fails (EIO): A's request answers 500, but A's frames stay committed in
    the WAL (readers see them, a retry replays them), and the next commits append after them
    and are fsynced on fresh file descriptors, which Linux does not tell about the earlier
    write-back error. If A's pages never reached the disk, recovery stops at A's frames (the
    checksum chain) and every later, answered, commit is lost with it. Under FULL, A's COMMIT
    itself fails and its frames are overwritten. So the next write must not be answered."""
    import core.wal_sync

    database = sqlite_notes_database
    real = core.wal_sync._datasync
    failures = {"left": 1}

    def failing_once(fd):
        if failures["left"]:
            failures["left"] -= 1
            raise OSError(5, "Input/output error")
        return real(fd)

    monkeypatch.setattr(core.wal_sync, "_datasync", failing_once)
    with pytest.raises(OSError):
        with database.write() as session:
            session.execute(text("INSERT INTO notes (text) VALUES ('A: its fsync fails')"))
    with database.read() as session:  # A is committed all the same
        assert session.execute(text("SELECT count(*) FROM notes")).scalar_one() == 1
    with pytest.raises(OSError):  # fail-stop: nothing more is acknowledged on this file
        with database.write() as session:
            session.execute(text("INSERT INTO notes (text) VALUES ('B: answered after A failed')"))
