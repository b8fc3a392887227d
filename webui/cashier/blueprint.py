"""The cashier's blueprint and who may use it, in a module of its own so the modules that
register routes import it without importing the package (which imports them: no import circle)."""
from flask import Blueprint

bp = Blueprint("cashier", __name__, url_prefix="/cashier")

STAFF_ROLES = ("cashier", "manager", "owner")
