"""What the money reports (sales_daily, shift_close, staff_performance) share: names of
payment methods, stores and staff, and which merchant accounts hold money taken in."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Account, Staff, Store

# Payment methods as the rollups name them (core.rollups.sources): checkout_payments.method,
# an external payment by its channel's account. Unknown ones (a plugin's) show their key.
METHOD_NAMES = {
    "cash": "现金", "external_wechat": "微信支付", "external_alipay": "支付宝",
    "external_unionpay": "银联刷卡", "external_other": "其他外部支付", "external_cheque": "支票(已兑付)",
    "stored_value": "储值卡", "points": "积分抵现", "e_voucher": "电子券", "cheque": "支票",
}
RECHARGE = "stored_value_recharge"  # the stored_value plugin's ledger transaction type


def method_name(method: str) -> str:
    return METHOD_NAMES.get(method, method)


def tender_method(purpose: str) -> str | None:
    """The payment method whose money a merchant account holds, or None for other accounts:
    the till (cash_drawer), an external channel's account, cheques not cleared yet."""
    if purpose == "cash_drawer":
        return "cash"
    if purpose.startswith("external_"):
        return purpose
    if purpose == "cheques_receivable":
        return "cheque"
    return None


def merchant_accounts(session: Session, merchant_id: int) -> dict[int, tuple[str, str]]:
    """account id -> (purpose, asset) of the merchant's own accounts."""
    return {account_id: (purpose, asset) for account_id, purpose, asset in session.execute(
        select(Account.id, Account.purpose, Account.asset)
        .where(Account.merchant_id == merchant_id, Account.owner == "merchant"))}


def store_names(session: Session, merchant_id: int) -> dict[int, str]:
    return dict(session.execute(select(Store.id, Store.name).where(Store.merchant_id == merchant_id)).all())


def staff_list(session: Session, merchant_id: int) -> dict[int, tuple[str, int | None]]:
    """staff id -> (shown name, store id)."""
    return {staff_id: (display or username, store) for staff_id, display, username, store in session.execute(
        select(Staff.id, Staff.display_name, Staff.username, Staff.store_id)
        .where(Staff.merchant_id == merchant_id).order_by(Staff.id))}
