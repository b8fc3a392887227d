"""The demo's inbox (issue 14 item 2): ``huika demo`` fills today's calls from the demo's
reminders, one made with a note and one moved to tomorrow; the API shows the rest to call."""
from __future__ import annotations

from sqlalchemy import select

from core.clock import local_date, now_utc
from core.demo import load_demo
from core.models import CareDay, CareTask


def test_the_demo_inbox_has_todays_calls_at_work(hk, client):
    with hk.db.write() as session:
        result = load_demo(session, hk.plugins, member_count=4)
    with hk.db.read() as session:
        tasks = session.execute(select(CareTask.status, CareTask.note, CareTask.kind)
                                .where(CareTask.merchant_id == result.merchant_id).order_by(CareTask.id)).all()
        filled = session.scalar(select(CareDay.day).where(CareDay.merchant_id == result.merchant_id))
    assert filled == local_date(now_utc()) and len(tasks) >= 3
    assert [(status, note) for status, note, _kind in tasks[:2]] == [("done", "已电话联系，周六到店"), ("snoozed", "没接电话，明天再打")]
    listed = client.get("/api/v1/inbox", headers={"Authorization": f"Bearer {result.tokens['owner']}"}).json
    assert listed["total"] == len(tasks) - 2
    assert {kind for _status, _note, kind in tasks} >= {"birthday", "anniversary", "dormant"}
