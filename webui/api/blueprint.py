"""The API's blueprint, in a module of its own so the modules that register on it import it
without importing the package (which imports them: no import circle)."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
