"""Members: create, read, update, search (M1)."""
from __future__ import annotations

import json

import orjson
from flask import current_app, request

from core import member_search, members as member_service
from core.config_versions import published_config

from . import schemas
from ..extension import huika
from .operations import caller, int_arg, json_body, operation, read_connection
from .serialize import card_json, member_json

NOT_FOUND = ("No such member for this merchant", schemas.ERROR)
INVALID = ("Invalid input; nothing was saved", schemas.ERROR)


def _summary(session, config, member) -> dict:
    """Facts enabled plugins add about a member (member_summary hook), merged in order."""
    merged: dict = {}
    for part in config.hook("member_summary")(session=session, member=member, config=config):
        merged.update(part or {})
    return merged


@operation("/members", "GET", operation_id="searchMembers", tag="members",
           summary="Search members",
           query=[("phone", {"type": "string"}, "exact mobile number"),
                  ("phone_last4", {"type": "string", "pattern": "^[0-9]{4}$"},
                   "the last four digits of the mobile number (手机尾号); several members may match"),
                  ("card_number", {"type": "string"}, "exact card number"),
                  ("name_prefix", {"type": "string"},
                   "start of the name, exactly as stored (case-sensitive); sorts by name"),
                  ("page", {"type": "integer", "minimum": 1, "maximum": member_search.MAX_PAGE,
                            "default": 1}, "page number"),
                  ("per_page", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
                   "page size")],
           responses={200: ("A page of members", schemas.page_of(schemas.MEMBER)), 422: INVALID})
def search_members():
    args = request.args
    criteria = member_search.Criteria.of(
        phone=args.get("phone"), phone_last4=args.get("phone_last4"),
        card_number=args.get("card_number"), name_prefix=args.get("name_prefix"))
    page_number = int_arg("page", 1, minimum=1, maximum=member_search.MAX_PAGE)
    per_page = int_arg("per_page", 20, minimum=1, maximum=member_search.MAX_PAGE_SIZE)
    # Core statements on the token check's connection; members and cards in one, read as the
    # API shows them (core.member_page_rows; F4).
    page = member_search.member_page(read_connection(), caller().merchant_id, criteria,
                                     page=page_number, per_page=per_page)
    body = {"items": page.items, "total": page.total, "page": page.page,
            "per_page": page.per_page}
    return current_app.response_class(compact_json(body), mimetype="application/json")


# Keys in their written order, not sorted as Flask's provider does (a sixth of the encoding of a
# page of 20 members, issue 11 F4); the same JSON otherwise.
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def compact_json(body) -> bytes:
    """``body`` as ``_COMPACT`` writes it, plus a newline, in UTF-8. orjson writes the same bytes
    (keys in order, "," and ":", no ASCII escapes; only a float with a small exponent in a
    member's ``extra`` reads 1e-7 instead of 1e-07, the same number) ten times faster: 0.11 ->
    0.01 ms for a page of 20 members with their cards, the largest part of a lookup after its
    SQL (issue 11, F4). What orjson refuses (an integer past 64 bits or a lone surrogate in a
    member's ``extra``) the standard encoder writes, as before."""
    try:
        return orjson.dumps(body, option=orjson.OPT_APPEND_NEWLINE)
    except TypeError:  # orjson.JSONEncodeError
        return (_COMPACT.encode(body) + "\n").encode()


@operation("/members", "POST", operation_id="createMember", tag="members",
           summary="Register a member", request_schema=schemas.MEMBER_INPUT,
           responses={201: ("The new member", schemas.MEMBER), 409: ("Phone taken", schemas.ERROR),
                      422: INVALID})
def create_member():
    body = json_body()
    with huika().db.write() as session:
        config = published_config(session, caller().merchant_id, huika().plugins)
        member = member_service.create_member(session, config, caller().merchant_id, body,
                                              store_id=caller().store_id, staff_id=caller().staff_id)
        return member_json(session, member, _summary(session, config, member)), 201


@operation("/members/<int:member_id>", "GET", operation_id="getMember", tag="members",
           summary="Read a member", responses={200: ("The member", schemas.MEMBER), 404: NOT_FOUND})
def get_member(member_id: int):
    with huika().db.read() as session:
        config = published_config(session, caller().merchant_id, huika().plugins)
        member = member_service.get_member(session, caller().merchant_id, member_id)
        return member_json(session, member, _summary(session, config, member))


@operation("/members/<int:member_id>", "PATCH", operation_id="updateMember", tag="members",
           summary="Update a member", request_schema=schemas.MEMBER_PATCH,
           responses={200: ("The updated member", schemas.MEMBER), 404: NOT_FOUND,
                      409: ("Phone taken", schemas.ERROR), 422: INVALID})
def update_member(member_id: int):
    body = json_body()
    with huika().db.write() as session:
        config = published_config(session, caller().merchant_id, huika().plugins)
        member = member_service.get_member(session, caller().merchant_id, member_id)
        member_service.update_member(session, config, member, body, staff_id=caller().staff_id)
        return member_json(session, member, _summary(session, config, member))


@operation("/members/<int:member_id>/cards", "GET", operation_id="listMemberCards", tag="members",
           summary="List a member's cards",
           responses={200: ("The member's cards", {"type": "object", "required": ["items"],
                                                   "properties": {"items": {"type": "array",
                                                                            "items": schemas.CARD_SUMMARY}}}),
                      404: NOT_FOUND})
def list_member_cards(member_id: int):
    with huika().db.read() as session:
        member = member_service.get_member(session, caller().merchant_id, member_id)
        return {"items": [card_json(session, card) for card in member.cards]}
