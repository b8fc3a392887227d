"""JSON API under /api/v1, described by the OpenAPI document it serves itself."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# Importing the modules registers their operations on the blueprint.
from . import errors, openapi, routing  # noqa: E402,F401
from . import audit, cards, config, members, plugins, staff, tiers  # noqa: E402,F401
