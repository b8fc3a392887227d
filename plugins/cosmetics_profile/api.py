"""The cosmetics plugin's API operations (served under /api/v1 by the web layer, tag ``cosmetics``).

Declared as data (core.operations.ApiOperation): the web layer authenticates, checks the role
and that the caller's merchant enabled the plugin, and runs each handler in one transaction.
Handlers check their input against the same JSON Schema the OpenAPI document publishes, so a
bad input is an ``Invalid`` with JSON pointers and changes nothing. Nothing here moves money;
logging a follow-up still takes an Idempotency-Key, so a resubmitted form logs it once.
"""
from __future__ import annotations

from datetime import timedelta

from core import members as member_service
from core.clock import local_date
from core.errors import Invalid, problem
from core.operations import ApiOperation, OperationContext
from core.schemas import check_body

from . import classify, follow_ups, profile, reminders, segments
from .common import MANAGERS, PLUGIN_ID, TAG, query_choice, query_date
from .models import CHANNELS, CLASSES
from .purchases import purchases

_NULLABLE_TEXT = {"type": ["string", "null"]}
CLASS_INFO = {
    "type": ["object", "null"],
    "required": ["member_class", "spend_fen", "visits", "window_days", "computed_at"],
    "properties": {"member_class": {"enum": list(CLASSES)}, "spend_fen": {"type": "integer"},
                   "visits": {"type": "integer"}, "window_days": {"type": "integer"},
                   "computed_at": {"type": "string", "format": "date-time"}},
}
CHANGE = {
    "type": "object", "required": ["id", "field", "from", "to", "staff_id", "note", "changed_at"],
    "properties": {"id": {"type": "integer"}, "field": {"type": "string"}, "from": {}, "to": {},
                   "staff_id": {"type": ["integer", "null"]}, "staff_name": {"type": "string"},
                   "note": {"type": "string"}, "changed_at": {"type": "string", "format": "date-time"}},
}
PROFILE = {
    "type": "object",
    "required": ["member_id", "skin_type", "skin_concerns", "has_allergies", "allergies",
                 "products_in_use", "history", "classification"],
    "properties": {"member_id": {"type": "integer"}, "skin_type": _NULLABLE_TEXT,
                   "skin_concerns": {"type": "array", "items": {"type": "string"}},
                   "has_allergies": {"type": "boolean"}, "allergies": {"type": "string"},
                   "products_in_use": {"type": "string"},
                   "history": {"type": "array", "items": CHANGE}, "classification": CLASS_INFO},
}
FOLLOW_UP = {
    "type": "object",
    "required": ["id", "member_id", "status", "kind", "channel", "reason", "note", "outcome",
                 "due_on", "product_group", "staff_id", "created_at", "closed_at"],
    "properties": {"id": {"type": "integer"}, "member_id": {"type": "integer"},
                   "status": {"enum": ["planned", "done", "cancelled"]},
                   "kind": {"enum": ["manual", "regular", "running_out"]},
                   "channel": {"enum": list(CHANNELS)}, "reason": {"type": "string"},
                   "note": {"type": "string"}, "outcome": {"type": "string"},
                   "due_on": {"type": ["string", "null"], "format": "date"},
                   "product_group": _NULLABLE_TEXT,
                   "source_checkout_id": {"type": ["integer", "null"]},
                   "planned_by_staff_id": {"type": ["integer", "null"]},
                   "staff_id": {"type": ["integer", "null"]},
                   "created_at": {"type": "string", "format": "date-time"},
                   "closed_at": {"type": ["string", "null"], "format": "date-time"},
                   "member_name": {"type": "string"}, "staff_name": {"type": "string"}},
}
FOLLOW_UP_LIST = {"type": "object", "required": ["items"],
                  "properties": {"items": {"type": "array", "items": FOLLOW_UP},
                                 "classification": CLASS_INFO}}
DUE_ITEM = {
    "type": "object",
    "required": ["member_class", "member_name", "phone", "due_on", "overdue_days", "channel",
                 "reason", "kind", "id", "member_id"],
    "properties": {"member_class": {"enum": [*CLASSES, None], "description": "null: not classified yet"},
                   "member_name": {"type": "string"}, "phone": {"type": "string"},
                   "due_on": {"type": "string", "format": "date"},
                   "overdue_days": {"type": "integer", "minimum": 0},
                   "channel": {"enum": list(CHANNELS)}, "reason": {"type": "string"},
                   "kind": {"enum": ["manual", "regular", "running_out"]},
                   "id": {"type": "integer", "description": "the follow-up"},
                   "member_id": {"type": "integer"}},
}
DUE_LIST = {"type": "object", "required": ["as_of", "items"],
            "properties": {"as_of": {"type": "string", "format": "date"},
                           "items": {"type": "array", "items": DUE_ITEM,
                                     "description": "class A first, then B, C, unclassified; "
                                                    "longest overdue first"}}}
DUE_FILTER = {
    "type": "object", "additionalProperties": False,
    "properties": {"member_class": {"enum": list(CLASSES)}, "channel": {"enum": list(CHANNELS)}},
}
CLASSIFIED = {"type": "object", "required": ["as_of", "window_days", "a", "b", "c"],
              "properties": {"as_of": {"type": "string", "format": "date"},
                             "window_days": {"type": "integer"}, "a": {"type": "integer"},
                             "b": {"type": "integer"}, "c": {"type": "integer"}}}
PLANNED = {"type": "object", "required": ["as_of", "running_out", "regular"],
           "properties": {"as_of": {"type": "string", "format": "date"},
                          "running_out": {"type": "integer"}, "regular": {"type": "integer"}}}
NO_BODY = {"type": "object", "additionalProperties": False, "properties": {}}
CYCLES = {
    "type": "object", "required": ["member_id", "items"],
    "properties": {"member_id": {"type": "integer"}, "items": {"type": "array", "items": {
        "type": "object",
        "required": ["group", "purchases", "cycle_days", "own_cycle", "last_purchase_on",
                     "runs_out_on", "remind_on"],
        "properties": {"group": {"type": "string"}, "purchases": {"type": "integer"},
                       "cycle_days": {"type": "integer"}, "own_cycle": {"type": "boolean"},
                       "last_purchase_on": {"type": "string", "format": "date"},
                       "last_checkout_id": {"type": "integer"},
                       "runs_out_on": {"type": "string", "format": "date"},
                       "remind_on": {"type": "string", "format": "date"}}}}},
}
SEGMENT_MEMBER = {
    "type": "object",
    "required": ["member_id", "name", "member_class", "age_band", "orders", "spend_fen",
                 "average_ticket_fen", "last_purchase_on", "days_since_purchase",
                 "frequency_band", "amount_band", "habit", "group_spend_fen"],
    "properties": {"member_id": {"type": "integer"}, "name": {"type": "string"},
                   "phone": {"type": "string"}, "gender": {"type": "string"},
                   "member_class": {"enum": [*CLASSES, "none"]},
                   "age": {"type": ["integer", "null"]}, "age_band": {"type": "string"},
                   "income_band": {"type": "string"},
                   "orders": {"type": "integer"}, "spend_fen": {"type": "integer"},
                   "average_ticket_fen": {"type": "integer"},
                   "last_purchase_on": {"type": ["string", "null"], "format": "date"},
                   "days_since_purchase": {"type": ["integer", "null"]},
                   "frequency_band": {"type": "string"}, "amount_band": {"type": "string"},
                   "habit": {"type": "string"},
                   "group_spend_fen": {"type": "object",
                                       "additionalProperties": {"type": "integer"}}},
}
SEGMENT = {"type": "object",
           "required": ["as_of", "window_days", "filters", "options", "total", "page", "per_page", "items"],
           "properties": {"as_of": {"type": "string", "format": "date"},
                          "window_days": {"type": "integer"}, "filters": {"type": "object"},
                          "options": {"type": "object"}, "total": {"type": "integer"},
                          "page": {"type": "integer"}, "per_page": {"type": "integer"},
                          "items": {"type": "array", "items": SEGMENT_MEMBER}}}
ABC_REPORT = {"type": "object", "required": ["items"], "properties": {"items": {
    "type": "array", "items": {
        "type": "object", "required": ["member_class", "members", "spend_fen", "computed_at"],
        "properties": {"member_class": {"enum": list(CLASSES)}, "members": {"type": "integer"},
                       "spend_fen": {"type": "integer"},
                       "computed_at": {"type": ["string", "null"], "format": "date-time"}}}}}}
LOG_REPORT = {"type": "object", "required": ["from", "to", "items"],
              "properties": {"from": {"type": "string", "format": "date"},
                             "to": {"type": "string", "format": "date"},
                             "items": {"type": "array", "items": FOLLOW_UP}}}


# -- handlers ------------------------------------------------------------------------------

def _member(context: OperationContext):
    return member_service.get_member(context.session, context.merchant_id, context.params["member_id"])


def _classification(context: OperationContext, member_id: int):
    return classify.class_json(classify.member_class(context.session, context.merchant_id, member_id))


def get_skin_profile(context: OperationContext) -> dict:
    member = _member(context)
    return {**profile.profile_json(context.session, member),
            "classification": _classification(context, member.id)}


def update_skin_profile(context: OperationContext) -> dict:
    member = _member(context)
    profile.update_profile(context.session, context.config, member, context.body,
                           staff_id=context.staff_id, now=context.now)
    return get_skin_profile(context)


def list_member_follow_ups(context: OperationContext) -> dict:
    member = _member(context)
    return {"items": follow_ups.member_follow_ups(context.session, context.merchant_id, member.id),
            "classification": _classification(context, member.id)}


def record_follow_up(context: OperationContext) -> dict:
    row = follow_ups.record(context.session, context.config, context.merchant_id, _member(context),
                            context.body, staff_id=context.staff_id, now=context.now)
    return follow_ups.follow_up_json(row)


def complete_follow_up(context: OperationContext) -> dict:
    row = follow_ups.complete(context.session, context.config, context.merchant_id,
                              context.params["follow_up_id"], context.body,
                              staff_id=context.staff_id, now=context.now)
    return follow_ups.follow_up_json(row)


def cancel_follow_up(context: OperationContext) -> dict:
    row = follow_ups.cancel(context.session, context.merchant_id, context.params["follow_up_id"],
                            context.body, staff_id=context.staff_id, now=context.now)
    return follow_ups.follow_up_json(row)


def list_due_follow_ups(context: OperationContext) -> dict:
    return follow_ups.due_list(context.session, context.merchant_id, context.now,
                               member_class=query_choice(context.query, "member_class", CLASSES),
                               channel=query_choice(context.query, "channel", CHANNELS))


def todays_follow_ups(context: OperationContext) -> dict:
    body = check_body(context.body, DUE_FILTER, "the filter is not valid")
    return follow_ups.due_list(context.session, context.merchant_id, context.now,
                               member_class=body.get("member_class"), channel=body.get("channel"))


def classify_members(context: OperationContext) -> dict:
    check_body(context.body, NO_BODY, "classifying takes no body")
    return classify.classify_members(context.session, context.config, context.merchant_id, context.now)


def plan_follow_ups(context: OperationContext) -> dict:
    check_body(context.body, NO_BODY, "planning takes no body")
    return reminders.plan_follow_ups(context.session, context.config, context.merchant_id, context.now)


def purchase_cycles(context: OperationContext) -> dict:
    member = _member(context)
    settings = context.config.settings_for(PLUGIN_ID)
    bought = purchases(context.session, context.merchant_id, until=context.now).get(member.id, [])
    items = []
    for cycle in reminders.purchase_cycles(settings, bought).values():
        remind_on = cycle["runs_out_on"] - timedelta(days=settings["running_out_lead_days"])
        items.append({**cycle, "last_purchase_on": cycle["last_purchase_on"].isoformat(),
                      "runs_out_on": cycle["runs_out_on"].isoformat(),
                      "remind_on": remind_on.isoformat()})
    return {"member_id": member.id, "items": sorted(items, key=lambda item: item["group"])}


def list_segment(context: OperationContext) -> dict:
    return segments.segment(context.session, context.config, context.merchant_id, context.now,
                            context.query)


def abc_distribution(context: OperationContext) -> dict:
    return {"items": classify.distribution(context.session, context.merchant_id)}


def follow_up_log(context: OperationContext) -> dict:
    today = local_date(context.now)
    end = query_date(context.query, "to") or today
    start = query_date(context.query, "from") or end - timedelta(days=30)
    if start > end:
        raise Invalid("from is after to", details=[problem("/from", "on or before to")])
    return {"from": start.isoformat(), "to": end.isoformat(),
            "items": follow_ups.follow_up_log(context.session, context.merchant_id, start, end)}


MEMBER_404 = {404: "No such member for this merchant, or the plugin is not enabled"}
FOLLOW_UP_404 = {404: "No such follow-up for this merchant, or the plugin is not enabled"}
CLOSED_409 = {409: "The follow-up is already done or cancelled"}


def operations() -> list[ApiOperation]:
    member = "/members/<int:member_id>"
    return [
        ApiOperation(f"{member}/skin-profile", "GET", "getSkinProfile",
                     "Read a member's skin profile, its history and A/B/C class (K1, K2)",
                     get_skin_profile, tag=TAG, response_schema=PROFILE, read_only=True,
                     errors=MEMBER_404),
        ApiOperation(f"{member}/skin-profile", "PUT", "updateSkinProfile",
                     "Replace a member's skin profile; every change is kept in its history (K1)",
                     update_skin_profile, tag=TAG, request_schema=profile.PROFILE_INPUT,
                     response_schema=PROFILE, errors=MEMBER_404),
        ApiOperation(f"{member}/follow-ups", "GET", "listMemberFollowUps",
                     "List a member's follow-ups, newest first (K3)", list_member_follow_ups,
                     tag=TAG, response_schema=FOLLOW_UP_LIST, read_only=True, errors=MEMBER_404),
        ApiOperation(f"{member}/follow-ups", "POST", "recordFollowUp",
                     "Log a follow-up that happened, or plan one (K3)", record_follow_up, tag=TAG,
                     status=201, request_schema=follow_ups.FOLLOW_UP_INPUT,
                     response_schema=FOLLOW_UP, idempotent=True, errors=MEMBER_404),
        ApiOperation(f"{member}/purchase-cycles", "GET", "listPurchaseCycles",
                     "A member's purchase cycle and run-out date per product group (K3, X3)",
                     purchase_cycles, tag=TAG, response_schema=CYCLES, read_only=True,
                     errors=MEMBER_404),
        ApiOperation("/cosmetics/follow-ups/<int:follow_up_id>/complete", "POST", "completeFollowUp",
                     "Mark a planned follow-up done, with its outcome (K3)", complete_follow_up,
                     tag=TAG, request_schema=follow_ups.COMPLETE_INPUT, response_schema=FOLLOW_UP,
                     errors={**FOLLOW_UP_404, **CLOSED_409}),
        ApiOperation("/cosmetics/follow-ups/<int:follow_up_id>/cancel", "POST", "cancelFollowUp",
                     "Cancel a planned follow-up (K3)", cancel_follow_up, tag=TAG,
                     request_schema=follow_ups.CANCEL_INPUT, response_schema=FOLLOW_UP,
                     errors={**FOLLOW_UP_404, **CLOSED_409}),
        ApiOperation("/cosmetics/follow-ups/due", "GET", "listDueFollowUps",
                     "Follow-ups due today or overdue, class A first (K2, K3)", list_due_follow_ups,
                     tag=TAG, response_schema=DUE_LIST, read_only=True,
                     query=[("member_class", {"enum": list(CLASSES)}, "only this class"),
                            ("channel", {"enum": list(CHANNELS)}, "only this channel")]),
        ApiOperation("/cosmetics/follow-ups/today", "POST", "showTodaysFollowUps",
                     "Today's follow-up list with optional filters in the body (the cashier "
                     "screen's action; changes nothing)", todays_follow_ups, tag=TAG,
                     request_schema=DUE_FILTER, response_schema=DUE_LIST, read_only=True),
        ApiOperation("/cosmetics/follow-ups/plan", "POST", "planFollowUps",
                     "Plan running-out and regular follow-ups now (the daily job, K2, K3)",
                     plan_follow_ups, tag=TAG, roles=MANAGERS, response_schema=PLANNED),
        ApiOperation("/cosmetics/classes/recompute", "POST", "classifyMembers",
                     "Recompute every member's A/B/C class now (the daily job, K2)",
                     classify_members, tag=TAG, roles=MANAGERS, response_schema=CLASSIFIED),
        ApiOperation("/cosmetics/segments", "GET", "listSegmentMembers",
                     "Members of a segment: buying habit, age band, frequency, amount, class (K4)",
                     list_segment, tag=TAG, roles=MANAGERS, response_schema=SEGMENT,
                     read_only=True,
                     query=[("habit", {"type": "string"}, "a product group key, mixed or none"),
                            ("age_band", {"type": "string"}, "e.g. under_25, 25_34, 45_plus, unknown"),
                            ("frequency_band", {"type": "string"}, "e.g. under_2, 2_5, 6_plus"),
                            ("amount_band", {"type": "string"}, "e.g. under_100000 (fen)"),
                            ("member_class", {"enum": [*CLASSES, "none"]}, "A/B/C class"),
                            ("gender", {"enum": ["female", "male", "unspecified"]}, "gender"),
                            ("min_spend_fen", {"type": "integer", "minimum": 0}, "net spend at least"),
                            ("min_orders", {"type": "integer", "minimum": 0}, "purchases at least"),
                            ("min_days_since_purchase", {"type": "integer", "minimum": 0},
                             "dormant: no purchase for at least this many days (or never)"),
                            ("max_days_since_purchase", {"type": "integer", "minimum": 0},
                             "recent: a purchase within this many days"),
                            ("income_band", {"type": "string"}, "the member's income band, exactly"),
                            ("page", {"type": "integer", "minimum": 1}, "page number"),
                            ("per_page", {"type": "integer", "minimum": 1, "maximum": 100},
                             "page size")],
                     audit="export"),
        ApiOperation("/cosmetics/reports/abc-distribution", "GET", "reportAbcDistribution",
                     "Report abc_distribution: members and spend per class (K2, X3). Deprecated: GET "
                     "/reports/abc_distribution",
                     abc_distribution, tag=TAG, roles=MANAGERS, response_schema=ABC_REPORT,
                     read_only=True,
                     audit="export"),
        ApiOperation("/cosmetics/reports/follow-up-log", "GET", "reportFollowUpLog",
                     "Report follow_up_log: follow-ups done or cancelled in a period (K3). Deprecated: "
                     "GET /reports/follow_up_log",
                     follow_up_log, tag=TAG, roles=MANAGERS, response_schema=LOG_REPORT,
                     read_only=True,
                     query=[("from", {"type": "string", "format": "date"}, "first local date "
                             "(default: 30 days before to)"),
                            ("to", {"type": "string", "format": "date"}, "last local date (default today)")],
                     audit="export"),
    ]
