"""JSON API under /api/v1, described by the OpenAPI document it serves itself."""
from .blueprint import bp  # noqa: F401  (webui.create_app registers it)

# Importing the modules registers their operations on the blueprint.
from . import errors, openapi, routing  # noqa: E402,F401
from . import audit, cards, config, imports, members, messages, plugins, reports, shifts, staff, tiers  # noqa: E402,F401
