"""Campaigns (R3, issue 14 item 5): set up, preview the segment, send, cancel, read results.

Owners and managers only: a campaign writes to many members at once. Every body is checked
against its schema and then against the merchant's tiers, stores, fields and benefit kinds
(core.campaigns), so a bad segment is a 422 naming the filter, never a 5xx.
"""
from __future__ import annotations

from flask import request

from core.campaigns import definitions, results as campaign_results, sending
from core.campaigns.segments import SEGMENT_SCHEMA, check_segment, preview
from core import clock
from core.clock import local_date
from core.config_versions import published_config
from core.errors import Invalid, problem

from . import schemas
from ..audit import record_here
from ..extension import huika
from .operations import MANAGERS, caller, int_query, json_body, operation

CAMPAIGN = {
    "type": "object",
    "required": ["id", "name", "status", "segment", "message", "benefit", "send_at", "started_at",
                 "finished_at", "audience", "summary", "created_at", "updated_at"],
    "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"},
        "status": {"enum": ["draft", "scheduled", "sending", "sent", "cancelled"]},
        "segment": {"type": "object"}, "message": {"type": "object"},
        "benefit": {"type": ["object", "null"]},
        "send_at": {**schemas.NULLABLE_STRING, "description": "merchant-local YYYY-MM-DDTHH:MM"},
        "started_at": {"anyOf": [schemas.DATE_TIME, {"type": "null"}]},
        "finished_at": {"anyOf": [schemas.DATE_TIME, {"type": "null"}]},
        "audience": {**schemas.NULLABLE_INT, "description": "members matched when the send started"},
        "summary": {"type": "object", "description": "recipients so far by outcome: queued, opted_out, "
                                                      "no_channel, benefits (given)"},
        "created_at": schemas.DATE_TIME, "updated_at": schemas.DATE_TIME,
    },
}
CAMPAIGN_LIST = {"type": "object", "required": ["campaigns", "total", "limit", "offset"],
                 "properties": {"campaigns": {"type": "array", "items": CAMPAIGN}, "total": {"type": "integer"},
                                "limit": {"type": "integer"}, "offset": {"type": "integer"}}}
PREVIEW_INPUT = {"type": "object", "additionalProperties": False, "required": ["segment"],
                 "properties": {"segment": SEGMENT_SCHEMA}}
PREVIEW = {"type": "object", "required": ["count", "sample"],
           "properties": {"count": {"type": "integer"}, "sample": {"type": "array", "items": {
               "type": "object", "required": ["member_id", "name", "phone"],
               "properties": {"member_id": {"type": "integer"}, "name": {"type": "string"},
                              "phone": {"type": "string", "description": "masked: 138****8000"}}}}}}
RESULTS = {
    "type": "object",
    "required": ["campaign_id", "status", "audience", "recipients", "opted_out", "no_channel", "messages",
                 "benefits_given", "benefits_refused", "days", "window", "redeemed", "buyers", "buyers_spend_fen"],
    "properties": {
        "campaign_id": {"type": "integer"}, "status": {"type": "string"}, "audience": schemas.NULLABLE_INT,
        "recipients": {"type": "integer"}, "opted_out": {"type": "integer"}, "no_channel": {"type": "integer"},
        "messages": {"type": "object", "required": ["delivered", "failed", "waiting", "suppressed"],
                     "additionalProperties": {"type": "integer"}},
        "benefits_given": {"type": "integer"}, "benefits_refused": {"type": "integer"},
        "days": {"type": "integer"},
        "window": {"anyOf": [{"type": "null"}, {"type": "object", "required": ["from", "to"],
                                               "properties": {"from": schemas.DATE_TIME, "to": schemas.DATE_TIME}}]},
        "redeemed": {"type": "integer", "description": "recipients who used the campaign's benefit in the window"},
        "buyers": {"type": "integer", "description": "recipients with a checkout in the window"},
        "buyers_spend_fen": {"type": "integer", "description": "what those checkouts were due, fen"},
    },
}
NOT_FOUND = ("No such campaign", schemas.ERROR)
INVALID = ("Invalid input; nothing was saved", schemas.ERROR)
STATE = ("The campaign's status does not allow it", schemas.ERROR)


def _config(session):
    return published_config(session, caller().merchant_id, huika().plugins)


@operation("/campaigns", "GET", operation_id="listCampaigns", tag="campaigns", summary="List campaigns",
           roles=MANAGERS,
           query=[("status", {"enum": ["draft", "scheduled", "sending", "sent", "cancelled"]}, "one status only"),
                  ("limit", {"type": "integer", "minimum": 1, "maximum": 200}, "page size (50)"),
                  ("offset", {"type": "integer", "minimum": 0, "maximum": 100000}, "rows to skip")],
           responses={200: ("Newest first", CAMPAIGN_LIST), 422: ("A filter is not valid", schemas.ERROR)})
def list_campaigns():
    problems, status = [], request.args.get("status") or None
    if status is not None and status not in ("draft", "scheduled", "sending", "sent", "cancelled"):
        problems.append(problem("/status", "draft, scheduled, sending, sent or cancelled"))
    try:
        limit = int_query(request.args, "limit", 50, minimum=1, maximum=200)
        offset = int_query(request.args, "offset", 0, minimum=0, maximum=100000)
    except Invalid as error:
        raise Invalid("the campaign filters are not valid", details=problems + error.details) from None
    if problems:
        raise Invalid("the campaign filters are not valid", details=problems)
    with huika().db.read() as session:
        found, total = definitions.listing(session, caller().merchant_id, status=status, limit=limit, offset=offset)
        return {"campaigns": [definitions.campaign_json(c) for c in found], "total": total,
                "limit": limit, "offset": offset}


@operation("/campaigns", "POST", operation_id="createCampaign", tag="campaigns", summary="Create a campaign",
           roles=MANAGERS, request_schema=definitions.CREATE_SCHEMA,
           responses={201: ("The new campaign: a draft, or scheduled when send_at is given", CAMPAIGN),
                      409: ("The name is taken", schemas.ERROR), 422: INVALID})
def create_campaign():
    body = json_body()
    with huika().db.write() as session:
        campaign = definitions.create(session, _config(session), caller().merchant_id, body,
                                      staff_id=caller().staff_id, now=clock.now_utc())
        answer = definitions.campaign_json(campaign)
        record_here(session, "campaign.create", f"campaign:{campaign.id}", after=answer)
        return answer, 201


@operation("/campaigns/preview", "POST", operation_id="previewCampaignSegment", tag="campaigns",
           summary="Count a segment's members", roles=MANAGERS, request_schema=PREVIEW_INPUT,
           responses={200: ("How many members the segment reaches today, and the first ten", PREVIEW),
                      422: ("The segment is not valid", schemas.ERROR)})
def preview_segment():
    body = json_body()
    with huika().db.read() as session:
        config = _config(session)
        segment = check_segment(session, config, caller().merchant_id, body["segment"])
        return preview(session, config, caller().merchant_id, segment, local_date(clock.now_utc()))


@operation("/campaigns/<int:campaign_id>", "GET", operation_id="getCampaign", tag="campaigns",
           summary="Read a campaign", roles=MANAGERS, responses={200: ("The campaign", CAMPAIGN), 404: NOT_FOUND})
def get_campaign(campaign_id: int):
    with huika().db.read() as session:
        return definitions.campaign_json(definitions.get(session, caller().merchant_id, campaign_id))


@operation("/campaigns/<int:campaign_id>", "PATCH", operation_id="updateCampaign", tag="campaigns",
           summary="Change a draft or scheduled campaign", roles=MANAGERS, request_schema=definitions.UPDATE_SCHEMA,
           responses={200: ("The campaign", CAMPAIGN), 404: NOT_FOUND, 409: STATE, 422: INVALID})
def update_campaign(campaign_id: int):
    body = json_body()
    with huika().db.write() as session:
        campaign = definitions.get(session, caller().merchant_id, campaign_id, lock=True)
        before = definitions.campaign_json(campaign)
        definitions.update(session, _config(session), campaign, body, now=clock.now_utc())
        answer = definitions.campaign_json(campaign)
        record_here(session, "campaign.update", f"campaign:{campaign.id}", before=before, after=answer)
        return answer


@operation("/campaigns/<int:campaign_id>/cancel", "POST", operation_id="cancelCampaign", tag="campaigns",
           summary="Cancel a campaign", roles=MANAGERS,
           responses={200: ("The cancelled campaign; members reached stay reached", CAMPAIGN),
                      404: NOT_FOUND, 409: STATE})
def cancel_campaign(campaign_id: int):
    with huika().db.write() as session:
        campaign = definitions.get(session, caller().merchant_id, campaign_id, lock=True)
        definitions.cancel(session, campaign, now=clock.now_utc())
        record_here(session, "campaign.cancel", f"campaign:{campaign.id}")
        return definitions.campaign_json(campaign)


@operation("/campaigns/<int:campaign_id>/send", "POST", operation_id="sendCampaign", tag="campaigns",
           summary="Send a campaign now", roles=MANAGERS,
           responses={200: ("The campaign: sent, or still sending when its segment is over 2 000 members (the scheduler sends the rest)", CAMPAIGN),
                      404: NOT_FOUND, 409: STATE})
def send_campaign(campaign_id: int):
    merchant_id = caller().merchant_id
    with huika().db.write() as session:
        campaign = definitions.get(session, merchant_id, campaign_id, lock=True)
        definitions.check_sendable(campaign)
        record_here(session, "campaign.send", f"campaign:{campaign.id}")
    sending.send(huika().db, huika().plugins, merchant_id, campaign_id, clock.now_utc(),
                 max_members=sending.IN_REQUEST)
    with huika().db.read() as session:
        return definitions.campaign_json(definitions.get(session, merchant_id, campaign_id))


@operation("/campaigns/<int:campaign_id>/results", "GET", operation_id="getCampaignResults", tag="campaigns",
           summary="Read a campaign's results", roles=MANAGERS,
           query=[("days", {"type": "integer", "minimum": 1, "maximum": campaign_results.MAX_WINDOW_DAYS},
                   "the window after the send for redemptions and purchases (7)")],
           responses={200: ("Delivered, failed, opted out, redeemed and bought within the window", RESULTS),
                      404: NOT_FOUND, 422: ("days is not valid", schemas.ERROR)})
def get_results(campaign_id: int):
    days = int_query(request.args, "days", 7, minimum=1, maximum=campaign_results.MAX_WINDOW_DAYS)
    with huika().db.read() as session:
        campaign = definitions.get(session, caller().merchant_id, campaign_id)
        return campaign_results.results(session, _config(session), campaign, days)
