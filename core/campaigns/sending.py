"""Sending a campaign: each member of its segment gets at most one message and one benefit.

The segment is evaluated once when a send starts (one query); its members are then handled
in batches, one transaction each, so a 100 000-member campaign never holds one huge
transaction. Per member, in the batch's transaction: a ``campaign_recipients`` row (unique per
campaign and member), the benefit through the ``grant_benefit`` hook, the outbox rows through
core.messages.enqueue. A send that is retried, resumed after a crash or run twice at once
skips the members that already have their row: the unique key decides, under a savepoint,
so the loser of a race adds nothing.

A member whose channels are all opted out gets a recipient row ``opted_out`` (and the
benefit, which is not a message); one that no enabled channel reaches gets ``no_channel``.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import benefits
from ..clock import local_date
from ..config_versions import published_config
from ..db import Database
from ..errors import Conflict, HuikaError
from ..merchant_config import MerchantConfig
from ..messages import enqueue, render
from ..models.campaigns import RECIPIENT_STATUSES
from ..models import Campaign, CampaignRecipient, Card, Member, MessageTemplate, OutboxMessage
from .segments import segment_problems, segment_query

BATCH = 500
IN_REQUEST = 2000  # members a web request sends itself; the scheduler's job sends the rest
KIND = "campaign"


def start(session: Session, merchant_id: int, campaign_id: int, now: datetime) -> bool:
    """Move the campaign to ``sending`` (from draft, scheduled or sending: a resumed send);
    False when it is sent or cancelled."""
    moved = session.execute(
        update(Campaign).where(Campaign.id == campaign_id, Campaign.merchant_id == merchant_id,
                               Campaign.status.in_(("draft", "scheduled", "sending")))
        .values(status="sending", updated_at=now)).rowcount
    if moved:
        session.execute(update(Campaign).where(Campaign.id == campaign_id, Campaign.started_at.is_(None))
                        .values(started_at=now))
    return bool(moved)


def check_still_valid(session: Session, config: MerchantConfig, campaign: Campaign) -> None:
    """Conflict when the published configuration changed under the segment (a tier or field
    removed, a field retyped): the owner fixes the campaign before it goes out."""
    problems = segment_problems(session, config, campaign.merchant_id, campaign.segment)
    if problems:
        raise Conflict("the campaign's segment no longer fits the published configuration; edit it first",
                       code="campaign_segment_stale", details=problems)


def pending_members(session: Session, config: MerchantConfig, campaign: Campaign, now: datetime) -> list[int]:
    """The segment's members now, less those the campaign reached already, in id order."""
    members = segment_query(session, config, campaign.merchant_id, campaign.segment, local_date(now))
    reached = select(CampaignRecipient.id).where(CampaignRecipient.campaign_id == campaign.id,
                                                 CampaignRecipient.member_id == Member.id)
    return list(session.scalars(members.where(~reached.exists())))


def send_batch(session: Session, config: MerchantConfig, campaign: Campaign, member_ids: list[int],
               now: datetime) -> dict:
    """Reach each member of ``member_ids`` once, in ``session``; counts by recipient status."""
    counts = {"queued": 0, "opted_out": 0, "no_channel": 0, "skipped": 0, "benefits": 0}
    cards = _first_active_cards(session, campaign.merchant_id, member_ids) if campaign.benefit else {}
    for member_id in member_ids:
        recipient = CampaignRecipient(merchant_id=campaign.merchant_id, campaign_id=campaign.id,
                                      member_id=member_id, status="queued", messages=0, created_at=now)
        try:
            with session.begin_nested():
                session.add(recipient)
                session.flush()
        except IntegrityError:  # reached already, by an earlier or a concurrent send
            counts["skipped"] += 1
            continue
        facts: dict = {}
        if campaign.benefit:
            facts |= _give_benefit(session, config, campaign, recipient, cards.get(member_id), now)
            counts["benefits"] += recipient.benefit_ref is not None
        outbox_ids = enqueue(session, campaign.merchant_id, member_id=member_id, kind=KIND, variables=facts,
                             channel=campaign.message.get("channel"), occasion=f"campaign:{campaign.id}",
                             campaign_id=campaign.id, now=now)
        recipient.messages = len(outbox_ids)
        recipient.status = _own_text(session, campaign, outbox_ids)
        counts[recipient.status] += 1
    session.flush()
    return counts


def _first_active_cards(session: Session, merchant_id: int, member_ids: list[int]) -> dict[int, Card]:
    found: dict[int, Card] = {}
    for card in session.scalars(select(Card).where(Card.merchant_id == merchant_id, Card.member_id.in_(member_ids),
                                                   Card.status == "active").order_by(Card.id)):
        found.setdefault(card.member_id, card)
    return found


def _give_benefit(session: Session, config: MerchantConfig, campaign: Campaign,
                  recipient: CampaignRecipient, card: Card | None, now: datetime) -> dict:
    """The benefit on the member's first active card, under a savepoint: a refusal (a limit
    reached, no card) is recorded on the recipient and the message still goes."""
    recipient.benefit_kind = campaign.benefit.get("kind")
    if card is None:
        recipient.benefit_problem = "no active card"
        return {}
    try:
        with session.begin_nested():
            receipt = benefits.grant(session, config, card, campaign.benefit, now=now)
    except HuikaError as refused:  # the plugin's refusal (a limit, a template gone): recorded
        recipient.benefit_problem = str(refused)[:200]
        return {}
    recipient.benefit_ref = str(receipt.get("code") or receipt.get("id") or "")[:60] or None
    return {key: receipt[key] for key in ("code",) if receipt.get(key)} | (
        {"coupon": receipt["name"]} if receipt.get("name") else {}) | (
        {"expires_on": receipt["valid_until"]} if receipt.get("valid_until") else {})


def _own_text(session: Session, campaign: Campaign, outbox_ids: list[int]) -> str:
    """Put the campaign's text (its own, or its chosen template) on its outbox rows; the
    recipient's status from what enqueue wrote."""
    if not outbox_ids:
        return "no_channel"
    rows = [session.get(OutboxMessage, row_id) for row_id in outbox_ids]  # just added: no query
    subject, body = _chosen_text(session, campaign)
    for row in rows:
        if body is not None:
            row.body = render(body, row.variables or {})
            row.subject = render(subject, row.variables or {})[:200]
    suppressed = [row for row in rows if row.status == "suppressed"]
    if len(suppressed) < len(rows):
        return "queued"
    return "opted_out" if any(row.last_error == "opted out" for row in suppressed) else "no_channel"


def _chosen_text(session: Session, campaign: Campaign) -> tuple[str, str | None]:
    message = campaign.message or {}
    if message.get("text"):
        return campaign.name, message["text"]
    template_id = message.get("template_id")
    if template_id:
        template = session.get(MessageTemplate, template_id)
        if template is not None and template.merchant_id == campaign.merchant_id:
            return template.subject or campaign.name, template.body
    return campaign.name, None  # the merchant's template for the kind "campaign"


def send(db: Database, registry, merchant_id: int, campaign_id: int, now: datetime,
         batch_size: int = BATCH, max_members: int | None = None) -> dict:
    """Send (or resume sending) the campaign to its segment, batch by batch; the campaign's
    summary. Stops between batches when the campaign is cancelled. With ``max_members`` it
    stops after that many (a web request's share): the campaign stays ``sending`` and the
    scheduler's job (``send_due_step``) goes on with the rest."""
    with db.write() as session:
        campaign = session.get(Campaign, campaign_id)
        if campaign is not None and campaign.merchant_id == merchant_id and campaign.status in (
                "draft", "scheduled", "sending"):
            check_still_valid(session, published_config(session, merchant_id, registry), campaign)
        if not start(session, merchant_id, campaign_id, now):
            campaign = session.get(Campaign, campaign_id)
            return dict(campaign.summary or {}) if campaign else {}
        campaign = session.get(Campaign, campaign_id)
        config = published_config(session, merchant_id, registry)
        pending = pending_members(session, config, campaign, now)
        if campaign.audience is None:
            campaign.audience = len(pending)
    if max_members is not None and len(pending) > max_members:
        pending = pending[:max_members]
        finished = False
    else:
        finished = True
    for first in range(0, len(pending), batch_size):
        with db.write() as session:
            campaign = session.get(Campaign, campaign_id)
            if campaign.status != "sending":
                return dict(campaign.summary or {})
            config = published_config(session, merchant_id, registry)
            send_batch(session, config, campaign, pending[first:first + batch_size], now)
            campaign.summary = reached(session, campaign.id)
    with db.write() as session:
        if finished:
            session.execute(update(Campaign).where(Campaign.id == campaign_id, Campaign.status == "sending")
                            .values(status="sent", finished_at=now, updated_at=now))
        return dict(session.get(Campaign, campaign_id).summary or {})


def send_due_step(session: Session, config: MerchantConfig, merchant_id: int, now: datetime,
                  budget: int = 10 * BATCH) -> dict:
    """The scheduler's share: due campaigns (scheduled and time come, or left sending) are
    sent up to ``budget`` members in this one transaction; the next run goes on."""
    due = list(session.scalars(select(Campaign).where(
        Campaign.merchant_id == merchant_id,
        ((Campaign.status == "scheduled") & (Campaign.send_at <= now)) | (Campaign.status == "sending"))
        .order_by(Campaign.send_at, Campaign.id)))
    done: dict = {}
    for campaign in due:
        if budget <= 0:
            break
        if segment_problems(session, config, merchant_id, campaign.segment):
            done[str(campaign.id)] = {"skipped": "the segment no longer fits the published configuration"}
            continue
        start(session, merchant_id, campaign.id, now)
        session.refresh(campaign)
        pending = pending_members(session, config, campaign, now)
        if campaign.audience is None:
            campaign.audience = len(pending)
        batch = pending[:budget]
        counts = send_batch(session, config, campaign, batch, now)
        campaign.summary = reached(session, campaign.id)
        budget -= len(batch)
        if len(batch) == len(pending):
            campaign.status, campaign.finished_at = "sent", now
        done[str(campaign.id)] = counts
    return done


def reached(session: Session, campaign_id: int) -> dict:
    """The campaign's recipients so far by status, and the benefits given: its summary, from
    the rows themselves, so every send (retried, resumed, concurrent) adds up right."""
    counts = {status: 0 for status in RECIPIENT_STATUSES}
    counts |= dict(session.execute(select(CampaignRecipient.status, func.count())
                                   .where(CampaignRecipient.campaign_id == campaign_id)
                                   .group_by(CampaignRecipient.status)).all())
    counts["benefits"] = session.scalar(select(func.count(CampaignRecipient.benefit_ref))
                                        .where(CampaignRecipient.campaign_id == campaign_id))
    return counts
