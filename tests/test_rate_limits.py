"""core.rate_limits: the throttle's counters, one atomic upsert per hit, on both databases."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone


from core import rate_limits

T0 = datetime(2026, 3, 1, 2, 0, tzinfo=timezone.utc)
MINUTE = timedelta(minutes=1)


def hit(db, key, now, window=MINUTE) -> int:
    with db.write() as session:
        return rate_limits.count_hit(session, key, window, now)


def test_parallel_hits_from_many_connections_each_get_their_own_count(db):
    threads, per_thread = 8, 25
    counts: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(threads)

    def hitter():
        barrier.wait()
        for _ in range(per_thread):
            count = hit(db, "race", T0)
            with lock:
                counts.append(count)

    workers = [threading.Thread(target=hitter) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    # No two hits saw the same total: a limit of N lets exactly N through.
    assert sorted(counts) == list(range(1, threads * per_thread + 1))


def test_a_window_counts_until_it_ends_then_starts_again(db):
    assert [hit(db, "k", T0 + timedelta(seconds=s)) for s in (0, 10, 59)] == [1, 2, 3]
    with db.read() as session:
        assert rate_limits.current_hits(session, "k", T0 + timedelta(seconds=59)) == 3
        assert rate_limits.window_end(session, "k", T0) == T0 + MINUTE
    assert hit(db, "k", T0 + MINUTE) == 1  # the window that started at T0 is over
    with db.read() as session:
        assert rate_limits.window_end(session, "k", T0 + MINUTE) == T0 + 2 * MINUTE
        assert rate_limits.current_hits(session, "k", T0 + 3 * MINUTE) == 0
        assert rate_limits.window_end(session, "k", T0 + 3 * MINUTE) == T0 + 3 * MINUTE


def test_passed_windows_are_purged_and_keys_cleared(db):
    hit(db, "old", T0)
    hit(db, "new", T0 + MINUTE / 2, window=timedelta(hours=1))
    hit(db, "other", T0, window=timedelta(hours=1))
    with db.write() as session:
        assert rate_limits.purge_expired(session, T0 + MINUTE) == 1
        assert rate_limits.clear(session, "other") == 1
    with db.read() as session:
        assert rate_limits.current_hits(session, "old", T0) == 0
        assert rate_limits.current_hits(session, "new", T0 + MINUTE) == 1
    with db.write() as session:
        assert rate_limits.clear(session) == 1
