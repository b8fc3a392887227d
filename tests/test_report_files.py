"""An export longer than one Excel sheet continues on numbered sheets, whose names keep the
number even when the report's title fills Excel's 31 characters (review of issue 12)."""
from __future__ import annotations

import openpyxl

from core.reports import Report, count
from webui.reporting import files


def test_a_long_title_over_several_sheets_gets_distinct_numbered_sheet_names(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "EXCEL_MAX_ROWS", 5)
    report = Report("long", {"zh-CN": "很长的报表名称" * 5, "en": "A very long report title over thirty-one"},
                    [count("n", "数", "N")], lambda session, query: [])
    for lang, about in (("zh-CN", "说明"), ("en", "About")):
        path = tmp_path / f"{lang}.xlsx"
        assert files.write_xlsx(str(path), report, ({"n": i} for i in range(12)), lang=lang, info=[]) == 12
        names = [sheet.title for sheet in openpyxl.load_workbook(path).worksheets]
        assert len(names) == 5 and len(set(names)) == 5 and names[-1] == about
        assert all(len(name) <= 31 for name in names) and names[1].endswith("2") and names[3].endswith("4")
