"""K3 planned follow-ups made by the job ``plan_follow_ups`` (a plain function of ``now``).

Running out: per member and product group (checkout categories mapped to groups in the
settings), the purchase cycle is the average number of days between the member's purchases
of that group (the group's ``cycle_days``, else ``default_purchase_cycle_days``, while there is
only one); the product runs out at the last purchase + cycle. From ``running_out_lead_days``
before that day until the day itself, a follow-up is planned for that last purchase, once:
(member, group, checkout) is unique, so rerunning the job, or running it every day, plans
nothing twice. Returned goods do not count (purchases.py).

Regular (K2): a classified member whose last contact (a purchase or a follow-up done) is at
least their class's ``follow_up_days_*`` ago, and who has nothing planned, gets a follow-up
due today.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.clock import local_date
from core.merchant_config import MerchantConfig
from core.models import Member

from .common import PLUGIN_ID
from .models import FollowUp, MemberClass
from .purchases import Purchase, category_groups, purchases


def purchase_cycles(settings: dict, bought: list[Purchase]) -> dict[str, dict]:
    """Per product group: the member's purchase days, cycle, last purchase and run-out date."""
    mapping = category_groups(settings)
    days: dict[str, dict[date, int]] = {}
    for purchase in bought:  # oldest first: the last checkout of a day names that day
        for group in {mapping[line.category] for line in purchase.lines if line.category in mapping}:
            days.setdefault(group, {})[purchase.day] = purchase.checkout_id
    defaults = {group["key"]: group.get("cycle_days", settings["default_purchase_cycle_days"])
                for group in settings["product_groups"]}
    cycles = {}
    for group, checkouts in days.items():
        dates = sorted(checkouts)
        own = len(dates) > 1
        cycle = (dates[-1] - dates[0]).days // (len(dates) - 1) if own else defaults[group]
        cycles[group] = {"group": group, "purchases": len(dates), "cycle_days": cycle,
                         "own_cycle": own, "last_purchase_on": dates[-1],
                         "last_checkout_id": checkouts[dates[-1]],
                         "runs_out_on": dates[-1] + timedelta(days=cycle)}
    return cycles


def plan_running_out(session: Session, config: MerchantConfig, merchant_id: int, now: datetime) -> int:
    settings = config.settings_for(PLUGIN_ID)
    today, lead = local_date(now), settings["running_out_lead_days"]
    planned = 0
    for member_id, bought in sorted(purchases(session, merchant_id, until=now).items()):
        for cycle in purchase_cycles(settings, bought).values():
            remind_on = cycle["runs_out_on"] - timedelta(days=lead)
            if not remind_on <= today <= cycle["runs_out_on"]:
                continue
            if _reminded(session, merchant_id, member_id, cycle):
                continue
            row = FollowUp(merchant_id=merchant_id, member_id=member_id, kind="running_out",
                           status="planned", channel=settings["reminder_channel"],
                           reason=(f"{cycle['group']} 快用完（约 {cycle['runs_out_on'].isoformat()}）/ "
                                   f"running out about {cycle['runs_out_on'].isoformat()}"),
                           due_on=remind_on, product_group=cycle["group"],
                           source_checkout_id=cycle["last_checkout_id"], created_at=now)
            try:
                with session.begin_nested():  # a concurrent run planned it first: keep theirs
                    session.add(row)
                    session.flush()
            except IntegrityError:
                continue
            planned += 1
    return planned


def _reminded(session: Session, merchant_id: int, member_id: int, cycle: dict) -> bool:
    return session.scalar(select(FollowUp.id).where(
        FollowUp.merchant_id == merchant_id, FollowUp.member_id == member_id,
        FollowUp.product_group == cycle["group"],
        FollowUp.source_checkout_id == cycle["last_checkout_id"])) is not None


def plan_regular(session: Session, config: MerchantConfig, merchant_id: int, now: datetime) -> int:
    settings = config.settings_for(PLUGIN_ID)
    if not settings["regular_follow_ups"]:
        return 0
    today = local_date(now)
    open_members = set(session.scalars(select(FollowUp.member_id).where(
        FollowUp.merchant_id == merchant_id, FollowUp.status == "planned")))
    last_done = dict(session.execute(
        select(FollowUp.member_id, func.max(FollowUp.closed_at))
        .where(FollowUp.merchant_id == merchant_id, FollowUp.status == "done")
        .group_by(FollowUp.member_id)).all())
    bought = purchases(session, merchant_id, until=now)
    planned = 0
    rows = session.execute(select(MemberClass.member_id, MemberClass.member_class, Member.created_at)
                           .join(Member, Member.id == MemberClass.member_id)
                           .where(MemberClass.merchant_id == merchant_id)
                           .order_by(MemberClass.member_id)).all()
    for member_id, member_class, created_at in rows:
        if member_id in open_members:
            continue
        # Registering counts as a contact; only contacts up to ``now`` count (a run for a past day).
        contacts = [local_date(created_at)] + [p.day for p in bought.get(member_id, [])[-1:]]
        if member_id in last_done:
            contacts.append(local_date(last_done[member_id]))
        contacts = [day for day in contacts if day <= today]
        interval = settings[f"follow_up_days_{member_class}"]
        if contacts and max(contacts) + timedelta(days=interval) > today:
            continue
        session.add(FollowUp(merchant_id=merchant_id, member_id=member_id, kind="regular",
                             status="planned", channel=settings["regular_channel"],
                             reason=(f"{member_class.upper()} 类定期跟进（每 {interval} 天）/ "
                                     f"class {member_class.upper()}, every {interval} days"), due_on=today,
                             created_at=now))
        planned += 1
    session.flush()
    return planned


def plan_follow_ups(session: Session, config: MerchantConfig, merchant_id: int, now: datetime) -> dict:
    """Job ``cosmetics_profile.plan_follow_ups`` (K2, K3): running-out reminders, then the
    regular follow-ups of members who have nothing planned."""
    running_out = plan_running_out(session, config, merchant_id, now)
    regular = plan_regular(session, config, merchant_id, now)
    return {"as_of": local_date(now).isoformat(), "running_out": running_out, "regular": regular}
