"""The dashboard's figures that come from plugins: recharges, liabilities, reminders due.

Each is shown only when the merchant enabled the plugin. Liabilities are generic: what the
cards hold of every asset an enabled plugin declares in its manifest, summed from the ledger's
card accounts. Recharges and reminders call the plugins' own public names and functions (the
web layer may import plugins; the core may not).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import Account, AccountOwner, Card, Entry, LedgerTransaction

from .figures import Day, Scope, Series, as_date, local_day, period_bounds

STORED_VALUE, POINTS, COURSES = "stored_value", "points", "training_courses"
POINTS_NOTICE_DAYS = 30
LIVE_CARD_STATUSES = ("active", "frozen", "lost")  # a member's card that still holds value


def add_recharges(session: Session, scope: Scope, config, series: Series) -> None:
    """Stored-value recharges per local day into ``series``: how many, and the principal paid.

    The money received is what each recharge (transaction type ``stored_value_recharge``) moved
    out of the merchant's ("stored_value_sold", cny) account, the plugin's record of principal
    sold (plugins/stored_value/common.py); a cheque recharge counts when taken.
    """
    if not config.is_enabled(STORED_VALUE):
        return
    from plugins.stored_value.common import CNY, TX_RECHARGE

    start, end = period_bounds(series.first, series.last)
    day = local_day(session, LedgerTransaction.created_at)
    query = (select(day, func.count(), func.coalesce(-func.sum(Entry.amount), 0))
             .select_from(LedgerTransaction)
             .join(Entry, Entry.transaction_id == LedgerTransaction.id)
             .join(Account, Account.id == Entry.account_id)
             .where(LedgerTransaction.merchant_id == scope.merchant_id,
                    LedgerTransaction.type == TX_RECHARGE,
                    LedgerTransaction.created_at >= start, LedgerTransaction.created_at < end,
                    Account.owner == AccountOwner.MERCHANT.value, Account.purpose == "stored_value_sold",
                    Account.asset == CNY)
             .group_by(day))
    if scope.store_id is not None:
        query = query.where(LedgerTransaction.store_id == scope.store_id)
    for value, recharges, fen in session.execute(query):
        figures = series.days.setdefault(as_date(value), Day())
        figures.recharges, figures.recharge_fen = int(recharges), int(fen)


def liabilities(session: Session, scope: Scope, config, registry, lang: str = "zh-CN") -> list[dict]:
    """What the cards hold, per asset of every enabled plugin: stored value owed (principal,
    bonus, pending cheques), points outstanding, sessions, vouchers … ``unit`` "fen" is money.

    For one store: the cards issued there.
    """
    assets = []
    for plugin_id in config.enabled_plugins:
        info = registry.get(plugin_id)
        for asset in (info.assets if info else []):
            assets.append((plugin_id, asset))
    if not assets:
        return []
    query = (select(Account.asset, func.coalesce(func.sum(Account.balance), 0), func.count(Account.id))
             .where(Account.merchant_id == scope.merchant_id, Account.owner == AccountOwner.CARD.value,
                    Account.asset.in_([asset["key"] for _, asset in assets]), Account.balance > 0)
             .group_by(Account.asset))
    if scope.store_id is not None:
        query = query.join(Card, Card.id == Account.card_id).where(Card.issued_store_id == scope.store_id)
    held = {asset: (int(total), int(cards)) for asset, total, cards in session.execute(query)}
    rows = []
    for plugin_id, asset in assets:
        total, cards = held.get(asset["key"], (0, 0))
        title = asset.get("title", {})
        rows.append({"plugin": plugin_id, "asset": asset["key"], "unit": asset.get("unit", ""),
                     "title": title.get(lang) or title.get("zh-CN") or asset["key"],
                     "amount": total, "cards": cards})
    return rows


def reminders(session: Session, scope: Scope, config, now: datetime) -> list[dict]:
    """What the enabled plugins can list today as due for a reminder (R2), as counts.

    Issue 14 brings the reminders feature (sending, scheduling); until then this shows what the
    plugins already compute: low stored-value balances (S6), points expiring within 30 days
    (P7) and course packages expiring or running low (T1). An empty list means none of these
    plugins is enabled: the page then says 暂无, never a made-up number.
    """
    found = []
    if config.is_enabled(STORED_VALUE):
        found.append(_low_balances(session, scope, config))
    if config.is_enabled(POINTS):
        from plugins.points.expiry import expiring_soon

        cards = _in_scope(session, scope, expiring_soon(session, scope.merchant_id, now, POINTS_NOTICE_DAYS))
        found.append({"key": "points_expiring", "days": POINTS_NOTICE_DAYS, "cards": len(cards),
                      "amount": sum(card["points"] for card in cards), "unit": "point"})
    if config.is_enabled(COURSES):
        from plugins.training_courses.jobs import reminders as course_reminders

        due = course_reminders(session, config, scope.merchant_id, now)
        expiring = _in_scope(session, scope, due["expiring"])
        running_low = _in_scope(session, scope, due["running_low"])
        found.append({"key": "packages_expiring", "days": due["notice_days"], "cards": len(expiring),
                      "amount": len(expiring), "unit": "package"})
        found.append({"key": "packages_running_low", "sessions": due["low_sessions"],
                      "cards": len(running_low), "amount": len(running_low), "unit": "package"})
    return found


def _low_balances(session: Session, scope: Scope, config) -> dict:
    """Cards whose spendable stored value (principal + bonus) is below the reminder amount (S6);
    cards that never held stored value are not counted."""
    from plugins.stored_value.common import BONUS, PRINCIPAL

    threshold = config.settings_for(STORED_VALUE)["low_balance_reminder_fen"]
    entry = {"key": "low_balance", "threshold_fen": threshold, "cards": 0, "amount": 0, "unit": "fen"}
    if not threshold:
        return entry
    per_card = (select(Account.card_id, func.sum(Account.balance).label("fen"))
                .where(Account.merchant_id == scope.merchant_id, Account.owner == AccountOwner.CARD.value,
                       Account.asset.in_([PRINCIPAL, BONUS]))
                .group_by(Account.card_id).subquery())
    query = (select(func.count(), func.coalesce(func.sum(per_card.c.fen), 0))
             .select_from(per_card).join(Card, Card.id == per_card.c.card_id)
             .where(per_card.c.fen < threshold, Card.status == "active"))
    if scope.store_id is not None:
        query = query.where(Card.issued_store_id == scope.store_id)
    cards, fen = session.execute(query).one()
    entry.update(cards=int(cards), amount=int(fen))
    return entry


def _in_scope(session: Session, scope: Scope, entries: list[dict], chunk: int = 500) -> list[dict]:
    """The entries (each with a ``card_number``) whose card was issued in the scope's store."""
    if scope.store_id is None or not entries:
        return entries
    numbers = sorted({entry["card_number"] for entry in entries})
    ours: set[str] = set()
    for index in range(0, len(numbers), chunk):
        ours.update(session.scalars(select(Card.number).where(
            Card.merchant_id == scope.merchant_id, Card.issued_store_id == scope.store_id,
            Card.number.in_(numbers[index:index + chunk]))))
    return [entry for entry in entries if entry["card_number"] in ours]
