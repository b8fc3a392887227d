"""The demo merchant shows messages on the first run (issue 14, demo contract)."""
from __future__ import annotations

from sqlalchemy import select

from core.demo import load_demo
from core.models import MessageChannel, MessageTemplate, OutboxMessage


def test_the_demo_has_a_console_gateway_a_template_and_sent_messages(hk):
    with hk.db.write() as session:
        demo = load_demo(session, hk.plugins, member_count=6)
    with hk.db.read() as session:
        # The messages part's own rows; the demo's campaigns and event sign-ups add theirs.
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.merchant_id == demo.merchant_id,
                                                           OutboxMessage.occasion.like("demo:%"))).all()
        assert len(rows) == 4 and {r.status for r in rows} == {"sent"}
        assert {r.kind for r in rows} == {"birthday", "low_balance"}
        assert any("充值满500元送50元" in r.body and "¥" in r.body for r in rows)
        assert session.scalar(select(MessageChannel.sender).where(
            MessageChannel.merchant_id == demo.merchant_id)) == "console"
        assert session.scalar(select(MessageTemplate.kind)) == "low_balance"
