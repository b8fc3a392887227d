"""What every part of the hotel plugin shares: ids, room types, ledger accounts, input checks.

The plugin imports only the core (DESIGN.md: webui -> plugins -> core), never another plugin.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from core import ledger
from core.models import Account

PLUGIN_ID = "hotel_rooms"
ASSET = "room_vouchers"  # one unit per voucher, a room night or an e-voucher (H2, H4)

ROOM_TYPES = ("business_suite", "suite", "executive_suite", "standard")
ROOM_TYPE_LABELS = {
    "business_suite": {"zh-CN": "豪华商务套房", "en": "Business suite"},
    "suite": {"zh-CN": "豪华套房", "en": "Suite"},
    "executive_suite": {"zh-CN": "豪华行政套房", "en": "Executive suite"},
    "standard": {"zh-CN": "标准间", "en": "Standard room"},
}

# Merchant-side accounts of the ``room_vouchers`` asset (double entry: the vouchers a card
# holds mirror what the hotel issued minus what came back).
ISSUED = "issued"  # card kinds, upgrades, birthdays, campaigns, wheel prizes (H1, H2, H4)
REDEEMED = "redeemed"  # a room night used at the desk, an e-voucher used as a payment (H2, H3)
EXPIRED = "expired"  # vouchers past their date (H2)
# The cny side of an e-voucher payment: the hotel absorbs the fen the e-voucher paid (H3, H4).
E_VOUCHER_PAYMENTS = "e_voucher_payments"


def card_vouchers(session: Session, merchant_id: int, card_id: int) -> Account:
    return ledger.card_account(session, merchant_id, card_id, ASSET)


def merchant_vouchers(session: Session, merchant_id: int, purpose: str) -> Account:
    return ledger.merchant_account(session, merchant_id, purpose, ASSET)


