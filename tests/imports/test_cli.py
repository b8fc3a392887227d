"""``huika import KIND FILE --merchant NAME [--dry-run]``: the same rules as the API."""
from __future__ import annotations

from core.models import AuditEntry, Member
from tests.test_cli import count, initialised, db_url, run  # noqa: F401  (fixtures)

from .helpers import MEMBER_HEADER, csv_bytes, members_file


def test_cli_dry_run_then_import_once(initialised, tmp_path):  # noqa: F811
    assert run("merchant", "create", "--name", "命令行导入店").exit_code == 0
    good = tmp_path / "会员.csv"
    good.write_bytes(csv_bytes(MEMBER_HEADER, members_file(3)))
    dry = run("import", "members", str(good), "--merchant", "命令行导入店", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "3 to import" in dry.output and count(initialised, Member) == 0
    done = run("import", "members", str(good), "--merchant", "命令行导入店")
    assert done.exit_code == 0 and "batch 1" in done.output and "created members: 3" in done.output
    assert count(initialised, Member) == 3
    assert count(initialised, AuditEntry, AuditEntry.action == "import.members",
                 AuditEntry.channel == "cli") == 1
    again = run("import", "members", str(good), "--merchant", "命令行导入店")
    assert again.exit_code == 2 and "already imported" in again.output
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes(MEMBER_HEADER, [["123", "", "", "", "", "", "", "", "", "", ""]]))
    refused = run("import", "members", str(bad), "--merchant", "命令行导入店")
    assert refused.exit_code == 2 and "row 2 手机号: 应为 11 位手机号" in refused.output
    assert count(initialised, Member) == 3
