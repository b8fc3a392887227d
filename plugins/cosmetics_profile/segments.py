"""K4 / M5 segments: buying habit (share of spend per product group, e.g. skincare vs make-up),
age band (from the birthday, on the merchant's local date), purchase frequency and amount,
recency (dormant members, R2), average ticket (X3), each member's A/B/C class, gender and
income band; listed with filters, one page at a time.

Bands are named from the settings' rising limits, so the names say what they hold: limits
[25, 35, 45] give ``under_25``, ``25_34``, ``35_44``, ``45_plus``; a member without a birthday
is ``unknown``. Frequency and amount are counted over ``abc_window_days``, net of returns.
A lunar birthday (R1) is read as its lunar month and day: the age can be one less for the few
weeks between the solar and lunar anniversaries, which does not matter for a band.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import local_date
from core.errors import Invalid, problem
from core.merchant_config import MerchantConfig
from core.models import Member

from .common import CLASS_ORDER, PLUGIN_ID
from .models import MemberClass
from .purchases import category_groups, group_spend, purchases

FILTERS = ("habit", "age_band", "frequency_band", "amount_band", "member_class", "gender")


def band(value: int, edges: list[int]) -> str:
    edges = sorted(edges)
    if value < edges[0]:
        return f"under_{edges[0]}"
    for low, high in zip(edges, edges[1:]):
        if low <= value < high:
            return f"{low}_{high - 1}"
    return f"{edges[-1]}_plus"


def band_names(edges: list[int]) -> list[str]:
    edges = sorted(edges)
    return [f"under_{edges[0]}"] + [f"{low}_{high - 1}" for low, high in zip(edges, edges[1:])] \
        + [f"{edges[-1]}_plus"]


def age_on(birthday: str | None, today: date) -> int | None:
    if not birthday:
        return None
    year, month, day = (int(part) for part in birthday.split("-"))
    return today.year - year - ((today.month, today.day) < (month, day))


def habit(spend_by_group: dict[str, int], share_permille: int) -> str:
    """The group with at least ``share_permille`` of the grouped spend, "mixed", or "none"."""
    total = sum(spend_by_group.values())
    if total <= 0:
        return "none"
    for group, spend in sorted(spend_by_group.items()):
        if spend * 1000 >= total * share_permille:
            return group
    return "mixed"


def options(settings: dict) -> dict:
    """Every value each filter can take (for a form, and to check a query)."""
    return {"habit": [g["key"] for g in settings["product_groups"]] + ["mixed", "none"],
            "age_band": band_names(settings["age_band_edges"]) + ["unknown"],
            "frequency_band": band_names(settings["frequency_band_edges"]),
            "amount_band": band_names(settings["amount_band_edges"]),
            "member_class": ["a", "b", "c", "none"],
            "gender": ["female", "male", "unspecified"]}


def member_facts(session: Session, config: MerchantConfig, merchant_id: int, now: datetime) -> list[dict]:
    settings = config.settings_for(PLUGIN_ID)
    today = local_date(now)
    window = settings["abc_window_days"]
    bought = purchases(session, merchant_id, since=now - timedelta(days=window), until=now)
    last_purchase = {member_id: mine[-1].day for member_id, mine in
                     purchases(session, merchant_id, until=now).items()}
    mapping = category_groups(settings)
    classes = dict(session.execute(select(MemberClass.member_id, MemberClass.member_class)
                                   .where(MemberClass.merchant_id == merchant_id)).all())
    facts = []
    for member in session.scalars(select(Member).where(Member.merchant_id == merchant_id)
                                  .order_by(Member.id)):
        mine = bought.get(member.id, [])
        spend = sum(p.net_fen for p in mine)
        by_group = group_spend(mine, mapping)
        age = age_on(member.birthday, today)
        last = last_purchase.get(member.id)
        facts.append({
            "member_id": member.id, "name": member.name, "phone": member.phone,
            "gender": member.gender, "income_band": member.income_band,
            "member_class": classes.get(member.id, "none"),
            "age": age,
            "age_band": band(age, settings["age_band_edges"]) if age is not None else "unknown",
            "orders": len(mine), "spend_fen": spend,
            "average_ticket_fen": spend // len(mine) if mine else 0,
            "last_purchase_on": last.isoformat() if last else None,
            "days_since_purchase": (today - last).days if last else None,
            "frequency_band": band(len(mine), settings["frequency_band_edges"]),
            "amount_band": band(spend, settings["amount_band_edges"]),
            "group_spend_fen": by_group,
            "habit": habit(by_group, settings["habit_share_permille"])})
    return facts


def segment(session: Session, config: MerchantConfig, merchant_id: int, now: datetime,
            query: dict) -> dict:
    """Members matching every filter given in ``query`` (K4), A first, then by spend."""
    settings = config.settings_for(PLUGIN_ID)
    allowed = options(settings)
    wanted, problems = {}, []
    for name in FILTERS:
        raw = query.get(name)
        if raw in (None, ""):
            continue
        if raw not in allowed[name]:
            problems.append(problem(f"/{name}", f"one of {', '.join(allowed[name])}"))
        wanted[name] = raw
    page, per_page = _int(query, "page", 1, 1, 100000, problems), _int(query, "per_page", 20, 1, 100, problems)
    min_spend = _int(query, "min_spend_fen", 0, 0, 10**12, problems)
    min_orders = _int(query, "min_orders", 0, 0, 100000, problems)
    # Recency (M5, R2): dormant members are those whose last purchase, if any, is this old.
    dormant = _int(query, "min_days_since_purchase", 0, 0, 100000, problems)
    recent = _int(query, "max_days_since_purchase", -1, 0, 100000, problems)
    income = (query.get("income_band") or "").strip()
    if problems:
        raise Invalid("the segment filters are not valid", details=problems)
    items = [fact for fact in member_facts(session, config, merchant_id, now)
             if all(fact[name] == value for name, value in wanted.items())
             and fact["spend_fen"] >= min_spend and fact["orders"] >= min_orders
             and (not income or fact["income_band"] == income)
             and (fact["days_since_purchase"] is None or fact["days_since_purchase"] >= dormant)
             and (recent < 0 or (fact["days_since_purchase"] is not None
                                 and fact["days_since_purchase"] <= recent))]
    items.sort(key=lambda f: (CLASS_ORDER.get(f["member_class"], 3), -f["spend_fen"], f["member_id"]))
    start = (page - 1) * per_page
    return {"as_of": local_date(now).isoformat(), "window_days": settings["abc_window_days"],
            "filters": wanted, "options": allowed, "total": len(items), "page": page,
            "per_page": per_page, "items": items[start:start + per_page]}


def _int(query: dict, name: str, default: int, low: int, high: int, problems: list) -> int:
    raw = query.get(name)
    if raw in (None, ""):
        return default
    if not str(raw).isdigit() or not low <= int(raw) <= high:
        problems.append(problem(f"/{name}", f"a whole number from {low} to {high}"))
        return default
    return int(raw)
