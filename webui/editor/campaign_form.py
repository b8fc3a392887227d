"""The campaign page's form, read into the API's campaign body (core.campaigns checks it).

One reader serves saving and the live count, so what the owner sees counted is what the
campaign will use. Amounts are typed in yuan (exact fen, webui.screens.money); list values
("贵宾, 新客") are separated by commas; a field's value is typed by the published field.
"""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.merchant_config import MerchantConfig

from ..screens.money import MoneyError, parse_yuan

FIELD_ROWS = 3
LIST_OPS = ("in", "has_any")


def _int(text: str, pointer: str, problems: list) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 6:
        problems.append({"pointer": pointer, "message": _("Enter a whole number.")})
        return None
    return int(text)


def _yuan(text: str, pointer: str, problems: list) -> int | None:
    if not (text or "").strip():
        return None
    try:
        return parse_yuan(text)
    except MoneyError as error:
        problems.append({"pointer": pointer, "message": str(error)})
        return None


def segment_from_form(form, config: MerchantConfig) -> tuple[dict, list[dict]]:
    """The segment the form describes, and the problems of what could not be read at all."""
    problems: list[dict] = []
    segment: dict = {}
    if tiers := form.getlist("tiers"):
        segment["tiers"] = tiers
    if stores := form.getlist("stores"):
        segment["stores"] = [int(s) if s.isdigit() else s for s in stores]
    if rfm := form.getlist("rfm"):
        segment["rfm"] = {"segments": rfm}
        if (days := _int(form.get("rfm_days"), "/segment/rfm/days", problems)) is not None:
            segment["rfm"]["days"] = days
    if (dormant := _int(form.get("dormant_days"), "/segment/dormant_days", problems)) is not None:
        segment["dormant_days"] = dormant
    if (month := _int(form.get("birthday_month"), "/segment/birthday_month/month", problems)) is not None:
        segment["birthday_month"] = {"month": month}
        if (year := _int(form.get("birthday_year"), "/segment/birthday_month/year", problems)) is not None:
            segment["birthday_month"]["year"] = year
    low = _yuan(form.get("spend_min"), "/segment/spend/min_fen", problems)
    high = _yuan(form.get("spend_max"), "/segment/spend/max_fen", problems)
    if low is not None or high is not None:
        segment["spend"] = {key: value for key, value in (("min_fen", low), ("max_fen", high)) if value is not None}
        if (days := _int(form.get("spend_days"), "/segment/spend/days", problems)) is not None:
            segment["spend"]["days"] = days
    fields = {field["key"]: field for field in config.member_fields}
    conditions = []
    for row in range(1, FIELD_ROWS + 1):
        key, op = (form.get(f"field_key_{row}") or "").strip(), (form.get(f"field_op_{row}") or "").strip()
        if not key:
            continue
        condition = {"key": key, "op": op or "eq"}
        if condition["op"] not in ("set", "unset"):
            condition["value"] = _typed(fields.get(key), condition["op"], form.get(f"field_value_{row}") or "")
        conditions.append(condition)
    if conditions:
        segment["fields"] = conditions
    return segment, problems


def _typed(field: dict | None, op: str, text: str):
    text = text.strip()
    kind = (field or {}).get("type", "text")
    if op in LIST_OPS or kind == "multi_choice":
        return [part.strip() for part in text.replace("，", ",").split(",") if part.strip()]
    if kind == "number":
        try:
            return int(text)
        except ValueError:
            return text  # the core names it: "an integer"
    if kind == "boolean":
        return text.lower() in ("1", "true", "yes", "是", "on")
    return text


def body_from_form(form, config: MerchantConfig) -> tuple[dict, list[dict]]:
    """The whole campaign body (name, segment, message, benefit, schedule) and read problems."""
    segment, problems = segment_from_form(form, config)
    message = {"text": (form.get("message_text") or "").strip() or None,
               "channel": form.get("message_channel") or None}
    template = _int(form.get("message_template_id"), "/message/template_id", problems)
    if template:
        message["template_id"] = template
    body = {"name": (form.get("name") or "").strip(), "segment": segment, "message": message,
            "benefit": None, "send_at": None}
    coupon = _int(form.get("coupon_template_id"), "/benefit/template_id", problems)
    if coupon:
        body["benefit"] = {"kind": "coupon", "template_id": coupon}
    if form.get("schedule") == "later":
        body["send_at"] = (form.get("send_at") or "").strip() or "?"
    return body, problems


SECTION_LABELS = {
    "/name": _l("Campaign name"), "/segment/tiers": _l("Tier"), "/segment/stores": _l("Store"),
    "/segment/rfm": _l("RFM segment"), "/segment/dormant_days": _l("Dormant"), "/segment/birthday_month": _l("Birthday month"),
    "/segment/spend": _l("Spend"), "/segment/fields": _l("Member fields"), "/segment": _l("Segment"),
    "/message": _l("Message"), "/benefit": _l("Coupon"), "/send_at": _l("Send time"),
}


def readable(problems: list[dict]) -> list[str]:
    """Each problem as "<section>: <message>" in the owner's language."""
    lines = []
    for item in problems:
        pointer = item.get("pointer", "")
        section = next((label for prefix, label in SECTION_LABELS.items() if pointer.startswith(prefix)), "")
        lines.append(f"{section}：{item['message']}" if section else item["message"])
    return lines
