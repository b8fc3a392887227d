"""member_rfm (X3): recency, frequency and monetary value per member, scored and segmented.

Per member who bought in the period (default: the last 365 days): R = days from the last
purchase to the period's last day, F = checkouts in the period, M = net spend in the period
(due less what returns paid back, fen). Each is scored 1–5 among the period's buyers: the
score is the quintile of the member's rank, ``1 + 5 × (buyers with a lower figure) ÷ buyers``,
so ties share a score (two members with the same figure always score the same). A score of
3 or more is "high" (the middle quintile and up: 3 is the average score), and the high/low
pattern of R, F, M names one of the eight classic segments (重要价值客户 …).

``segment=no_purchase`` lists the members without a purchase in the period instead, with
their last purchase before it, if any.

How it stays fast at a million members: one GROUP BY over the checkouts index (merchant,
member, time, due) gives each buyer's figures in member order; they are kept in compact
integer arrays while the four quintile cut points per figure are found by sorting; a second
pass walks the members (id order) beside the arrays and yields the rows. No per-member query
and no window sort of wide rows (SQLite's RANK() windows took 10 s of the 15 s at 1M).
"""
from __future__ import annotations

from array import array
from bisect import bisect_left
from collections import Counter
from datetime import date
from operator import itemgetter

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Member
from .member_purchases import (EPOCH_ORDINAL, check_period, day_of_number, last_purchase_days,
                               period_facts, period_instants, period_refunds, plain_batches)
from .types import Report, ReportQuery, count, date_column, money, text

HIGH_SCORE = 3
# (R, F, M) high? -> segment key, zh, en. The classic eight of the RFM model.
SEGMENTS = {
    (True, True, True): ("important_value", "重要价值客户", "Important value"),
    (True, False, True): ("important_development", "重要发展客户", "Important development"),
    (False, True, True): ("important_retention", "重要保持客户", "Important retention"),
    (False, False, True): ("important_winback", "重要挽留客户", "Important win-back"),
    (True, True, False): ("general_value", "一般价值客户", "General value"),
    (True, False, False): ("general_development", "一般发展客户", "General development"),
    (False, True, False): ("general_retention", "一般保持客户", "General retention"),
    (False, False, False): ("general_winback", "一般挽留客户", "General win-back"),
}
NO_PURCHASE = ("no_purchase", "期间未消费", "No purchase in period")
SEGMENT_KEYS = [key for key, _, _ in SEGMENTS.values()] + [NO_PURCHASE[0]]
_BATCH = 5000


def quintile_score(rank: int, buyers: int) -> int:
    """1–5 from a 1-based rank among ``buyers`` where ties share the lowest rank (RANK())."""
    return 1 + 5 * (rank - 1) // buyers


def cut_points(sorted_values) -> list[int]:
    """The four values a figure must exceed for scores 2, 3, 4 and 5.

    ``quintile_score`` is at least k + 1 exactly when at least ceil(k × n / 5) buyers have a
    lower figure, i.e. when the figure exceeds the value at that position in sorted order.
    """
    n = len(sorted_values)
    return [sorted_values[-(-k * n // 5) - 1] for k in range(1, 5)]


def cut_points_of_counts(counts: Counter) -> list[int]:
    """``cut_points`` of the values counted in ``counts`` (few distinct values: days, visits)
    without sorting every value."""
    n = sum(counts.values())
    wanted = [-(-k * n // 5) for k in range(1, 5)]  # 1-based positions in sorted order
    cuts, seen = [], 0
    for value in sorted(counts):
        seen += counts[value]
        while wanted and wanted[0] <= seen:
            cuts.append(value)
            wanted.pop(0)
    return cuts


def score(value: int, cuts: list[int]) -> int:
    return 1 + bisect_left(cuts, value)  # how many cut points lie strictly below the value


def segment_of(r_score: int, f_score: int, m_score: int) -> tuple[str, str, str]:
    return SEGMENTS[(r_score >= HIGH_SCORE, f_score >= HIGH_SCORE, m_score >= HIGH_SCORE)]


def _score_columns() -> dict:
    """(segment, its zh and en names, "RFM", R, F, M) for each of the 125 scores, built once."""
    return {(r, f, m): (*segment_of(r, f, m), f"{r}{f}{m}", r, f, m)
            for r in range(1, 6) for f in range(1, 6) for m in range(1, 6)}


SCORE_COLUMNS = _score_columns()


class Buyers:
    """The period's buyers as parallel integer arrays in member order, with cut points."""

    def __init__(self, connection, merchant_id: int, start: date, end: date,
                 store_id: int | None) -> None:
        self.ids, self.frequency, self.monetary = array("q"), array("q"), array("q")
        self.first_day, self.last_day = array("q"), array("q")
        columns = (self.ids, self.frequency, self.monetary, self.first_day, self.last_day)
        statement = period_facts(merchant_id, start, end, store_id)
        fields = [itemgetter(index) for index in range(len(columns))]
        for batch in plain_batches(connection, statement, _BATCH):
            for column, field in zip(columns, fields):
                column.extend(map(field, batch))  # twice as fast as transposing with zip
        # Gross so far; the few members with returns get theirs taken off in place.
        for member_id, refund_fen in connection.execute(
                period_refunds(merchant_id, start, end, store_id)):
            position = bisect_left(self.ids, member_id)
            self.monetary[position] -= refund_fen
        if self.ids:
            self.r_cuts = cut_points_of_counts(Counter(self.last_day))  # later: higher R
            self.f_cuts = cut_points_of_counts(Counter(self.frequency))
            self.m_cuts = cut_points(sorted(self.monetary))

    def __len__(self) -> int:
        return len(self.ids)

    def rows(self, members, end_day: int, wanted: str | None):
        """Each buyer's row, merged with ``members`` ((id, name, phone) in id order)."""
        ids, size, position = self.ids, len(self.ids), 0
        frequencies, monetaries = self.frequency, self.monetary
        first_days, last_days = self.first_day, self.last_day
        r_cuts, f_cuts, m_cuts = self.r_cuts, self.f_cuts, self.m_cuts
        day_texts: dict[int, str] = {}
        for batch in members:
            for member_id, name, phone in batch:
                while position < size and ids[position] < member_id:
                    position += 1  # cannot happen: a checkout's member exists (foreign key)
                if position == size:
                    return
                if ids[position] != member_id:
                    continue
                frequency, monetary = frequencies[position], monetaries[position]
                first, last = first_days[position], last_days[position]
                position += 1
                (segment, segment_zh, segment_en, rfm, r_score, f_score, m_score) = SCORE_COLUMNS[
                    1 + bisect_left(r_cuts, last), 1 + bisect_left(f_cuts, frequency),
                    1 + bisect_left(m_cuts, monetary)]
                if wanted is not None and segment != wanted:
                    continue
                last_text = day_texts.get(last)
                if last_text is None:
                    last_text = day_texts[last] = day_of_number(last).isoformat()
                yield {"member_id": member_id, "name": name, "phone": phone, "segment": segment,
                       "segment_name": segment_zh, "segment_name_en": segment_en, "rfm": rfm,
                       "r_score": r_score, "f_score": f_score, "m_score": m_score,
                       "recency_days": end_day - last, "last_purchase": last_text,
                       "frequency": frequency, "monetary_fen": monetary,
                       "average_ticket_fen": monetary // frequency,
                       "purchase_cycle_days": ((last - first) // (frequency - 1)
                                               if frequency > 1 else None)}


def _members(connection, merchant_id: int):
    statement = (select(Member.id, Member.name, Member.phone)
                 .where(Member.merchant_id == merchant_id).order_by(Member.id))
    return plain_batches(connection, statement, _BATCH)


def rows(session: Session, query: ReportQuery):
    """The period's buyers in member order (``segment``: one segment's), or with
    ``segment=no_purchase`` the members who did not buy in it."""
    check_period(query.start, query.end)
    wanted = query.params.get("segment") or None
    connection = session.connection()  # Core rows: no ORM bookkeeping for a million of them
    buyers = Buyers(connection, query.merchant_id, query.start, query.end, query.store_id)
    end_day = query.end.toordinal() - EPOCH_ORDINAL
    if wanted == NO_PURCHASE[0]:
        yield from _idle_rows(connection, query, buyers, end_day)
    elif len(buyers):
        yield from buyers.rows(_members(connection, query.merchant_id), end_day, wanted)


def _idle_rows(connection, query: ReportQuery, buyers: Buyers, end_day: int):
    since = period_instants(query.start, query.end)[0]
    last_before = dict(connection.execute(last_purchase_days(query.merchant_id, since, query.store_id)).all())
    bought = set(buyers.ids)
    key, zh, en = NO_PURCHASE
    for member_id, name, phone in (row for batch in _members(connection, query.merchant_id)
                                   for row in batch):
        if member_id in bought:
            continue
        last = last_before.get(member_id)
        yield {"member_id": member_id, "name": name, "phone": phone, "segment": key,
               "segment_name": zh, "segment_name_en": en, "frequency": 0, "monetary_fen": 0,
               "last_purchase": day_of_number(last).isoformat() if last is not None else None,
               "recency_days": end_day - last if last is not None else None}


def top_members(session: Session, merchant_id: int, start: date, end: date, limit: int = 10,
                store_id: int | None = None) -> list[dict]:
    """The ``limit`` members with the highest net spend in the period (local days, both
    included), highest first: member_id, name, phone, monetary_fen, frequency, last_purchase.
    For the dashboard's "top members"; no scoring."""
    check_period(start, end)
    facts = period_facts(merchant_id, start, end, store_id).order_by(None).subquery()
    refunds = period_refunds(merchant_id, start, end, store_id).subquery()
    refund = refunds.c[1]
    monetary = (facts.c.gross_fen - func.coalesce(refund, 0)).label("monetary_fen")
    found = session.connection().execute(
        select(Member.id, Member.name, Member.phone, monetary, facts.c.frequency, facts.c.last_day)
        .join(facts, facts.c.member_id == Member.id)
        .outerjoin(refunds, refunds.c.member_id == Member.id)
        .order_by(monetary.desc(), Member.id).limit(max(0, int(limit)))).all()
    return [{"member_id": member_id, "name": name, "phone": phone, "monetary_fen": int(spent),
             "frequency": frequency, "last_purchase": day_of_number(last).isoformat()}
            for member_id, name, phone, spent, frequency, last in found]


REPORT = Report(
    id="member_rfm",
    title={"zh-CN": "会员RFM分析", "en": "Member RFM analysis"},
    description={
        "zh-CN": "每位会员的最近消费（R）、消费频次（F）、消费金额（M，扣除退货）与1–5分的五分位评分，"
                 "按R/F/M高低（≥3分为高）归入八类客户：重要价值、重要发展、重要保持、重要挽留、"
                 "一般价值、一般发展、一般保持、一般挽留。另列客单价与平均消费间隔（X3）。",
        "en": "Per member: recency (R), frequency (F) and net spend (M, returns deducted) with "
              "1–5 quintile scores, and the eight classic segments by high (score ≥ 3) or low "
              "R, F, M; plus average ticket and purchase cycle (X3)."},
    columns=[count("member_id", "会员编号", "Member ID", total=False), text("name", "姓名", "Name"),
             text("phone", "手机号", "Phone"),
             text("segment", "分群代码", "Segment key"),
             text("segment_name", "客户分群", "Segment (zh)"),
             text("segment_name_en", "分群（英文）", "Segment"),
             text("rfm", "RFM评分", "RFM scores"),
             count("r_score", "R分", "R score", total=False),
             count("f_score", "F分", "F score", total=False),
             count("m_score", "M分", "M score", total=False),
             count("recency_days", "距上次消费天数", "Days since last purchase", total=False),
             date_column("last_purchase", "最近消费日", "Last purchase"),
             count("frequency", "消费次数", "Checkouts"),
             money("monetary_fen", "消费金额", "Net spend"),
             money("average_ticket_fen", "客单价", "Average ticket", total=False),
             count("purchase_cycle_days", "平均消费间隔（天）", "Days between purchases", total=False)],
    rows=rows,
    parameters={"segment": {"type": "string", "enum": SEGMENT_KEYS,
                            "description": "only this segment's members; no_purchase: instead "
                                           "the members without a purchase in the period",
                            "x-label": {"zh-CN": "客户分群", "en": "Segment"},
                            "x-help": {"zh-CN": "只看这一群会员；“期间未消费”：期间内没有消费的会员",
                                       "en": "Only this segment's members; “No purchase in period”: "
                                             "the members without a purchase in the period"},
                            "x-enum-labels": {key: {"zh-CN": zh, "en": en} for key, zh, en
                                              in [*SEGMENTS.values(), NO_PURCHASE]}}},
    default_days=365,
)
