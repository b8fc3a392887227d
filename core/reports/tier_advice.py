"""tier_advice (L3): tier thresholds for 3 or 4 tiers, proposed from what members already spend.

Seed 003's beauty salon had six tiers (¥1000 … ¥12000) while most members spent about ¥4000;
cut to three at ¥2000 / ¥5000 / ¥8000 the programme grew. The rule behind that answer: a step
about 20 % above what a member already spends is within what they are willing to try; much
more and they give up on the next tier, much less and the tiers do not differ.

So each proposed threshold is 20 % above a quantile of the members' amounts (net spend in the
period, or, with ``basis=stored``, what they stored on their cards), rounded to a "nice" yuan
amount (1000, 1500, 2000, 3000 … : two steps per power of ten below 2, one above; never at
or below the quantile itself, and each tier above the one before):

- 3 tiers: the 5th, 50th and 85th percentiles — an entry tier nearly everyone is within a
  step of, a main tier just above the typical member, and a top tier for the best sixth;
- 4 tiers: the 5th, 35th, 65th and 90th percentiles.

Quantiles are nearest-rank over the members with a positive amount. The current tiers are
listed beside the proposal with how many members reach each one now.
"""
from __future__ import annotations

from sqlalchemy import BigInteger, func, select
from sqlalchemy.orm import Session

from ..models import Account, Card, Entry, LedgerTransaction
from .member_purchases import check_period, net_spend_per_member, period_instants, plain_batches
from .types import Report, ReportQuery, count, money, permille, text

ANCHORS_PERMILLE = {3: (50, 500, 850), 4: (50, 350, 650, 900)}
ROLES = {3: (("入门级", "Entry"), ("主力级", "Main"), ("标杆级", "Top")),
         4: (("入门级", "Entry"), ("进阶级", "Step-up"), ("主力级", "Main"), ("标杆级", "Top"))}
STEP_NUMERATOR, STEP_DENOMINATOR = 6, 5  # 20 % above
DEFAULT_STORED_ASSET = "stored_value_principal"
# Moves between a member's own cards and money given back on a return are not new storage.
NOT_STORING = ("card_replacement", "return")
BASIS_CONDITION = {"spend": "cumulative_spend", "stored": "stored_amount"}


def _nice_step(amount_fen: int) -> int:
    power = 10 ** (len(str(amount_fen)) - 1)
    return max(100, power // 2 if amount_fen // power < 2 else power)


def nice_fen(amount_fen: int) -> int:
    """``amount_fen`` rounded to the nearest nice yuan amount: to half the power of ten while
    the leading digit is 1 (1000, 1500, 2000), to the power of ten from 2 up (2000, 3000 …
    9000, 10000, 15000, 20000 …); never below ¥1."""
    if amount_fen <= 100:
        return 100
    step = _nice_step(amount_fen)
    return (amount_fen + step // 2) // step * step


def next_nice_fen(amount_fen: int) -> int:
    """The nice amount just above ``amount_fen``."""
    if amount_fen < 100:
        return 100
    step = _nice_step(amount_fen)
    return (amount_fen // step + 1) * step


def nearest_rank(sorted_amounts: list[int], permille_rank: int) -> int:
    """The nearest-rank quantile: the smallest amount with at least that share at or below."""
    position = max(1, -(-permille_rank * len(sorted_amounts) // 1000))
    return sorted_amounts[position - 1]


def propose(sorted_amounts: list[int], tiers: int) -> list[dict]:
    """The proposed thresholds with the figures their reasons quote."""
    proposals, previous = [], 0
    for level, anchor in enumerate(ANCHORS_PERMILLE[tiers], start=1):
        quantile = nearest_rank(sorted_amounts, anchor)
        raised = (quantile * STEP_NUMERATOR + STEP_DENOMINATOR // 2) // STEP_DENOMINATOR
        # Rounding must not undo the step (¥2400 -> ¥2000 over a quantile of ¥2000), nor
        # merge two tiers: then the next nice amount above.
        threshold = nice_fen(raised)
        if threshold <= quantile:
            threshold = next_nice_fen(quantile)
        if threshold <= previous:
            threshold = next_nice_fen(previous)
        proposals.append({"level": level, "anchor_permille": anchor, "quantile_fen": quantile,
                          "raised_fen": raised, "threshold_fen": threshold})
        previous = threshold
    return proposals


def amounts_per_member(session: Session, query: ReportQuery, basis: str, asset: str) -> list[int]:
    """Each member's positive amount in the period, ascending."""
    if basis == "spend":
        spent = net_spend_per_member(query.merchant_id, query.start, query.end).subquery()
        statement = select(spent.c.net_fen).where(spent.c.net_fen > 0)
    else:
        since, until = period_instants(query.start, query.end)
        stored = (select(func.sum(Entry.amount).label("fen"))
                  .join(Account, Account.id == Entry.account_id)
                  .join(Card, Card.id == Account.card_id)
                  .join(LedgerTransaction, LedgerTransaction.id == Entry.transaction_id)
                  .where(Account.merchant_id == query.merchant_id, Account.owner == "card",
                         Account.asset == asset, Card.member_id.is_not(None), Entry.amount > 0,
                         LedgerTransaction.type.not_in(NOT_STORING),
                         LedgerTransaction.created_at >= since, LedgerTransaction.created_at < until)
                  .group_by(Card.member_id).subquery())
        statement = select(stored.c.fen.cast(BigInteger)).where(stored.c.fen > 0)
    return sorted(amount for batch in plain_batches(session.connection(), statement)
                  for (amount,) in batch)


def _reaching(sorted_amounts: list[int], threshold: int) -> int:
    from bisect import bisect_left

    return len(sorted_amounts) - bisect_left(sorted_amounts, threshold)


def _within_step(sorted_amounts: list[int], threshold: int) -> int:
    """Members below the threshold by at most a 20 % step of their own amount."""
    from bisect import bisect_left

    lowest = -(-threshold * STEP_DENOMINATOR // STEP_NUMERATOR)
    return bisect_left(sorted_amounts, threshold) - bisect_left(sorted_amounts, lowest)


def _yuan(fen: int) -> str:
    return f"{fen // 100:,}" if fen % 100 == 0 else f"{fen / 100:,.2f}"


def _current_threshold(tier: dict, basis: str) -> int | None:
    wanted = BASIS_CONDITION[basis]
    amounts = [c["amount_fen"] for c in tier.get("upgrade", []) if c.get("kind") == wanted]
    amounts = amounts or [c["amount_fen"] for c in tier.get("upgrade", []) if "amount_fen" in c]
    return min(amounts) if amounts else None


def rows(session: Session, query: ReportQuery):
    check_period(query.start, query.end)
    tiers = query.params.get("tiers", 3)
    basis = query.params.get("basis", "spend")
    asset = query.params.get("asset") or DEFAULT_STORED_ASSET
    amounts = amounts_per_member(session, query, basis, asset)
    members = len(amounts)
    what_zh, what_en = ("消费", "spent") if basis == "spend" else ("储值", "stored")

    def figures(threshold: int) -> dict:
        reaching = _reaching(amounts, threshold) if amounts else 0
        return {"threshold_fen": threshold, "members_reaching": reaching,
                "reaching_permille": reaching * 1000 // members if members else 0,
                "within_step": _within_step(amounts, threshold) if amounts else 0}

    if not amounts:
        yield {"kind": "proposed", "kind_name": "建议", "level": None, "tier_name": "",
               "members": 0,
               "reason": f"期间没有会员{what_zh}，无法根据分布给出建议。",
               "reason_en": f"No member {what_en} anything in the period: there is no "
                            "distribution to propose tiers from."}
    else:
        for proposal, (role_zh, role_en) in zip(propose(amounts, tiers), ROLES[tiers]):
            row = figures(proposal["threshold_fen"])
            share = proposal["anchor_permille"] // 10
            quantile, raised = _yuan(proposal["quantile_fen"]), _yuan(proposal["raised_fen"])
            nice = _yuan(proposal["threshold_fen"])
            row.update(
                kind="proposed", kind_name="建议", level=proposal["level"],
                tier_name=role_zh, tier_name_en=role_en, members=members,
                quantile_permille=proposal["anchor_permille"], quantile_fen=proposal["quantile_fen"],
                reason=(f"{share}%的会员{what_zh}不超过¥{quantile}；门槛比这一水平高约20%"
                        f"（¥{quantile}×1.2≈¥{raised}，取整为¥{nice}），在会员愿意尝试的范围内。"
                        f"现有{row['members_reaching']}人已达到，另有{row['within_step']}人"
                        f"再{what_zh}不到20%即可达到。"),
                reason_en=(f"{share}% of members {what_en} at most ¥{quantile}; the threshold is "
                           f"about 20 % above that (¥{quantile} × 1.2 ≈ ¥{raised}, rounded to "
                           f"¥{nice}), a step members are willing to try. "
                           f"{row['members_reaching']} members reach it already and "
                           f"{row['within_step']} more are less than 20 % away."))
            yield row
    for level, tier in enumerate(query.config.tiers, start=1):
        threshold = _current_threshold(tier, basis)
        row = {"kind": "current", "kind_name": "现行", "level": level,
               "tier_name": tier["name"].get("zh-CN", tier["key"]),
               "tier_name_en": tier["name"].get("en", tier["key"]), "members": members}
        if threshold is None:
            row.update(reason="该等级没有金额条件。", reason_en="This tier has no amount condition.")
        else:
            row.update(figures(threshold))
            row.update(reason=f"现行门槛¥{_yuan(threshold)}：{row['members_reaching']}人"
                              f"（{row['reaching_permille'] / 10:.1f}%）已达到。",
                       reason_en=f"Current threshold ¥{_yuan(threshold)}: "
                                 f"{row['members_reaching']} members "
                                 f"({row['reaching_permille'] / 10:.1f} %) reach it.")
        yield row


REPORT = Report(
    id="tier_advice",
    title={"zh-CN": "等级设置建议", "en": "Tier advice"},
    description={
        "zh-CN": "根据会员消费（或储值）分布，建议3或4个等级的门槛：每级比多数会员已达到的水平高约20%，"
                 "取整到整数金额，并列出现行等级作对照（L3）。",
        "en": "Thresholds for 3 or 4 tiers from the members' spend (or stored) distribution: "
              "each about 20 % above what most members already reach, rounded to a nice "
              "amount, with the current tiers beside them (L3)."},
    columns=[text("kind_name", "类别", "Kind"), count("level", "级别", "Level", total=False),
             text("tier_name", "等级", "Tier"), text("tier_name_en", "等级（英文）", "Tier (en)"),
             money("threshold_fen", "门槛", "Threshold", total=False),
             count("members_reaching", "已达到人数", "Members reaching it", total=False),
             permille("reaching_permille", "已达到占比", "Share reaching it", total=False),
             count("within_step", "差20%以内人数", "Within a 20 % step", total=False),
             permille("quantile_permille", "依据分位", "Quantile", total=False),
             money("quantile_fen", "分位金额", "Amount at the quantile", total=False),
             count("members", "参与统计会员数", "Members counted", total=False),
             text("reason", "理由", "Reason (zh)"), text("reason_en", "理由（英文）", "Reason")],
    rows=rows,
    by_store=False,
    parameters={
        "tiers": {"type": "integer", "enum": [3, 4], "default": 3,
                  "description": "how many tiers to propose",
                  "x-label": {"zh-CN": "建议几个等级", "en": "Tiers to propose"},
                  "x-help": {"zh-CN": "建议 3 个或 4 个等级", "en": "How many tiers to propose"}},
        "basis": {"type": "string", "enum": ["spend", "stored"], "default": "spend",
                  "description": "members' net spend in the period, or what they stored on "
                                 "their cards in it",
                  "x-label": {"zh-CN": "依据", "en": "Based on"},
                  "x-help": {"zh-CN": "会员期间内的净消费，或期间内的储值金额",
                             "en": "Members' net spend in the period, or what they stored on their cards"},
                  "x-enum-labels": {"spend": {"zh-CN": "消费", "en": "Spend"},
                                    "stored": {"zh-CN": "储值", "en": "Stored"}}},
        "asset": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,39}$",
                  "default": DEFAULT_STORED_ASSET,
                  "description": "basis=stored: the card asset that counts as stored "
                                 "(stored value's principal by default)",
                  "x-label": {"zh-CN": "储值资产", "en": "Stored asset"},
                  "x-help": {"zh-CN": "依据为储值时计入的卡内资产（默认为储值本金）",
                             "en": "When based on stored: the card asset that counts (stored "
                                   "value's principal by default)"}}},
    default_days=365,
)
