"""The merchant editor (issue 4, L1-L3): server-rendered pages for owners and managers.

Every change goes into the configuration draft only (``core.config_versions.save_draft``);
the publish page validates the whole document and stores a version. Owners also manage staff
and stores here. Pages work without JavaScript; ``static/editor.js`` adds drag-and-drop.
"""
from __future__ import annotations

from flask import render_template

from .blueprint import bp

from . import audit, fields, imports, layouts, messages, plugins, reports, staff, tiers, views  # noqa: E402,F401  (routes)
from .common import plugin_title, template_title  # noqa: E402
from .owner_text import owner_label  # noqa: E402
from ..screens import format_yuan, format_zhe  # noqa: E402


@bp.context_processor
def editor_helpers() -> dict:
    # ``label`` shadows the app-wide one: owner pages show no rule codes (webui/editor/owner_text.py)
    return {"format_yuan": format_yuan, "format_zhe": format_zhe, "plugin_title": plugin_title,
            "template_title": template_title, "label": owner_label}


@bp.errorhandler(403)
def not_for_this_role(_error):
    """A signed-in user whose role may not open an editor page: said in their language."""
    return render_template("editor/refused.html", refusal="forbidden"), 403


@bp.errorhandler(404)
def not_here(_error):
    """A stale link (a report of a plugin since disabled, a removed field): said in their language."""
    return render_template("editor/refused.html", refusal="not_found"), 404
