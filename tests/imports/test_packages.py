"""Course packages imported from another system (T1, T3): sessions on the card, unearned money
deferred, used and recognised like a package sold here; one batch, reconciled."""
from __future__ import annotations

from tests.plugins.training_courses.conftest import make_school

from .helpers import MEMBER_HEADER, csv_bytes, members_file, post_file

HEADER = ["卡号*", "课程*", "方案", "剩余课时", "有效期至*", "未消耗金额(元)"]


def test_packages_import_and_behave_like_sold_ones(client, hk):
    school = make_school(client, hk)
    piano = school.course()
    school.plan(piano["id"], sessions=10, price_fen=200000)
    drawing = school.course(key="drawing", name="美术")
    school.plan(drawing["id"], kind="period", validity_days=90)
    school.plan(drawing["id"], kind="metered", name="计时", minutes=600)
    assert post_file(client, school.merchant, "members",
                     csv_bytes(MEMBER_HEADER, members_file(3))).status_code == 201
    rows = [["66000000", "piano", "", "6", "2099-06-30", "1200.00"],
            ["66000001", "美术", "period plan", "", "2099-01-31", "300"],
            ["66000002", "drawing", "计时", "240", "2099-12-31", "480"],
            ["66000002", "drawing", "", "3", "2099-12-31", "0"],  # two plans: name one
            ["66000002", "chess", "", "3", "2099-12-31", "0"],  # no such course
            ["66000001", "piano", "", "0", "2099-12-31", "0"],  # nothing left
            ["66000001", "piano", "", "5", "2001-12-31", "0"]]  # expired
    dry = post_file(client, school.merchant, "course_packages", csv_bytes(HEADER, rows), dry_run=True)
    assert dry.status_code == 200, dry.json
    assert [(p["row"], p["column"]) for p in dry.json["problems"]] == [
        (5, "plan"), (6, "course"), (7, "units_left"), (8, "valid_to")]
    done = post_file(client, school.merchant, "course_packages", csv_bytes(HEADER, rows[:3]))
    assert done.status_code == 201, done.json
    assert done.json["created"] == {"packages": 3, "deferred_fen": 120000 + 30000 + 48000}
    assert done.json["reconciliation"]["balanced"] is True
    assert {r["asset"]: r["posted"] for r in done.json["reconciliation"]["assets"]} == {
        "course_sessions": 6, "course_minutes": 240}
    assert school.account("course_deferred") == -(120000 + 30000 + 48000)
    [package] = school.packages("66000000")
    assert (package["units_left"], package["paid_fen"], package["checkout_id"]) == (6, 120000, None)
    # A visit uses a session and recognises its share of the unearned money (T3).
    visit = school.sign_in("66000000")
    assert visit.status_code == 201, visit.json
    assert school.packages("66000000")[0]["units_left"] == 5
    assert school.account("course_income") == -20000  # 1200 yuan over 6 sessions
    school.verify()
