"""Running a catalogue report over the real API in the tests: as JSON, and as the Excel and
CSV files a merchant downloads (read back with openpyxl and the csv module)."""
from __future__ import annotations

import csv
import io
from urllib.parse import urlencode

import openpyxl


def report_json(client, headers: dict, report_id: str, **params) -> dict:
    """The whole report as one JSON page (limit 1000); asserts a 200."""
    answer = client.get(f"/api/v1/reports/{report_id}?" + urlencode({"limit": 1000, **params}),
                        headers=headers)
    assert answer.status_code == 200, answer.json
    body = answer.json
    assert body["total_rows"] == len(body["rows"]), "more rows than one page: narrow the test"
    return body


def report_xlsx(client, headers: dict, report_id: str, **params) -> tuple[list[str], list[dict]]:
    """The first sheet of the workbook: its header titles and each row as {title: value}
    (the totals row included, last, when the report has summed columns)."""
    answer = client.get(f"/api/v1/reports/{report_id}?" + urlencode({"format": "xlsx", **params}),
                        headers=headers)
    assert answer.status_code == 200, answer.data[:500]
    sheet = openpyxl.load_workbook(io.BytesIO(answer.data)).worksheets[0]
    assert sheet.freeze_panes == "A2"
    titles = [cell.value for cell in sheet[1]]
    rows = [dict(zip(titles, (cell.value for cell in row))) for row in sheet.iter_rows(min_row=2)]
    return titles, rows


def report_csv(client, headers: dict, report_id: str, **params) -> tuple[list[str], list[dict]]:
    """The CSV (UTF-8 with a BOM): its header titles and each row as {title: text}."""
    answer = client.get(f"/api/v1/reports/{report_id}?" + urlencode({"format": "csv", **params}),
                        headers=headers)
    assert answer.status_code == 200 and answer.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(answer.data.decode("utf-8-sig"))))
    return rows[0], [dict(zip(rows[0], row)) for row in rows[1:]]
