"""A tiny payment method that debits a card asset, installed as a throwaway plugin.

Used by tests/test_concurrency.py and the benchmark as a stand-in for stored value: the same
guarded card debit in core.ledger.post and the same lots, without a PIN (a stored-value PIN
is an scrypt hash, ~50 ms per payment) and without depending on plugins still being built.
"""
from __future__ import annotations

from pathlib import Path

from tests.support.plugin_factory import install_plugin, manifest

PLUGIN_ID = "card_debit"
METHOD = "card_debit"
ASSET = "test_credit"
MODULE = f"huika_test_{PLUGIN_ID}"

CODE = '''
from core.hookspecs import hookimpl

ASSET = "test_credit"


@hookimpl
def checkout_payment(session, checkout, payment, config):
    """Pay from the card's test_credit balance (a stand-in for stored value)."""
    if payment["method"] != "card_debit":
        return None
    from core.checkout import PaymentResult
    from core.errors import Invalid
    from core.ledger import Posting, card_account, merchant_account

    if checkout.card is None:
        raise Invalid("card_debit needs a card")
    amount = payment["amount_fen"]
    card = card_account(session, checkout.merchant_id, checkout.card.id, ASSET)
    issued = merchant_account(session, checkout.merchant_id, "issued", ASSET)
    return PaymentResult(amount, [Posting(card, -amount), Posting(issued, amount)], {"asset": ASSET})
'''

MANIFEST = manifest(PLUGIN_ID, assets=[{
    "key": ASSET, "unit": "fen", "title": {"zh-CN": "测试余额", "en": "Test credit"}}])


def install(site: Path) -> Path:
    """Write the plugin (with its entry point) into ``site``, a sys.path folder."""
    site.mkdir(parents=True, exist_ok=True)
    return install_plugin(site, PLUGIN_ID, code=CODE, manifest_doc=MANIFEST)
