"""Count and period cards imported from another system: sessions on the card, unearned money
deferred, then used, earned by day and lapsed like a package sold here; one batch, reconciled."""
from __future__ import annotations

from tests.imports.helpers import MEMBER_HEADER, csv_bytes, members_file, post_file

HEADER = ["卡号*", "卡名*", "剩余次数", "有效期至*", "未消耗金额(元)"]


def test_imported_cards_behave_like_sold_ones(salon):  # the real clock: imports date by it
    client = salon.client
    assert post_file(client, salon.merchant, "members",
                     csv_bytes(MEMBER_HEADER, members_file(3))).status_code == 201
    rows = [["66000000", "10次面部护理", "6", "2099-12-31", "600.00"],
            ["66000001", "quarter", "", "2099-03-31", "300"],
            ["66000002", "热石", "3", "2099-12-31", "0"],  # no such plan
            ["66000002", "季卡", "4", "2099-12-31", "0"],  # a period card has no sessions
            ["66000002", "wash_20", "0", "2099-12-31", "0"],  # nothing left
            ["66000002", "wash_20", "5", "2001-01-31", "0"]]  # expired
    dry = post_file(client, salon.merchant, "service_packages", csv_bytes(HEADER, rows), dry_run=True)
    assert dry.status_code == 200, dry.json
    assert [(p["row"], p["column"]) for p in dry.json["problems"]] == [
        (4, "plan"), (5, "sessions_left"), (6, "sessions_left"), (7, "valid_to")]
    done = post_file(client, salon.merchant, "service_packages", csv_bytes(HEADER, rows[:2]))
    assert done.status_code == 201, done.json
    assert done.json["created"] == {"packages": 2, "deferred_fen": 90000}
    assert done.json["reconciliation"]["balanced"] is True
    assert salon.account("package_deferred") == -90000
    [package] = salon.packages("66000000")
    assert (package["sessions_left"], package["paid_fen"], package["checkout_id"]) == (6, 60000, None)
    used = salon.use("66000000")
    assert used.status_code == 201, used.json
    assert used.json["revenue_fen"] == 10000  # 600 yuan over 6 sessions
    [period] = salon.packages("66000001")  # earns by day from the import day to its last day
    assert (period["kind"], period["paid_fen"], period["valid_to"]) == ("period", 30000, "2099-03-31")
    assert salon.account("package_income") == -10000 and salon.account("package_deferred") == -80000
    salon.verify()
