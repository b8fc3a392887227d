"""Member self-service (/m, M3, M4): self-registration reached by a QR code, phone + SMS-code
login, and the member's own points, stored value, packages and history.

The member's session lives under its own key (``member_portal``), never the staff keys, and
is scoped to one member of one merchant: every page loads only that member's cards.
"""
from ..money import local_time, mask_card, yuan
from .blueprint import bp


@bp.context_processor
def _helpers():
    return {"yuan": yuan, "local_time": local_time, "mask_card": mask_card}


from . import views  # noqa: E402,F401  (register the routes)
from . import events  # noqa: E402,F401  (the member's events, E1)
