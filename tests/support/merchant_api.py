"""The base of the plugin tests' merchant harnesses (Shop, School, Hotel …): one merchant, its
tokens, the test client, and the ledger check every scenario ends with."""
from __future__ import annotations

from core import ledger
from tests.support.clock import key


class MerchantApi:
    def __init__(self, client, hk, merchant):
        self.client, self.hk, self.merchant = client, hk, merchant
        self.id = merchant.id

    def headers(self, role="owner", idempotent=False):
        return {**self.merchant.headers(role), **(key() if idempotent else {})}

    def verify(self):
        """Every ledger invariant holds for this merchant (balanced, no drift, lots agree)."""
        with self.hk.db.read() as session:
            assert ledger.verify(session, self.id) == []
