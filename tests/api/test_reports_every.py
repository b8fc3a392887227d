"""Issue 12's "done when": the catalogue serves every report — core and every plugin's — as
JSON, as a workbook that opens and as CSV, for the demo merchant with every plugin enabled."""
from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from core import config_versions
from core.demo import DEMO_DOCUMENT, load_demo


@pytest.fixture
def everything(hk):
    with hk.db.write() as session:
        demo = load_demo(session, hk.plugins, member_count=3)
        document = {**DEMO_DOCUMENT,
                    "plugins": [{"id": plugin, "settings": {}} for plugin in sorted(hk.plugins.plugins)]}
        config_versions.save_draft(session, demo.merchant_id, document, staff_id=None)
        config_versions.publish(session, demo.merchant_id, hk.plugins, note="every plugin")
    return {"Authorization": f"Bearer {demo.tokens['owner']}"}


def test_every_report_answers_as_json_xlsx_and_csv(client, everything, plugin_registry):
    listed = client.get("/api/v1/reports", headers=everything).json["reports"]
    declared = {entry["id"] for info in plugin_registry.plugins.values()
                for entry in info.manifest.get("reports", [])}
    assert declared <= {report["id"] for report in listed}
    for report in listed:
        url = f"/api/v1/reports/{report['id']}"
        page = client.get(url, headers=everything)
        assert page.status_code == 200, (report["id"], page.json)
        workbook = client.get(url + "?format=xlsx", headers=everything)
        assert workbook.status_code == 200, report["id"]
        sheet = openpyxl.load_workbook(io.BytesIO(workbook.data), read_only=True).worksheets[0]
        header = next(sheet.iter_rows(max_row=1, values_only=True))
        assert list(header) == [column["title"]["zh-CN"] for column in report["columns"]], report["id"]
        text = client.get(url + "?format=csv", headers=everything)
        assert text.status_code == 200 and text.data.startswith(b"\xef\xbb\xbf"), report["id"]
        rows = list(csv.reader(io.StringIO(text.data.decode("utf-8-sig"))))
        assert len(rows) == page.json["total_rows"] + 1, report["id"]
