"""The landing page: what is running, and where to go next."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template

from .extension import huika

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    registry = huika().plugins
    return render_template("home.html", plugins=registry.plugins.values(),
                           refused=registry.refused.values(),
                           endpoints=set(current_app.view_functions))
