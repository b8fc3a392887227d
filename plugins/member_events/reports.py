"""The attendance report (``event_attendance``): per event starting in the period, its
seats, who signed up, who came and who did not.

- ``signed_up``: registrations holding a seat (not cancelled); ``waitlisted``: still waiting;
  ``cancelled``: sign-ups cancelled; ``checked_in``: registered members who checked in;
  ``no_shows``: registered members who did not, once the event is over (0 before, and for a
  cancelled event); ``attendance_permille``: checked in per signed up (880 = 88 %).
A store filter shows the events held at that store.
"""
from __future__ import annotations

from sqlalchemy import case, func, select

from core.clock import MERCHANT_TZ, local_day_bounds
from core.reports import Report, count, permille, text

from .models import EventRegistration, MemberEvent

STATUS_NAMES = {"draft": "草稿", "open": "报名中", "closed": "报名截止", "cancelled": "已取消"}


def rows(session, query):
    since, until = local_day_bounds(query.start)[0], local_day_bounds(query.end)[1]
    registered = EventRegistration.status == "registered"
    figures = (select(
        EventRegistration.event_id,
        func.sum(case((registered, 1), else_=0)),
        func.sum(case((EventRegistration.status == "waitlisted", 1), else_=0)),
        func.sum(case((EventRegistration.status == "cancelled", 1), else_=0)),
        func.sum(case((registered & EventRegistration.checked_in_at.is_not(None), 1), else_=0)))
        .where(EventRegistration.merchant_id == query.merchant_id)
        .group_by(EventRegistration.event_id).subquery())
    events = (select(MemberEvent, figures).outerjoin(figures, figures.c.event_id == MemberEvent.id)
              .where(MemberEvent.merchant_id == query.merchant_id, MemberEvent.starts_at >= since,
                     MemberEvent.starts_at < until)
              .order_by(MemberEvent.starts_at, MemberEvent.id))
    if query.store_id:
        events = events.where(MemberEvent.store_id == query.store_id)
    for event, _event_id, signed_up, waitlisted, cancelled, checked_in in session.execute(events):
        signed_up, checked_in = int(signed_up or 0), int(checked_in or 0)
        over = event.ends_at <= query.now and event.status != "cancelled"
        yield {"event_id": event.id, "title": event.title,
               "starts_at": event.starts_at.astimezone(MERCHANT_TZ).strftime("%Y-%m-%d %H:%M"),
               "place": event.place, "status": STATUS_NAMES[event.status], "capacity": event.capacity,
               "signed_up": signed_up, "waitlisted": int(waitlisted or 0), "cancelled": int(cancelled or 0),
               "checked_in": checked_in, "no_shows": signed_up - checked_in if over else 0,
               "attendance_permille": checked_in * 1000 // signed_up if signed_up else 0}


REPORT = Report(
    "event_attendance", {"zh-CN": "活动签到统计", "en": "Event attendance"},
    [count("event_id", "活动编号", "Event id", total=False),
     text("title", "活动", "Event"),
     text("starts_at", "开始时间", "Starts"),
     text("place", "地点", "Place"),
     text("status", "状态", "Status"),
     count("capacity", "名额", "Seats"),
     count("signed_up", "报名人数", "Signed up"),
     count("waitlisted", "候补人数", "Waitlisted"),
     count("cancelled", "取消报名", "Cancelled sign-ups"),
     count("checked_in", "签到人数", "Checked in"),
     count("no_shows", "未到人数", "No-shows"),
     permille("attendance_permille", "到场率", "Attendance")],
    rows, description={"zh-CN": "按活动统计期间内开始的会员活动：名额、报名、候补、取消、签到和未到人数（活动结束后计未到）。",
                       "en": "Per member event starting in the period: seats, sign-ups, waiting list, "
                             "cancellations, check-ins and no-shows (counted once the event is over)."},
    period=True, by_store=True)


def reports() -> list[Report]:
    return [REPORT]
