"""The message log and members' opt-outs (issue 14, item 4)."""
from __future__ import annotations

from flask import request

from core.messages import log as message_log
from core.messages.policy import opted_out_channels, set_opt_out
from core.messages.templates import CHANNELS

from . import schemas
from ..extension import huika
from .operations import caller, json_body, operation

MANAGERS = frozenset({"owner", "manager"})
NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
MESSAGE = {
    "type": "object",
    "required": ["id", "member_id", "kind", "channel", "recipient", "body", "status", "attempts",
                 "created_at"],
    "properties": {
        "id": {"type": "integer"}, "member_id": schemas.NULLABLE_INT,
        "member_name": schemas.NULLABLE_STRING, "kind": schemas.NULLABLE_STRING,
        "occasion": schemas.NULLABLE_STRING, "campaign_id": schemas.NULLABLE_INT,
        "channel": {"enum": list(CHANNELS)},
        "recipient": {"type": "string", "description": "a phone number is masked (138****8000)"},
        "template": schemas.NULLABLE_STRING, "subject": {"type": "string"},
        "body": {"type": "string", "description": "the text sent (a login code's is hidden)"},
        "status": {"enum": list(message_log.STATUSES)},
        "attempts": {"type": "integer"}, "next_attempt_at": NULLABLE_TIME,
        "last_error": schemas.NULLABLE_STRING, "provider_message_id": schemas.NULLABLE_STRING,
        "created_at": schemas.DATE_TIME, "sent_at": NULLABLE_TIME,
    },
}
MESSAGE_PAGE = {
    "type": "object", "required": ["messages", "total", "limit", "offset"],
    "properties": {"messages": {"type": "array", "items": MESSAGE}, "total": {"type": "integer"},
                   "limit": {"type": "integer"}, "offset": {"type": "integer"}},
}
DATE = {"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "maxLength": 0}]}
OPT_OUTS = {
    "type": "object", "required": ["member_id", "opted_out"],
    "properties": {"member_id": {"type": "integer"},
                   "opted_out": {"type": "array", "items": {"enum": list(CHANNELS)}}},
}
OPT_OUT_INPUT = {
    "type": "object", "required": ["channel", "opted_out"], "additionalProperties": False,
    "properties": {"channel": {"enum": ["all", *CHANNELS]}, "opted_out": {"type": "boolean"}},
}


@operation("/messages", "GET", operation_id="listMessages", tag="messages", roles=MANAGERS,
           summary="Read the message log",
           query=[("member", {"type": "string", "maxLength": 18}, "a member id"),
                  ("kind", {"type": "string", "maxLength": 40}, "birthday, low_balance …"),
                  ("campaign", {"type": "string", "maxLength": 18}, "a campaign id"),
                  ("channel", {"type": "string", "maxLength": 20}, ", ".join(CHANNELS)),
                  ("status", {"type": "string", "maxLength": 20}, ", ".join(message_log.STATUSES)),
                  ("from", DATE, "first local date (Asia/Shanghai) the message was queued"),
                  ("to", DATE, "last local date, included"),
                  ("limit", {"type": "integer", "minimum": 1, "maximum": message_log.MAX_LIMIT},
                   "page size (50)"),
                  ("offset", {"type": "integer", "minimum": 0, "maximum": message_log.MAX_OFFSET},
                   "rows to skip")],
           responses={200: ("Newest first", MESSAGE_PAGE),
                      403: ("Owners and managers read the log", schemas.ERROR),
                      422: ("A filter is not valid", schemas.ERROR)})
def list_messages():
    filters = message_log.parse_filters(request.args)
    with huika().db.read() as session:
        page = message_log.search(session, caller().merchant_id, **filters)
        return {"messages": [message_log.message_json(row, name) for row, name in page.items],
                "total": page.total, "limit": page.limit, "offset": page.offset}


def _opt_outs(session, member_id: int) -> dict:
    channels = opted_out_channels(session, caller().merchant_id, member_id)
    return {"member_id": member_id, "opted_out": [name for name in CHANNELS if name in channels]}


@operation("/members/<int:member_id>/message-opt-outs", "GET", operation_id="getMessageOptOuts",
           tag="messages", summary="Read the channels a member opted out of",
           responses={200: ("Opted-out channels", OPT_OUTS), 404: ("No such member", schemas.ERROR)})
def get_message_opt_outs(member_id: int):
    from core.errors import NotFound
    from core.models import Member

    with huika().db.read() as session:
        member = session.get(Member, member_id)
        if member is None or member.merchant_id != caller().merchant_id:
            raise NotFound("no such member")
        return _opt_outs(session, member_id)


@operation("/members/<int:member_id>/message-opt-outs", "PUT", operation_id="setMessageOptOut",
           tag="messages", summary="Opt a member out of a channel (or back in)",
           request_schema=OPT_OUT_INPUT,
           responses={200: ("Opted-out channels", OPT_OUTS), 404: ("No such member", schemas.ERROR),
                      422: ("Invalid input; nothing was saved", schemas.ERROR)})
def set_message_opt_out(member_id: int):
    body = json_body()
    with huika().db.write() as session:
        set_opt_out(session, caller().merchant_id, member_id, body["channel"], body["opted_out"],
                    source="api")
        return _opt_outs(session, member_id)
