"""Setting a campaign up: its name, segment, message, coupon and schedule (draft → scheduled).

A campaign can be edited while it is a draft or scheduled; once sending starts it only
moves on (sending → sent) or is cancelled. ``send_at`` arrives as the merchant-local time
the owner picked ("2026-12-24T10:00") and is stored in UTC (core.clock).
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..benefits import validate_benefit
from ..clock import MERCHANT_TZ
from ..errors import Conflict, Invalid, NotFound, problem
from ..merchant_config import MerchantConfig
from ..messages.templates import template_fields
from ..models import Campaign, MessageTemplate
from ..schemas import validate_against
from ..text import name_problem, text_problem
from .segments import SEGMENT_SCHEMA, segment_problems

EDITABLE = ("draft", "scheduled")
MAX_TEXT = 500
LOCAL_TIME = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}$"
MESSAGE_SCHEMA = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "template_id": {"type": ["integer", "null"], "minimum": 1, "maximum": 2 ** 63 - 1,
                        "description": "a message template of kind campaign (the messages pages)"},
        "text": {"type": ["string", "null"], "maxLength": MAX_TEXT,
                 "description": "the campaign's own text, with variables such as {name}"},
        "channel": {"type": ["string", "null"], "maxLength": 20,
                    "description": "sms, email, wechat …; null: the member's preferred channels"},
    },
}
CAMPAIGN_FIELDS = {
    "name": {"type": "string", "minLength": 1, "maxLength": 60},
    "segment": SEGMENT_SCHEMA,
    "message": MESSAGE_SCHEMA,
    "benefit": {"anyOf": [{"type": "null"}, {"type": "object", "required": ["kind"],
                                              "properties": {"kind": {"type": "string", "maxLength": 40}}}],
                "description": 'a benefit given once to each recipient, e.g. {"kind": "coupon", "template_id": 3}'},
    "send_at": {"anyOf": [{"type": "null"}, {"type": "string", "pattern": LOCAL_TIME}],
                "description": "merchant-local YYYY-MM-DDTHH:MM; null: sent when asked (send)"},
}
CREATE_SCHEMA = {"type": "object", "additionalProperties": False, "required": ["name", "segment", "message"],
                 "properties": CAMPAIGN_FIELDS}
UPDATE_SCHEMA = {"type": "object", "additionalProperties": False, "minProperties": 1,
                 "properties": CAMPAIGN_FIELDS}


def parse_local_time(text: str) -> datetime:
    """A merchant-local "YYYY-MM-DDTHH:MM" as a UTC instant (ValueError if no such time)."""
    moment = datetime.strptime(text, "%Y-%m-%dT%H:%M")
    return moment.replace(tzinfo=MERCHANT_TZ).astimezone(timezone.utc)


def local_time_text(moment: datetime | None) -> str | None:
    return moment.astimezone(MERCHANT_TZ).strftime("%Y-%m-%dT%H:%M") if moment else None


def _problems(session: Session, config: MerchantConfig, merchant_id: int, body: dict, schema: dict,
              now: datetime) -> list[dict]:
    problems = [problem(p.pointer, p.message) for p in validate_against(body, schema)]
    if problems:
        return problems
    if "name" in body and (why := name_problem(body["name"])):
        problems.append(problem("/name", why))
    if "segment" in body:
        problems += segment_problems(session, config, merchant_id, body["segment"])
    if "message" in body:
        message = body["message"]
        if not message.get("text") and not message.get("template_id"):
            problems.append(problem("/message", "a text or a template_id"))
        if message.get("text") and (why := text_problem(message["text"])):
            problems.append(problem("/message/text", why))
        elif message.get("text"):
            try:
                template_fields(message["text"])  # {name}, {coupon} …: known variables only
            except Invalid as error:
                problems.append(problem("/message/text", str(error)))
        if message.get("template_id"):
            template = session.get(MessageTemplate, message["template_id"])
            if template is None or template.merchant_id != merchant_id:
                problems.append(problem("/message/template_id", f"no message template {message['template_id']}"))
    if body.get("benefit") is not None:
        problems += validate_benefit(config, body["benefit"], "/benefit")
    if body.get("send_at"):
        try:
            if parse_local_time(body["send_at"]) <= now:
                problems.append(problem("/send_at", "a time still to come (merchant-local)"))
        except ValueError:
            problems.append(problem("/send_at", "a merchant-local time YYYY-MM-DDTHH:MM"))
    return problems


def create(session: Session, config: MerchantConfig, merchant_id: int, body: dict, *, staff_id: int | None,
           now: datetime) -> Campaign:
    problems = _problems(session, config, merchant_id, body, CREATE_SCHEMA, now)
    if problems:
        raise Invalid("the campaign is not valid; nothing was saved", details=problems)
    _check_name_free(session, merchant_id, body["name"])
    send_at = parse_local_time(body["send_at"]) if body.get("send_at") else None
    campaign = Campaign(merchant_id=merchant_id, name=body["name"], segment=body["segment"],
                        message=_message(body["message"]), benefit=body.get("benefit"),
                        status="scheduled" if send_at else "draft", send_at=send_at, summary={},
                        created_by=staff_id, created_at=now, updated_at=now)
    session.add(campaign)
    session.flush()
    return campaign


def update(session: Session, config: MerchantConfig, campaign: Campaign, body: dict, *, now: datetime) -> Campaign:
    problems = _problems(session, config, campaign.merchant_id, body, UPDATE_SCHEMA, now)
    if problems:
        raise Invalid("the campaign is not valid; nothing was saved", details=problems)
    if campaign.status not in EDITABLE:
        raise Conflict(f"a {campaign.status} campaign can no longer be changed", code="campaign_not_editable")
    if "name" in body and body["name"] != campaign.name:
        _check_name_free(session, campaign.merchant_id, body["name"])
        campaign.name = body["name"]
    if "segment" in body:
        campaign.segment = body["segment"]
    if "message" in body:
        campaign.message = _message(body["message"])
    if "benefit" in body:
        campaign.benefit = body["benefit"]
    if "send_at" in body:
        campaign.send_at = parse_local_time(body["send_at"]) if body["send_at"] else None
        campaign.status = "scheduled" if campaign.send_at else "draft"
    campaign.updated_at = now
    session.flush()
    return campaign


def cancel(session: Session, campaign: Campaign, *, now: datetime) -> Campaign:
    """Stop a draft, scheduled or sending campaign; members already reached stay reached."""
    if campaign.status not in (*EDITABLE, "sending"):
        raise Conflict(f"a {campaign.status} campaign cannot be cancelled", code="campaign_not_cancellable")
    campaign.status = "cancelled"
    campaign.finished_at = now
    campaign.updated_at = now
    session.flush()
    return campaign


def delete(session: Session, campaign: Campaign) -> None:
    if campaign.status != "draft":
        raise Conflict("only a draft can be deleted; cancel a scheduled or sending campaign instead",
                       code="campaign_not_deletable")
    session.delete(campaign)
    session.flush()


def _message(message: dict) -> dict:
    return {"template_id": message.get("template_id"), "text": message.get("text") or None,
            "channel": message.get("channel") or None}


def _check_name_free(session: Session, merchant_id: int, name: str) -> None:
    taken = session.scalar(select(func.count()).select_from(Campaign).where(
        Campaign.merchant_id == merchant_id, Campaign.name == name, Campaign.status != "cancelled"))
    if taken:
        raise Conflict(f"a campaign named {name!r} exists already", code="campaign_name_taken")


def get(session: Session, merchant_id: int, campaign_id: int, *, lock: bool = False) -> Campaign:
    statement = select(Campaign).where(Campaign.id == campaign_id, Campaign.merchant_id == merchant_id)
    if lock:
        statement = statement.with_for_update()
    campaign = session.scalar(statement)
    if campaign is None:
        raise NotFound(f"no campaign {campaign_id}", code="not_found")
    return campaign


def listing(session: Session, merchant_id: int, *, status: str | None = None, limit: int = 50,
            offset: int = 0) -> tuple[list[Campaign], int]:
    where = [Campaign.merchant_id == merchant_id]
    if status:
        where.append(Campaign.status == status)
    total = session.scalar(select(func.count()).select_from(Campaign).where(*where))
    found = list(session.scalars(select(Campaign).where(*where).order_by(Campaign.id.desc())
                                 .limit(limit).offset(offset)))
    return found, total


def campaign_json(campaign: Campaign) -> dict:
    return {"id": campaign.id, "name": campaign.name, "status": campaign.status,
            "segment": campaign.segment, "message": campaign.message, "benefit": campaign.benefit,
            "send_at": local_time_text(campaign.send_at),
            "started_at": campaign.started_at.isoformat() if campaign.started_at else None,
            "finished_at": campaign.finished_at.isoformat() if campaign.finished_at else None,
            "audience": campaign.audience, "summary": campaign.summary or {},
            "created_at": campaign.created_at.isoformat(), "updated_at": campaign.updated_at.isoformat()}


def check_sendable(campaign: Campaign) -> None:
    if campaign.status not in (*EDITABLE, "sending"):
        raise Conflict(f"a {campaign.status} campaign cannot be sent", code="campaign_not_sendable")
