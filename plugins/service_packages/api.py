"""The plugin's API operations (tag ``service_packages``), declared as data.

The web layer authenticates, checks roles and that the merchant enabled the plugin, enforces
Idempotency-Key on the operations that move sessions or money (a double tap at the till is one
use), and runs each handler in one write transaction; a refusal rolls it all back.
"""
from __future__ import annotations

from core.operations import ApiOperation, OperationContext
from core.schemas import check_body

from . import packages, reports, uses
from .common import plans

MANAGERS = frozenset({"owner", "manager"})
TAG = "service_packages"
DATE = {"type": "string", "format": "date"}
PIN = {"type": "string", "pattern": "^[0-9]{6}$", "description": "the card's PIN, when the shop asks for it"}

PLAN = {"type": "object", "required": ["key", "name", "service", "kind", "price_fen", "sku"],
        "properties": {"key": {"type": "string"}, "name": {"type": "string"}, "service": {"type": "string"},
                       "kind": {"enum": ["count", "period"]}, "sessions": {"type": "integer"},
                       "validity_days": {"type": "integer"}, "price_fen": {"type": "integer"},
                       "max_per_day": {"type": "integer"}, "active": {"type": "boolean"},
                       "sku": {"type": "string", "description": "the checkout line's sku to sell it"}}}
PACKAGE = {"type": "object",
           "required": ["id", "plan_key", "name", "service", "kind", "sessions_total", "sessions_left",
                        "paid_fen", "recognised_fen", "deferred_fen", "valid_from", "valid_to", "status",
                        "usable_today"],
           "properties": {"id": {"type": "integer"}, "plan_key": {"type": "string"},
                          "name": {"type": "string"}, "service": {"type": "string"},
                          "kind": {"enum": ["count", "period"]}, "sessions_total": {"type": "integer"},
                          "sessions_left": {"type": "integer"}, "max_per_day": {"type": "integer"},
                          "paid_fen": {"type": "integer"}, "recognised_fen": {"type": "integer"},
                          "deferred_fen": {"type": "integer"}, "valid_from": DATE, "valid_to": DATE,
                          "status": {"enum": ["active", "expired", "returned"]},
                          "usable_today": {"type": "boolean"}, "checkout_id": {"type": ["integer", "null"]}}}
PAYMENT = {"type": "object", "required": ["method"],
           "properties": {"method": {"type": "string", "description": "cash, external, stored_value …"},
                          "channel": {"type": "string"}, "reference": {"type": "string"}, "pin": {"type": "string"}},
           "description": "one payment for the whole amount due"}
PAYMENTS = {"type": "array", "minItems": 1, "maxItems": 10, "items": {"type": "object"},
            "description": "several payments with their amount_fen, as for /checkout"}
SELL_INPUT = {"type": "object", "required": ["plan"], "additionalProperties": False,
              "properties": {"plan": {"type": "string", "minLength": 1, "maxLength": 60,
                                      "description": "the plan's key or name"},
                             "quantity": {"type": "integer", "minimum": 1, "maximum": 20},
                             "starts_on": {**DATE, "description": "period cards only; default today"},
                             "payment": PAYMENT, "payments": PAYMENTS}}
SALE = {"type": "object", "required": ["checkout_id", "card_number", "due_fen", "packages"],
        "properties": {"checkout_id": {"type": "integer"}, "card_number": {"type": "string"},
                       "due_fen": {"type": "integer"}, "list_fen": {"type": "integer"},
                       "payments": {"type": "array"}, "packages": {"type": "array", "items": PACKAGE}}}
PACKAGE_LIST = {"type": "object", "required": ["card_number", "as_of", "packages"],
                "properties": {"card_number": {"type": "string"}, "as_of": DATE,
                               "packages": {"type": "array", "items": PACKAGE}}}
USE_INPUT = {"type": "object", "additionalProperties": False,
             "properties": {"package_id": {"type": "integer", "minimum": 1,
                                           "description": "which package; default: the card's only service"},
                            "service": {"type": "string", "maxLength": 60,
                                        "description": "the service (or a plan's key or name)"},
                            "sessions": {"type": "integer", "minimum": 1, "maximum": 100,
                                         "description": "sessions to use (visits on a period card); default 1"},
                            "pin": PIN, "note": {"type": "string", "maxLength": 200}}}
USE = {"type": "object",
       "required": ["use_id", "card_number", "package_id", "service", "kind", "sessions", "revenue_fen",
                    "used_on", "sessions_left", "packages"],
       "properties": {"use_id": {"type": "integer"}, "status": {"enum": ["done", "cancelled"]},
                      "card_number": {"type": "string"},
                      "package_id": {"type": "integer"}, "service": {"type": "string"},
                      "kind": {"enum": ["count", "period"]}, "sessions": {"type": "integer"},
                      "revenue_fen": {"type": "integer"}, "used_on": DATE, "note": {"type": "string"},
                      "sessions_left": {"type": "integer", "description": "count sessions left for the service"},
                      "packages": {"type": "array", "items": PACKAGE}}}
CANCEL_INPUT = {"type": "object", "required": ["reason"], "additionalProperties": False,
                "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": 200}}}
CARD_404 = {404: "No such card for this merchant, or the plugin is not enabled"}


def list_plans(context: OperationContext) -> dict:
    return {"plans": [packages.plan_json(plan) for plan in plans(context.config)]}


def list_packages(context: OperationContext) -> dict:
    return packages.list_for_card(context.session, context.merchant_id, context.params["card_number"],
                                  context.now)


def _card_call(fn, schema, message):
    def handler(context: OperationContext) -> dict:
        body = check_body(context.body, schema, message)
        return fn(context.session, context.config, context.merchant_id, context.params["card_number"],
                  body, now=context.now, store_id=context.store_id, staff_id=context.staff_id)
    return handler


def cancel_use(context: OperationContext) -> dict:
    body = check_body(context.body, CANCEL_INPUT, "the cancellation is not valid; nothing was changed")
    return uses.cancel(context.session, context.config, context.merchant_id, context.params["use_id"], body,
                       now=context.now)


def deferred_report(context: OperationContext) -> dict:
    return reports.deferred(context.session, context.merchant_id)


def operations() -> list[ApiOperation]:
    return [
        ApiOperation("/service-packages/plans", "GET", "listServicePackagePlans",
                     "The count and period cards on offer (from the settings), with the sku to sell them",
                     list_plans, tag=TAG, response_schema={"type": "object", "required": ["plans"],
                                                           "properties": {"plans": {"type": "array", "items": PLAN}}},
                     read_only=True),
        ApiOperation("/cards/<card_number>/service-packages", "GET", "listServicePackages",
                     "A card's count and period cards", list_packages, tag=TAG,
                     response_schema=PACKAGE_LIST, read_only=True, errors=CARD_404),
        ApiOperation("/cards/<card_number>/service-packages", "POST", "sellServicePackage",
                     "Sell a count or period card through the checkout (money deferred until used)",
                     _card_call(packages.sell, SELL_INPUT, "the sale is not valid; nothing was charged"),
                     tag=TAG, status=201, request_schema=SELL_INPUT, response_schema=SALE, idempotent=True,
                     errors={**CARD_404, 409: "The card cannot be used or the balance is short"}),
        ApiOperation("/cards/<card_number>/service-package-uses", "POST", "useServicePackage",
                     "Use sessions of a count card, or record a visit on a period card (核销)",
                     _card_call(uses.use, USE_INPUT, "the use is not valid; nothing was used"),
                     tag=TAG, status=201, request_schema=USE_INPUT, response_schema=USE, idempotent=True,
                     errors={**CARD_404, 409: "No usable package: none, expired, used up, daily limit "
                                              "reached, or several services and none chosen"}),
        ApiOperation("/service-package-uses/<int:use_id>/cancel", "POST", "cancelServicePackageUse",
                     "Cancel a use made by mistake (a manager, with a reason): the sessions and their "
                     "income go back", cancel_use, tag=TAG, roles=MANAGERS, request_schema=CANCEL_INPUT,
                     response_schema=USE, idempotent=True,
                     errors={404: "No such use", 409: "Already cancelled, or its package expired or was returned"},
                     audit="service_package.use.cancel"),
        ApiOperation("/service-packages/deferred", "GET", "servicePackageDeferred",
                     "Deferred revenue per package with the ledger's balance alongside (also GET "
                     "/reports/package_deferred)", deferred_report, tag=TAG, roles=MANAGERS,
                     response_schema={"type": "object", "required": ["items"],
                                      "properties": {"items": {"type": "array"}}},
                     read_only=True, audit="export"),
    ]


__all__ = ["operations"]
