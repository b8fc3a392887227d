"""Helpers for the import tests: a shop with stored value and points, files built like Excel
and other systems write them, and the API calls."""
from __future__ import annotations

import csv
import io
import uuid

from sqlalchemy import func, select

from core import ledger
from core.models import (Account, AuditEntry, Card, Entry, ImportBatch, ImportKey, LedgerTransaction, Lot,
                         Member)
from tests.support.factories import basic_document, make_merchant

TABLES = (Member, Card, Account, Entry, LedgerTransaction, Lot, ImportBatch, ImportKey, AuditEntry)

MEMBER_HEADER = ["手机号*", "姓名*", "性别", "生日", "地址", "职业", "入会日期", "卡号", "卡类型", "会员等级", "卡有效期"]
SV_HEADER = ["卡号*", "本金(元)*", "赠送金(元)"]
POINTS_HEADER = ["卡号*", "积分*", "到期日"]


def document(**overrides) -> dict:
    return basic_document(plugins=[{"id": "stored_value", "settings": {}},
                                   {"id": "points", "settings": {}}], **overrides)


def make_shop(hk, name: str | None = None, doc: dict | None = None):
    return make_merchant(hk, name or f"导入店-{uuid.uuid4().hex[:6]}", doc or document())


def csv_bytes(header: list, rows: list[list], *, encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(header: list, rows: list[list]) -> bytes:
    import xlsxwriter

    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = workbook.add_worksheet()
    for r, row in enumerate([header, *rows]):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value)
    workbook.close()
    return out.getvalue()


def post_file(client, shop, kind: str, data: bytes, *, dry_run: bool = False, role: str = "owner",
              name: str = "file.csv", multipart: bool = True):
    url = f"/api/v1/imports/{kind}?dry_run={'true' if dry_run else 'false'}"
    if multipart:
        return client.post(url, data={"file": (io.BytesIO(data), name)}, headers=shop.headers(role),
                           content_type="multipart/form-data")
    return client.post(url, data=data, headers={**shop.headers(role), "Content-Type": "text/csv"})


def counts(hk, merchant_id: int) -> dict:
    """Rows per table for the merchant (entries and lots through their accounts)."""
    with hk.db.read() as session:
        result = {}
        for model in TABLES:
            query = select(func.count()).select_from(model)
            if hasattr(model, "merchant_id"):
                query = query.where(model.merchant_id == merchant_id)
            result[model.__tablename__] = session.scalar(query)
        return result


def verify(hk, shop) -> None:
    with hk.db.read() as session:
        assert ledger.verify(session, shop.id) == []


def members_file(n: int, *, start: int = 13900000000, card_prefix: str = "66") -> list[list]:
    return [[str(start + i), f"会员{i}", "女" if i % 2 else "男", "1990-01-0" + str(1 + i % 9), "",
             "", "2023-03-01", f"{card_prefix}{i:06d}", "", "", ""] for i in range(n)]
