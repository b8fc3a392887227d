"""The cashier's screens (/cashier): find a member, register, issue cards, check out, receipts,
returns, card lifecycle, recharge, points mall and lucky wheel, all rendered from the
merchant's PUBLISHED configuration.

Every action runs through ``webui.api.handlers.execute`` (the same rules as the JSON API);
forms that move money carry a server-generated idempotency key, new per rendered form, so a
double submit or a browser retry posts once. Shortcuts and card swipes: docs/cashier.md.
"""
from .blueprint import STAFF_ROLES, bp  # noqa: F401  (webui.create_app registers bp)
from ..money import local_time, mask_card, plain_yuan, yuan, zhe


@bp.context_processor
def _helpers():
    from .actions import nav_screens
    from .events import events_installed
    from .ops import new_key

    return {"yuan": yuan, "plain_yuan": plain_yuan, "zhe": zhe, "local_time": local_time,
            "mask_card": mask_card, "new_key": new_key, "nav_screens": nav_screens,
            "events_installed": events_installed}


from . import actions, checkout, enrol, events, receipts, till, views  # noqa: E402,F401  (register the routes)
