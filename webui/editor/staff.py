"""Staff and stores (owners only): create staff users, deactivate them, reset passwords; stores."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import EqualTo, InputRequired, Length, Regexp

from core import tenancy
from core.errors import Conflict, Invalid, NotFound
from core.models import Merchant, Staff, Store
from core.security import hash_secret

from ..audit import record_here
from ..auth import current_staff
from ..extension import huika
from ..i18n import role_name
from .blueprint import bp
from .common import merchant_id, owner_required
from .views import ConfirmForm

USERNAME_MESSAGE = _l("2 to 60 characters: lower-case letters, digits, _ . or -, starting with a letter or digit.")
PASSWORD_MESSAGE = _l("At least %(count)s characters.", count=tenancy.MIN_PASSWORD_LENGTH)


def role_labels() -> dict[str, str]:
    return {role: role_name(role) for role in ("owner", "manager", "cashier")}


class StaffForm(FlaskForm):
    username = StringField(_l("Username"), validators=[
        InputRequired(message=_l("Required.")),
        Regexp(tenancy.USERNAME_PATTERN.pattern, message=USERNAME_MESSAGE)],
        render_kw={"autocomplete": "off", "spellcheck": "false", "maxlength": 60})
    display_name = StringField(_l("Name shown"), validators=[Length(max=100)])
    role = SelectField(_l("Role"), choices=[], validators=[InputRequired()])
    store_id = SelectField(_l("Store"), choices=[], coerce=str)
    password = PasswordField(_l("Password"), validators=[
        InputRequired(message=_l("Required.")), Length(min=tenancy.MIN_PASSWORD_LENGTH, max=200,
                                                       message=PASSWORD_MESSAGE)],
        render_kw={"autocomplete": "new-password"})

    def __init__(self, stores, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = list(role_labels().items())
        self.store_id.choices = [("", _("All stores (head office)"))] + [(str(sid), name) for sid, _code, name in stores]


class PasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[
        InputRequired(message=_l("Required.")), Length(min=tenancy.MIN_PASSWORD_LENGTH, max=200,
                                                       message=PASSWORD_MESSAGE)],
        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("New password again"), validators=[
        EqualTo("password", message=_l("The two passwords differ."))], render_kw={"autocomplete": "new-password"})


class StoreForm(FlaskForm):
    code = StringField(_l("Code"), validators=[
        InputRequired(message=_l("Required.")),
        Regexp(tenancy.STORE_CODE_PATTERN.pattern,
               message=_l("A short code: lower-case letters, digits, _ or -, e.g. east_road."))],
        render_kw={"autocomplete": "off", "spellcheck": "false", "maxlength": 40})
    name = StringField(_l("Name"), validators=[InputRequired(message=_l("Required.")), Length(max=100)])


def _stores(session) -> list[tuple[int, str, str]]:
    """(id, code, name) of the merchant's stores."""
    return [(s.id, s.code, s.name) for s in
            session.scalars(select(Store).where(Store.merchant_id == merchant_id()).order_by(Store.id))]


def _staff(session) -> list[Staff]:
    return list(session.scalars(select(Staff).where(Staff.merchant_id == merchant_id())
                                .order_by(Staff.active.desc(), Staff.role, Staff.username)))


def _field_for(pointer: str, form) -> object | None:
    name = pointer.strip("/").split("/")[0]
    return form._fields.get(name)


@bp.route("/staff", methods=["GET", "POST"])
@owner_required
def staff():
    with huika().db.read() as session:
        stores = _stores(session)
    form = StaffForm(stores)
    status = 200
    if form.validate_on_submit():
        try:
            with huika().db.write() as session:
                created = tenancy.create_staff(
                    session, merchant_id(), username=form.username.data.strip(), password=form.password.data,
                    role=form.role.data, display_name=(form.display_name.data or "").strip(),
                    store_id=int(form.store_id.data) if form.store_id.data else None)
                name = created.display_name
                record_here(session, "staff.create", f"staff:{created.id}",
                            after={"username": created.username, "display_name": created.display_name,
                                   "role": created.role, "store_id": created.store_id,
                                   "password": "set"})
        except Invalid as error:
            for item in error.details or []:
                target = _field_for(item["pointer"], form)
                (target.errors.append(item["message"]) if target is not None else form.form_errors.append(item["message"]))
            status = 422
        except Conflict:
            form.username.errors.append(_("This username is taken."))
            status = 422
        except NotFound:
            form.store_id.errors.append(_("This store does not exist."))
            status = 422
        else:
            flash(_("Staff user %(name)s created.", name=name))
            return redirect(url_for("editor.staff"))
    elif request.method == "POST":
        status = 422
    with huika().db.read() as session:
        people = [{"id": s.id, "username": s.username, "display_name": s.display_name, "role": s.role,
                   "store": s.store.name if s.store else "", "active": s.active} for s in _staff(session)]
    return render_template("editor/staff.html", form=form, people=people, roles=role_labels(),
                           confirm=ConfirmForm(), me=current_staff().id), status


def _member_of_merchant(session, staff_id: int) -> Staff:
    person = session.get(Staff, staff_id)
    if person is None or person.merchant_id != merchant_id():
        abort(404)
    return person


@bp.post("/staff/<int:staff_id>/active")
@owner_required
def staff_active(staff_id: int):
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    activate = request.form.get("active") == "1"
    with huika().db.write() as session:
        person = _member_of_merchant(session, staff_id)
        if not activate and person.id == current_staff().id:
            flash(_("You cannot deactivate yourself."), "error")
            return redirect(url_for("editor.staff"))
        if not activate and person.role == "owner":
            owners = session.scalar(select(func.count()).select_from(Staff).where(
                Staff.merchant_id == merchant_id(), Staff.role == "owner", Staff.active.is_(True)))
            if owners <= 1:
                flash(_("Keep at least one active owner."), "error")
                return redirect(url_for("editor.staff"))
        name = person.display_name
        if person.active != activate:
            record_here(session, "staff.activate" if activate else "staff.deactivate",
                        f"staff:{person.id}", before={"username": person.username, "active": person.active},
                        after={"username": person.username, "active": activate})
        person.active = activate
    flash(_("%(name)s can sign in again.", name=name) if activate else
          _("%(name)s is deactivated and can no longer sign in.", name=name))
    return redirect(url_for("editor.staff"))


@bp.route("/staff/<int:staff_id>/password", methods=["GET", "POST"])
@owner_required
def staff_password(staff_id: int):
    with huika().db.read() as session:
        person = _member_of_merchant(session, staff_id)
        name, username = person.display_name, person.username
    form = PasswordForm()
    if form.validate_on_submit():
        with huika().db.write() as session:
            person = _member_of_merchant(session, staff_id)
            person.password_hash = hash_secret(form.password.data)
            record_here(session, "staff.password_reset", f"staff:{person.id}",
                        after={"username": person.username, "password": form.password.data})
        flash(_("The password of %(name)s is reset. Tell them the new one in person.", name=name))
        return redirect(url_for("editor.staff"))
    return render_template("editor/staff_password.html", form=form, name=name, username=username), \
        422 if request.method == "POST" else 200


@bp.route("/stores", methods=["GET", "POST"])
@owner_required
def stores():
    form = StoreForm()
    status = 200
    if form.validate_on_submit():
        try:
            with huika().db.write() as session:
                store = tenancy.create_store(session, merchant_id(), code=form.code.data.strip(),
                                             name=form.name.data.strip())
                record_here(session, "store.create", f"store:{store.id}",
                            after={"code": store.code, "name": store.name})
        except Conflict:
            form.code.errors.append(_("This code is taken by another store."))
            status = 422
        except Invalid as error:
            pointers = [item["pointer"] for item in error.details or []]
            (form.name if pointers == ["/name"] else form.code).errors.append(error.message)
            status = 422
        else:
            flash(_("Store %(name)s created.", name=form.name.data.strip()))
            return redirect(url_for("editor.stores"))
    elif request.method == "POST":
        status = 422
    with huika().db.read() as session:
        counts = dict(session.execute(select(Staff.store_id, func.count()).where(
            Staff.merchant_id == merchant_id(), Staff.active.is_(True)).group_by(Staff.store_id)).all())
        items = [{"code": code, "name": name, "staff": counts.get(sid, 0)} for sid, code, name in _stores(session)]
        sign_in_code = session.scalar(select(Merchant.code).where(Merchant.id == merchant_id()))
    return render_template("editor/stores.html", form=form, stores=items, sign_in_code=sign_in_code), status
