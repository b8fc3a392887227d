"""The training plugin's API operations (tag ``training``), declared as data.

The web layer authenticates, checks roles and that the merchant enabled the plugin, enforces
Idempotency-Key on operations that move sessions, minutes or money, and runs each handler in
one write transaction; a refusal rolls it all back. Bodies are checked against the schemas the
OpenAPI document publishes.
"""
from __future__ import annotations

from datetime import date

from core.clock import local_date, parse_date
from core.errors import Invalid, problem
from core.operations import ApiOperation, AuditSpec, OperationContext
from core.schemas import check_body
from core.text import VISIBLE_PATTERN

from . import catalogue, jobs, packages, reports, visits

MANAGERS = frozenset({"owner", "manager"})
TAG = "training"
KEY = {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,39}$"}
TEACHER = {"type": "string", "pattern": "^([a-z][a-z0-9_]{0,39})?$",
           "description": "a teacher key from the settings; empty for none"}
NAME = {"type": "string", "minLength": 1, "maxLength": 100, "pattern": VISIBLE_PATTERN}
DATE = {"type": "string", "format": "date"}

COURSE = {"type": "object", "required": ["id", "key", "name", "default_teacher", "active"],
          "properties": {"id": {"type": "integer"}, "key": {"type": "string"}, "name": {"type": "string"},
                         "default_teacher": {"type": "string"}, "active": {"type": "boolean"}}}
COURSE_INPUT = {"type": "object", "required": ["key", "name"], "additionalProperties": False,
                "properties": {"key": KEY, "name": NAME, "default_teacher": TEACHER,
                               "active": {"type": "boolean"}}}
COURSE_PATCH = {"type": "object", "minProperties": 1, "additionalProperties": False,
                "properties": {"name": NAME, "default_teacher": TEACHER, "active": {"type": "boolean"}}}
PLAN = {"type": "object",
        "required": ["id", "course_id", "course_key", "name", "kind", "sessions", "minutes",
                     "validity_days", "price_fen", "active"],
        "properties": {"id": {"type": "integer"}, "course_id": {"type": "integer"},
                       "course_key": {"type": "string"}, "course_name": {"type": "string"},
                       "course_active": {"type": "boolean"}, "name": {"type": "string"},
                       "kind": {"enum": ["count", "period", "metered"]},
                       "sessions": {"type": "integer"}, "minutes": {"type": "integer"},
                       "validity_days": {"type": "integer"}, "price_fen": {"type": "integer"},
                       "active": {"type": "boolean"}}}
_PLAN_FIELDS = {"name": NAME,
                "validity_days": {"type": "integer", "minimum": 1, "maximum": 3660,
                                  "description": "days of use; default: the package_validity_days setting"},
                "price_fen": {"type": "integer", "minimum": 0, "maximum": 100_000_000},
                "active": {"type": "boolean"}}
PLAN_INPUT = {"type": "object", "required": ["name", "kind", "price_fen"],
              "additionalProperties": False,
              "description": "The course by course_id or, as typed on the screen, by course_key.",
              "properties": {**_PLAN_FIELDS, "course_id": {"type": "integer", "minimum": 1},
                             "course_key": KEY,
                             "kind": {"enum": ["count", "period", "metered"],
                                      "description": "count: N sessions (T1); period: a pass (T2); "
                                                     "metered: M minutes (T2)"},
                             "sessions": {"type": "integer", "minimum": 1, "maximum": 1000},
                             "minutes": {"type": "integer", "minimum": 1, "maximum": 100_000}}}
CATALOGUE_FILTER = {"type": "object", "additionalProperties": False,
                    "properties": {"course_key": {"type": "string", "maxLength": 40}}}
PLAN_PATCH = {"type": "object", "minProperties": 1, "additionalProperties": False, "properties": _PLAN_FIELDS}

PACKAGE = {"type": "object",
           "required": ["id", "course_key", "kind", "units_total", "units_left", "paid_fen",
                        "recognised_fen", "deferred_fen", "valid_from", "valid_to", "status",
                        "usable_today"],
           "properties": {"id": {"type": "integer"}, "course_id": {"type": "integer"},
                          "course_key": {"type": "string"}, "course_name": {"type": "string"},
                          "plan_id": {"type": "integer"}, "kind": {"enum": ["count", "period", "metered"]},
                          "units_total": {"type": "integer"}, "units_left": {"type": "integer"},
                          "paid_fen": {"type": "integer"}, "recognised_fen": {"type": "integer"},
                          "deferred_fen": {"type": "integer"}, "valid_from": DATE, "valid_to": DATE,
                          "status": {"enum": ["active", "frozen", "expired", "returned"]},
                          "frozen_on": {"type": ["string", "null"]}, "usable_today": {"type": "boolean"},
                          "checkout_id": {"type": ["integer", "null"],
                                          "description": "null for a package imported from another system"},
                          "frozen_days_added": {"type": "integer"}}}
PAYMENT = {"type": "object", "required": ["method"],
           "properties": {"method": {"type": "string", "description": "cash, external, stored_value …"},
                          "channel": {"type": "string"}, "reference": {"type": "string"},
                          "pin": {"type": "string"}},
           "description": "one payment for the whole amount due"}
PAYMENTS = {"type": "array", "minItems": 1, "items": {"type": "object"},
            "description": "several payments with their amount_fen, as for /checkout"}
SELL_INPUT = {"type": "object", "required": ["plan_id"], "additionalProperties": False,
              "properties": {"plan_id": {"type": "integer", "minimum": 1},
                             "quantity": {"type": "integer", "minimum": 1, "maximum": 20},
                             "starts_on": {**DATE, "description": "period passes only; default today"},
                             "payment": PAYMENT, "payments": PAYMENTS}}
SALE = {"type": "object", "required": ["checkout_id", "card_number", "due_fen", "packages"],
        "properties": {"checkout_id": {"type": "integer"}, "card_number": {"type": "string"},
                       "due_fen": {"type": "integer"}, "list_fen": {"type": "integer"},
                       "payments": {"type": "array"}, "packages": {"type": "array", "items": PACKAGE}}}
PACKAGE_LIST = {"type": "object", "required": ["card_number", "as_of", "packages"],
                "properties": {"card_number": {"type": "string"}, "as_of": DATE,
                               "packages": {"type": "array", "items": PACKAGE}}}
SIGN_IN_INPUT = {"type": "object", "required": ["course_key"], "additionalProperties": False,
                 "properties": {"course_key": KEY,
                                "sessions": {"type": "integer", "minimum": 1, "maximum": 10,
                                             "description": "default: sessions_per_visit"},
                                "teacher": TEACHER, "note": {"type": "string", "maxLength": 200}}}
CHECK_IN_INPUT = {"type": "object", "required": ["course_key"], "additionalProperties": False,
                  "properties": {"course_key": KEY, "teacher": TEACHER,
                                 "note": {"type": "string", "maxLength": 200}}}
CANCEL_CHECK_IN_INPUT = {"type": "object", "required": ["reason"], "additionalProperties": False,
                         "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": 200}}}
CHECK_OUT_INPUT = {"type": "object", "additionalProperties": False,
                   "properties": {"payment": PAYMENT, "payments": PAYMENTS}}
VISIT = {"type": "object",
         "required": ["visit_id", "card_number", "course_key", "kind", "status", "teacher", "units",
                      "minutes", "revenue_fen", "attended_on"],
         "properties": {"visit_id": {"type": "integer"}, "card_number": {"type": "string"},
                        "course_key": {"type": "string"},
                        "kind": {"enum": ["session", "period", "metered"]},
                        "status": {"enum": ["open", "done", "cancelled"]}, "teacher": {"type": "string"},
                        "units": {"type": "integer"}, "minutes": {"type": "integer"},
                        "revenue_fen": {"type": "integer"}, "attended_on": DATE,
                        "checked_in_at": {"type": "string"},
                        "checked_out_at": {"type": ["string", "null"]},
                        "checkout_id": {"type": ["integer", "null"]},
                        "package_id": {"type": ["integer", "null"]}, "note": {"type": "string"},
                        "sessions_left": {"type": "integer"}, "minutes_left": {"type": "integer"},
                        "billed_units": {"type": "integer"}}}
ROWS = {"type": "object", "required": ["items"], "properties": {"items": {"type": "array"}}}


def _list(context: OperationContext, fn, *args) -> dict:
    return {"items": fn(context.session, context.merchant_id, *args)}


def _dates(context: OperationContext) -> tuple[date, date]:
    """``from`` / ``to`` (local dates, inclusive); default: this month so far."""
    today = local_date(context.now)
    found, problems = {}, []
    for name, default in (("from", today.replace(day=1)), ("to", today)):
        raw = context.query.get(name)
        try:
            found[name] = parse_date(raw) if raw else default
        except ValueError:
            problems.append(problem(f"/{name}", "a date, YYYY-MM-DD"))
    if problems:
        raise Invalid("the report period is not valid", details=problems)
    if found["to"] < found["from"]:
        raise Invalid("the period ends before it starts", details=[problem("/to", "on or after from")])
    return found["from"], found["to"]


def list_courses(context):
    return _list(context, catalogue.list_courses)


def create_course(context):
    body = check_body(context.body, COURSE_INPUT, "the course is not valid; nothing was saved")
    return catalogue.course_json(catalogue.create_course(context.session, context.config,
                                                         context.merchant_id, body))


def update_course(context):
    catalogue.get_course(context.session, context.merchant_id, context.params["course_id"])
    body = check_body(context.body, COURSE_PATCH, "the change is not valid; nothing was saved")
    return catalogue.course_json(catalogue.update_course(context.session, context.config, context.merchant_id,
                                                         context.params["course_id"], body))


def list_plans(context):
    raw = context.query.get("course_id")
    if raw not in (None, "") and not raw.isdigit():
        raise Invalid("course_id is a number", details=[problem("/course_id", "a course id")])
    return _list(context, catalogue.list_plans, int(raw) if raw else None)


def course_catalogue(context):
    """What the school sells, for the till: every active plan with its number (T1, T2)."""
    body = check_body(context.body, CATALOGUE_FILTER, "the filter is not valid")
    rows = [row for row in catalogue.list_plans(context.session, context.merchant_id)
            if row["active"] and row["course_active"]
            and body.get("course_key") in (None, "", row["course_key"])]
    return {"items": rows}


def _plan_json(context, plan):
    return catalogue.plan_json(plan, catalogue.get_course(context.session, context.merchant_id, plan.course_id))


def create_plan(context):
    body = check_body(context.body, PLAN_INPUT, "the plan is not valid; nothing was saved")
    return _plan_json(context, catalogue.create_plan(context.session, context.config, context.merchant_id, body))


def update_plan(context):
    catalogue.get_plan(context.session, context.merchant_id, context.params["plan_id"])
    body = check_body(context.body, PLAN_PATCH, "the change is not valid; nothing was saved")
    return _plan_json(context, catalogue.update_plan(context.session, context.merchant_id,
                                                     context.params["plan_id"], body))


def _card_call(fn, schema, message, **extra):
    def handler(context: OperationContext) -> dict:
        body = check_body(context.body, schema, message)
        kwargs = {"store_id": context.store_id, "staff_id": context.staff_id} if extra.get("till") else {}
        return fn(context.session, context.config, context.merchant_id, context.params["card_number"],
                  body, now=context.now, **kwargs)
    return handler


def list_packages(context):
    return packages.list_for_card(context.session, context.merchant_id, context.params["card_number"],
                                  context.now)


def _package_call(fn):
    def handler(context: OperationContext) -> dict:
        check_body(context.body, {"type": "object", "additionalProperties": False, "properties": {}},
                   "this takes no body")
        return fn(context.session, context.config, context.merchant_id, context.params["package_id"],
                  context.now)
    return handler


def income_report(context):
    return reports.income(context.session, context.config, context.merchant_id, *_dates(context))


def deferred_report(context):
    return reports.deferred(context.session, context.merchant_id)


def consumption_report(context):
    return reports.consumption(context.session, context.merchant_id, *_dates(context))


def sales_report(context):
    return reports.package_sales(context.session, context.merchant_id, *_dates(context))


def list_reminders(context):
    return jobs.reminders(context.session, context.config, context.merchant_id, context.now)


CARD_404 = {404: "No such card for this merchant, or the plugin is not enabled"}
PERIOD_QUERY = [("from", DATE, "first local date (default: the 1st of this month)"),
                ("to", DATE, "last local date (default: today)")]


def created(kind: str):
    """The audit target of a create: the new row's id from the result."""
    return lambda context, result: f"{kind}:{result['id']}"


def operations() -> list[ApiOperation]:
    return [
        ApiOperation("/training/courses", "GET", "listCourses", "List the school's courses", list_courses,
                     tag=TAG, response_schema=ROWS, read_only=True),
        ApiOperation("/training/courses", "POST", "createCourse", "Add a course", create_course, tag=TAG,
                     status=201, roles=MANAGERS, request_schema=COURSE_INPUT, response_schema=COURSE,
                     errors={409: "A course with this key exists"},
                     audit=AuditSpec("training.course.create", target=created("course"))),
        ApiOperation("/training/courses/<int:course_id>", "PATCH", "updateCourse",
                     "Rename a course, change its teacher or deactivate it", update_course, tag=TAG,
                     roles=MANAGERS, request_schema=COURSE_PATCH, response_schema=COURSE,
                     errors={404: "No such course"},
                     audit="training.course.update"),
        ApiOperation("/training/plans", "GET", "listCoursePlans", "List the package plans", list_plans,
                     tag=TAG, response_schema=ROWS, read_only=True,
                     query=[("course_id", {"type": "integer"}, "only this course's plans")]),
        ApiOperation("/training/plans", "POST", "createCoursePlan",
                     "Add a plan: N sessions, a period pass or M minutes", create_plan, tag=TAG,
                     status=201, roles=MANAGERS, request_schema=PLAN_INPUT, response_schema=PLAN,
                     audit=AuditSpec("training.plan.create", target=created("plan"))),
        ApiOperation("/training/catalogue", "POST", "showCourseCatalogue",
                     "The active plans with their numbers and prices, optionally of one course (the "
                     "cashier screen's action; changes nothing)", course_catalogue, tag=TAG,
                     request_schema=CATALOGUE_FILTER, response_schema=ROWS, read_only=True),
        ApiOperation("/training/plans/<int:plan_id>", "PATCH", "updateCoursePlan",
                     "Reprice, rename or stop offering a plan", update_plan, tag=TAG, roles=MANAGERS,
                     request_schema=PLAN_PATCH, response_schema=PLAN, errors={404: "No such plan"},
                     audit="training.plan.update"),
        ApiOperation("/cards/<card_number>/course-packages", "GET", "listCoursePackages",
                     "A card's course packages", list_packages, tag=TAG, response_schema=PACKAGE_LIST,
                     read_only=True, errors=CARD_404),
        ApiOperation("/cards/<card_number>/course-packages", "POST", "sellCoursePackage",
                     "Sell a course package through the checkout", _card_call(
                         packages.sell, SELL_INPUT, "the sale is not valid; nothing was charged", till=True),
                     tag=TAG, status=201, request_schema=SELL_INPUT, response_schema=SALE,
                     idempotent=True, errors={**CARD_404, 409: "The plan is no longer offered, the "
                                              "card cannot be used or the balance is short"}),
        ApiOperation("/course-packages/<int:package_id>/freeze", "POST", "freezeCoursePackage",
                     "Freeze a package (停课)", _package_call(packages.freeze), tag=TAG,
                     roles=MANAGERS, response_schema=PACKAGE,
                     errors={404: "No such package", 409: "Not active, used up, not started yet or already frozen"},
                     audit="training.package.freeze"),
        ApiOperation("/course-packages/<int:package_id>/unfreeze", "POST", "unfreezeCoursePackage",
                     "Unfreeze a package; its validity moves on by the frozen days",
                     _package_call(packages.unfreeze), tag=TAG, roles=MANAGERS, response_schema=PACKAGE,
                     errors={404: "No such package", 409: "The package is not frozen"},
                     audit="training.package.unfreeze"),
        ApiOperation("/cards/<card_number>/course-sign-ins", "POST", "signInStudent",
                     "Sign a student in: use sessions or show a pass", _card_call(
                         visits.sign_in, SIGN_IN_INPUT, "the sign-in is not valid; nothing was used",
                         till=True),
                     tag=TAG, status=201, request_schema=SIGN_IN_INPUT, response_schema=VISIT,
                     idempotent=True, errors={**CARD_404, 409: "No usable package: none for the "
                                              "course, frozen, expired or used up"}),
        ApiOperation("/cards/<card_number>/course-check-in", "POST", "checkInStudent",
                     "Start metered time", _card_call(visits.check_in, CHECK_IN_INPUT,
                                                      "the check-in is not valid; nothing was saved"),
                     tag=TAG, status=201, request_schema=CHECK_IN_INPUT, response_schema=VISIT,
                     idempotent=True, errors={**CARD_404, 409: "Already checked in, or no minutes"}),
        ApiOperation("/cards/<card_number>/course-check-out", "POST", "checkOutStudent",
                     "Stop metered time and charge it", _card_call(
                         visits.check_out, CHECK_OUT_INPUT, "the check-out is not valid; nothing was "
                         "charged", till=True),
                     tag=TAG, request_schema=CHECK_OUT_INPUT, response_schema=VISIT, idempotent=True,
                     errors={**CARD_404, 409: "Not checked in, or too few minutes left"}),
        ApiOperation("/cards/<card_number>/course-check-in/cancel", "POST", "cancelCheckIn",
                     "Cancel an open check-in without charging it (a manager, with a reason)",
                     _card_call(visits.cancel_check_in, CANCEL_CHECK_IN_INPUT,
                                "the cancellation is not valid; nothing was changed"),
                     tag=TAG, roles=MANAGERS, request_schema=CANCEL_CHECK_IN_INPUT,
                     response_schema=VISIT, errors={**CARD_404, 409: "Not checked in"}),
        ApiOperation("/training/reports/income", "GET", "courseIncomeReport",
                     "Recognised income by month, course and teacher; breakage apart (T3). Deprecated: "
                     "GET /reports/course_income",
                     income_report, tag=TAG, roles=MANAGERS, response_schema=ROWS, read_only=True,
                     query=PERIOD_QUERY,
                     audit="export"),
        ApiOperation("/training/reports/deferred", "GET", "deferredRevenueReport",
                     "Money received for sessions not attended yet (T3). Deprecated: GET "
                     "/reports/deferred_revenue", deferred_report, tag=TAG,
                     roles=MANAGERS, response_schema=ROWS, read_only=True,
                     audit="export"),
        ApiOperation("/training/reports/consumption", "GET", "sessionConsumptionReport",
                     "Every visit: sessions, minutes, teacher and income (X1). Deprecated: GET "
                     "/reports/session_consumption", consumption_report,
                     tag=TAG, roles=MANAGERS, response_schema=ROWS, read_only=True, query=PERIOD_QUERY,
                     audit="export"),
        ApiOperation("/training/reports/package-sales", "GET", "coursePackageSalesReport",
                     "Packages sold, renewals marked (X1 计次续费). Deprecated: GET /reports/package_sales",
                     sales_report, tag=TAG,
                     roles=MANAGERS, response_schema=ROWS, read_only=True, query=PERIOD_QUERY,
                     audit="export"),
        ApiOperation("/training/reminders", "GET", "listCourseReminders",
                     "Packages expiring soon or running low (R2)", list_reminders, tag=TAG,
                     response_schema={"type": "object", "required": ["expiring", "running_low"],
                                      "properties": {"expiring": {"type": "array"},
                                                     "running_low": {"type": "array"}}},
                     read_only=True),
    ]
