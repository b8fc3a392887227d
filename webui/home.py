"""The start page sends each person where they work (issue 13 item 7): the till for cashiers,
the dashboard for owners and managers, the sign-in page for anyone else. What is running
(plugins and their versions, the API's OpenAPI document) is a page for owners, /system."""
from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, url_for

from .auth import current_staff, landing_page, login_required
from .extension import huika

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    staff = current_staff()
    if staff is None:
        return redirect(url_for("auth.login"))
    return redirect(landing_page(staff.role))


@bp.get("/system")
@login_required("owner")
def system():
    registry = huika().plugins
    return render_template("home.html", plugins=registry.plugins.values(),
                           refused=registry.refused.values(),
                           endpoints=set(current_app.view_functions))
