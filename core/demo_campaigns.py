"""The demo merchant's campaigns (issue 14 item 5): one sent, one scheduled, one draft.

Made through core.campaigns like an owner's, after the sales history so the RFM and dormant
segments have buyers to find. The sent one goes through the same batches as a real send
(its messages wait in the outbox for the dispatcher; without a channel set up they are
counted as 无可用渠道).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from .campaigns import definitions, sending
from .clock import MERCHANT_TZ, local_date
from .merchant_config import MerchantConfig


def add_demo_campaigns(session: Session, config: MerchantConfig, merchant_id: int, staff_id: int,
                       now: datetime) -> list[int]:
    today = local_date(now)
    dormant = definitions.create(session, config, merchant_id, {
        "name": "好久不见·回店有礼", "segment": {"dormant_days": 30},
        "message": {"text": "{name}，好久不见！{merchant}本周到店消费满100元立减10元。"}},
        staff_id=staff_id, now=now)
    sending.start(session, merchant_id, dormant.id, now)
    session.refresh(dormant)
    pending = sending.pending_members(session, config, dormant, now)
    dormant.audience = len(pending)
    sending.send_batch(session, config, dormant, pending, now)
    dormant.summary = sending.reached(session, dormant.id)
    dormant.status, dormant.finished_at = "sent", now
    next_week = datetime.combine(today + timedelta(days=7), datetime.min.time()).replace(hour=10, tzinfo=MERCHANT_TZ)
    valued = definitions.create(session, config, merchant_id, {
        "name": "重要价值客户专享", "segment": {"rfm": {"segments": ["important_value", "important_retention"]}},
        "message": {"text": "{name}，感谢您一直以来的支持，{merchant}为您准备了会员专享礼。"},
        "send_at": next_week.strftime("%Y-%m-%dT%H:%M")}, staff_id=staff_id, now=now)
    birthday = definitions.create(session, config, merchant_id, {
        "name": f"{today.month}月寿星关怀", "segment": {"birthday_month": {"month": today.month}},
        "message": {"text": "{name}，生日快乐！本月到店出示会员卡领取生日礼。"}}, staff_id=staff_id, now=now)
    session.flush()
    return [dormant.id, valued.id, birthday.id]
