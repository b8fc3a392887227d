"""The dispatcher's promises (issue 14, item 4): two dispatchers never send one row twice,
a crash between the gateway accepting and us recording is never blindly resent, and the
merchant's quiet hours, daily cap and opt-outs hold at sending time."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from core.db import Database
from core.messages import enqueue, set_opt_out
from core.messages.dispatch import LEASE, dispatch_due
from core.messages.policy import save_policy
from core.models import MessageAttempt, OutboxMessage
from tests.messages.conftest import DAYTIME, add_member, set_channel, use_sms_gateway, use_tencent


def queue_many(hk, merchant_id, count, first_phone=13800002000):
    members = [add_member(hk, merchant_id, str(first_phone + i), name=f"会员{i}") for i in range(count)]
    with hk.db.write() as session:
        return [enqueue(session, merchant_id, member_id=m, kind="birthday", channel="sms",
                        variables={}, occasion="birthday:2026-12-07", now=DAYTIME)[0] for m in members]


def statuses(hk, ids):
    with hk.db.read() as session:
        return [session.get(OutboxMessage, i).status for i in ids]


def test_two_dispatchers_at_once_send_every_row_exactly_once(hk, shop, sms_gateway, database_url):
    use_sms_gateway(hk, shop.id, sms_gateway)
    ids = queue_many(hk, shop.id, 24)
    workers = [Database.from_url(database_url) for _ in range(2)]
    start = threading.Barrier(2)
    results = []

    def work(db):
        start.wait()
        results.append(dispatch_due(db, hk.plugins, DAYTIME))

    threads = [threading.Thread(target=work, args=(db,)) for db in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for db in workers:
        db.dispose()
    assert sum(result.get("sent", 0) for result in results) == 24
    assert statuses(hk, ids) == ["sent"] * 24
    assert sorted(sms_gateway.deliveries.values()) == [1] * 24 and sms_gateway.duplicates == 0
    assert len(sms_gateway.requests) == 24  # not even a deduplicated second request
    with hk.db.read() as session:
        assert session.scalar(select(func.count()).select_from(MessageAttempt)) == 24


CRASHING_DISPATCHER = """
import sys
from datetime import datetime
from core.db import Database
from core.plugins import build_registry
from core.messages.dispatch import dispatch_due
dispatch_due(Database.from_url(sys.argv[1]), build_registry(), datetime.fromisoformat(sys.argv[2]))
"""


def crash_while_the_gateway_answers(database_url, gateway):
    """Run a dispatcher process and kill it after the gateway accepted, before it heard back."""
    gateway.fail_next("hold")
    process = subprocess.Popen([sys.executable, "-c", CRASHING_DISPATCHER, database_url,
                                DAYTIME.isoformat()], env=os.environ.copy())
    try:
        assert gateway.accepted.wait(60), "the dispatcher never reached the gateway"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(30)
    gateway.release()


def test_a_crash_after_an_idempotent_gateway_accepted_is_resent_under_the_same_key(
        hk, shop, sms_gateway, database_url):
    use_sms_gateway(hk, shop.id, sms_gateway)
    [row] = queue_many(hk, shop.id, 1)
    crash_while_the_gateway_answers(database_url, sms_gateway)
    assert statuses(hk, [row]) == ["sending"]
    assert dispatch_due(hk.db, hk.plugins, DAYTIME + LEASE - timedelta(seconds=1)) == {}  # leased
    result = dispatch_due(hk.db, hk.plugins, DAYTIME + LEASE + timedelta(seconds=1))
    assert result == {"recovered": 1, "sent": 1}
    assert statuses(hk, [row]) == ["sent"]
    assert sms_gateway.deliveries == {f"huika-outbox-{row}": 1} and sms_gateway.duplicates == 1
    with hk.db.read() as session:
        outcomes = session.scalars(select(MessageAttempt.outcome).where(
            MessageAttempt.outbox_id == row).order_by(MessageAttempt.id)).all()
    assert outcomes == ["unknown", "sent"]


def test_a_crash_after_a_non_idempotent_gateway_accepted_is_never_resent(hk, shop, tencent, database_url):
    use_tencent(hk, shop.id, tencent)
    with hk.db.write() as session:
        enqueue(session, shop.id, member_id=add_member(hk, shop.id, "13800002100"), kind="birthday",
                channel="sms", variables={}, now=DAYTIME)
    crash_while_the_gateway_answers(database_url, tencent)
    for minutes in (6, 60, 600):
        dispatch_due(hk.db, hk.plugins, DAYTIME + timedelta(minutes=minutes))
    with hk.db.read() as session:
        row = session.scalars(select(OutboxMessage)).one()
        assert row.status == "failed" and row.last_error.startswith("outcome unknown, not resent")
    assert list(tencent.deliveries.values()) == [1]


def test_quiet_hours_and_the_daily_cap_hold_at_sending_time(hk, shop):
    set_channel(hk, shop.id, "sms", "console")
    with hk.db.write() as session:
        save_policy(session, shop.id, {"daily_cap": 2, "quiet_start": "21:00", "quiet_end": "09:00"})
    ids = queue_many(hk, shop.id, 3)
    evening = datetime(2026, 12, 7, 13, 30, tzinfo=timezone.utc)  # 21:30 in Shanghai
    assert dispatch_due(hk.db, hk.plugins, evening) == {"postponed": 3}
    morning = datetime(2026, 12, 8, 1, 0, tzinfo=timezone.utc)  # 09:00
    with hk.db.read() as session:
        assert {session.get(OutboxMessage, i).next_attempt_at for i in ids} == {morning}
    assert dispatch_due(hk.db, hk.plugins, morning) == {"sent": 2, "capped": 1}
    with hk.db.read() as session:
        capped = session.get(OutboxMessage, ids[2])
        assert capped.status == "capped" and capped.last_error == "daily cap of 2 reached"
        assert capped.next_attempt_at == datetime(2026, 12, 9, 1, 0, tzinfo=timezone.utc)
    assert dispatch_due(hk.db, hk.plugins, morning + timedelta(hours=5)) == {}
    assert dispatch_due(hk.db, hk.plugins, datetime(2026, 12, 9, 1, 0, tzinfo=timezone.utc)) == {"sent": 1}


def test_an_opt_out_after_queueing_suppresses_and_a_missing_gateway_fails(hk, shop):
    [row] = queue_many(hk, shop.id, 1)
    with hk.db.write() as session:
        member_id = session.get(OutboxMessage, row).member_id
        set_opt_out(session, shop.id, member_id, "all", True)
    assert dispatch_due(hk.db, hk.plugins, DAYTIME) == {"suppressed": 1}
    [other] = queue_many(hk, shop.id, 1, first_phone=13800002200)
    assert dispatch_due(hk.db, hk.plugins, DAYTIME) == {"failed": 1}  # no SMS gateway set up
    with hk.db.read() as session:
        assert session.get(OutboxMessage, other).last_error == "no gateway set up for sms"


def test_login_codes_go_out_in_quiet_hours_and_expire_unsent(hk, shop, sms_gateway):
    from core.clock import MERCHANT_TZ
    from core.messaging import OutboxSender, request_login_code

    use_sms_gateway(hk, shop.id, sms_gateway)
    add_member(hk, shop.id, "13800002300")
    now = datetime.now(timezone.utc)
    local = now.astimezone(MERCHANT_TZ)
    with hk.db.write() as session:  # quiet right now, whatever the hour the test runs
        save_policy(session, shop.id, {"quiet_start": (local - timedelta(hours=1)).strftime("%H:%M"),
                                       "quiet_end": (local + timedelta(hours=1)).strftime("%H:%M")})
        request_login_code(session, shop.id, "13800002300", sender=OutboxSender(), text="验证码{code}")
    assert dispatch_due(hk.db, hk.plugins, now + timedelta(seconds=5)) == {"sent": 1}
    assert sms_gateway.requests[-1]["json"]["text"].startswith("【花间】验证码")
    with hk.db.write() as session:
        request_login_code(session, shop.id, "13800002300", sender=OutboxSender(), text="验证码{code}")
    assert dispatch_due(hk.db, hk.plugins, now + timedelta(minutes=11)) == {"failed": 1}


def test_the_dispatch_job_runs_the_dispatcher(hk, shop):
    from core.messages.job import DISPATCH_EVERY, dispatch_jobs, run_dispatch

    set_channel(hk, shop.id, "sms", "console")
    queue_many(hk, shop.id, 2)
    assert run_dispatch(hk.db, hk.plugins, DAYTIME) == {"sent": 2}
    [job] = dispatch_jobs()
    assert (job.id, job.every, job.per_merchant) == ("messages.dispatch", DISPATCH_EVERY, False)


def test_a_scheduler_tick_sends_the_due_messages(hk, shop):
    from core.jobs import run_due

    set_channel(hk, shop.id, "sms", "console")
    ids = queue_many(hk, shop.id, 2)
    [job] = [j for j in hk.plugins.jobs() if j.id == "messages.dispatch"]
    assert job.plugin == "core"
    [run] = run_due(hk.db, hk.plugins, DAYTIME, jobs=[job])
    assert run["status"] == "done" and run["result"] == {"sent": 2}
    assert statuses(hk, ids) == ["sent", "sent"]
