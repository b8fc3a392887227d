"""The editor's blueprint, in a module of its own so the modules that register routes import it
without importing the package (which imports them: no import circle)."""
from flask import Blueprint

bp = Blueprint("editor", __name__, url_prefix="/editor")
