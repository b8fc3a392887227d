"""The member portal's blueprint, in a module of its own so the views import it without
importing the package (which imports them: no import circle)."""
from flask import Blueprint

bp = Blueprint("member", __name__, url_prefix="/m")
