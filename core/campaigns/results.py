"""How a campaign went: who it reached, what the outbox did with the messages, who used the
benefit and who came back to buy within N days of the send.

Messages: the outbox rows carrying the campaign's id (core.messages) by status: delivered
(``sent``), failed (``failed``, ``dead``), waiting (``queued``, ``sending``, ``capped``),
suppressed (opted out, no address). Opted-out members: the recipients marked ``opted_out``.
Redemptions come from the ``campaign_redemptions`` hook of the plugin owning the benefit
(coupons: a campaign coupon used at a checkout, not given back by a return); purchases are
the recipients' checkouts within the window.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..merchant_config import MerchantConfig
from ..models import Campaign, CampaignRecipient, Checkout, OutboxMessage

MESSAGE_GROUPS = {"sent": "delivered", "failed": "failed", "dead": "failed", "queued": "waiting",
                  "sending": "waiting", "capped": "waiting", "suppressed": "suppressed"}
MAX_WINDOW_DAYS = 365


def results(session: Session, config: MerchantConfig, campaign: Campaign, days: int) -> dict:
    """The campaign's figures; the redemption and purchase window is ``days`` from the send."""
    recipients = dict(session.execute(
        select(CampaignRecipient.status, func.count()).where(CampaignRecipient.campaign_id == campaign.id)
        .group_by(CampaignRecipient.status)).all())
    benefits = session.execute(
        select(func.count(CampaignRecipient.benefit_ref), func.count(CampaignRecipient.benefit_problem))
        .where(CampaignRecipient.campaign_id == campaign.id)).one()
    messages = {"delivered": 0, "failed": 0, "waiting": 0, "suppressed": 0}
    for status, count in session.execute(
            select(OutboxMessage.status, func.count()).where(OutboxMessage.merchant_id == campaign.merchant_id,
                                                             OutboxMessage.campaign_id == campaign.id)
            .group_by(OutboxMessage.status)):
        group = MESSAGE_GROUPS.get(status, "waiting")
        messages[group] += count
    answer = {"campaign_id": campaign.id, "status": campaign.status, "audience": campaign.audience,
              "recipients": sum(recipients.values()), "opted_out": recipients.get("opted_out", 0),
              "no_channel": recipients.get("no_channel", 0), "messages": messages,
              "benefits_given": benefits[0], "benefits_refused": benefits[1],
              "days": days, "window": None, "redeemed": 0, "buyers": 0, "buyers_spend_fen": 0}
    if campaign.started_at is None:
        return answer
    since, until = campaign.started_at, campaign.started_at + timedelta(days=days)
    answer["window"] = {"from": since.isoformat(), "to": until.isoformat()}
    if campaign.benefit:
        found = config.hook("campaign_redemptions")(session=session, merchant_id=campaign.merchant_id,
                                                    campaign_id=campaign.id, since=since, until=until)
        answer["redeemed"] = sum(count for count in found if count)
    reached = select(CampaignRecipient.member_id).where(CampaignRecipient.campaign_id == campaign.id)
    buyers, spend = session.execute(
        select(func.count(func.distinct(Checkout.member_id)), func.coalesce(func.sum(Checkout.due_total_fen), 0))
        .where(Checkout.merchant_id == campaign.merchant_id, Checkout.member_id.in_(reached),
               Checkout.created_at >= since, Checkout.created_at < until)).one()
    answer["buyers"], answer["buyers_spend_fen"] = buyers, int(spend)
    return answer
