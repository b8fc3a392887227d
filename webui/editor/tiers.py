"""Tiers (C1, C4) and card kinds with card policies (C3, M2, C5), as editable tables.

Money is typed in yuan and converted to integer fen exactly (``webui.screens.parse_yuan``:
decimal strings, never floats; "88.5" -> 8850; three decimals are refused). Discounts are
typed and shown in 折 ("8.8") and stored as integer per mille (880) through
``webui.editor.discounts`` (decimal strings, never floats). Owners type names only: a new tier's
or card kind's key is generated from its Chinese name, English names fall back to the Chinese.
A tier or card kind keeps its key once saved.
"""
from __future__ import annotations

import json
import re

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, FieldList, Form, FormField, HiddenField, IntegerField, StringField
from wtforms.validators import Length, NumberRange, Optional

from ..i18n import label
from ..screens import MoneyError, format_yuan, format_zhe, parse_yuan
from .blueprint import bp
from .common import editing, editor_required, load_state
from .discounts import ZheError, parse_zhe, zhe_number
from .keys import generate_key

SLUG_MESSAGE = _l("A key is a lower-case letter, then lower-case letters, digits or _ (at most 40).")
SINGLE_KINDS = ("single_purchase", "cumulative_spend", "stored_amount")


def _slug_ok(value: str) -> bool:
    return bool(re.fullmatch(r"[a-z][a-z0-9_]{0,39}", value or ""))


class TierRow(Form):
    original_key = HiddenField()
    more_conditions = HiddenField()
    key = StringField(_l("Key"), validators=[Optional(), Length(max=40)],
                      render_kw={"autocomplete": "off", "spellcheck": "false", "maxlength": 40})
    name_zh = StringField(_l("Name in Chinese"), validators=[Optional(), Length(max=60)])
    name_en = StringField(_l("Name in English"), validators=[Optional(), Length(max=60)])
    rank = IntegerField(_l("Rank"), validators=[Optional(), NumberRange(min=0, max=1000)],
                        render_kw={"inputmode": "numeric", "min": 0})
    discount_zhe = StringField(_l("Discount (折)"), validators=[Optional(), Length(max=10)],
                               render_kw={"inputmode": "decimal", "placeholder": "8.8"})
    single_purchase = StringField(_l("One purchase of at least (yuan)"), render_kw={"inputmode": "decimal"})
    cumulative_spend = StringField(_l("Spend of at least (yuan)"), render_kw={"inputmode": "decimal"})
    period_days = IntegerField(_l("within (days)"), validators=[Optional(), NumberRange(min=1, max=3660)],
                               render_kw={"inputmode": "numeric", "min": 1, "max": 3660})
    stored_amount = StringField(_l("Stored amount of at least (yuan)"), render_kw={"inputmode": "decimal"})
    channels = StringField(_l("Registered through channel(s)"), validators=[Optional(), Length(max=200)],
                           render_kw={"placeholder": "wechat", "spellcheck": "false", "translate": "no"})
    remove = BooleanField(_l("Delete"))

    def is_blank(self) -> bool:
        texts = ("key", "name_zh", "name_en", "single_purchase", "cumulative_spend", "stored_amount", "channels")
        return (not any((self[name].data or "").strip() for name in texts)
                and self.rank.data is None and not (self.discount_zhe.data or "").strip())


class TiersForm(FlaskForm):
    tiers = FieldList(FormField(TierRow), min_entries=0)


def _tier_row(tier: dict) -> dict:
    row = {"original_key": tier["key"], "key": tier["key"], "name_zh": tier["name"]["zh-CN"],
           "name_en": tier["name"]["en"], "rank": tier["rank"],
           "discount_zhe": zhe_number(tier.get("discount_permille", 1000)), "channels": "", "period_days": 365}
    more, channels = [], []
    for condition in tier.get("upgrade", []):
        kind = condition["kind"]
        if kind == "channel":
            channels.append(condition["channel"])
        elif kind in SINGLE_KINDS and not row.get(kind):
            row[kind] = format_yuan(condition["amount_fen"])
            if kind == "cumulative_spend":
                row["period_days"] = condition["period_days"]
        else:
            more.append(condition)
    row["channels"] = ", ".join(channels)
    row["more_conditions"] = json.dumps(more, ensure_ascii=False) if more else ""
    return row


def _error(field, message) -> None:
    field.errors = [*field.errors, message] if isinstance(field.errors, list) else [message]


def _yuan(field, errors: list) -> int | None:
    text = (field.data or "").strip()
    if not text:
        return None
    try:
        amount = parse_yuan(text)
    except MoneyError as error:
        _error(field, str(error))
        errors.append(field)
        return None
    if amount < 1:
        _error(field, _("Enter an amount above zero, or leave it empty."))
        errors.append(field)
        return None
    return amount


def _discount(row, errors: list) -> int:
    try:
        permille = parse_zhe(row.discount_zhe.data)
    except ZheError as error:
        _error(row.discount_zhe, str(error))
        errors.append(row.discount_zhe)
        return 1000
    return 1000 if permille is None else permille


def _names(row) -> dict:
    zh, en = (row.name_zh.data or "").strip(), (row.name_en.data or "").strip()
    return {"zh-CN": zh or en, "en": en or zh}


def _row_keys(entries, taken: set[str], prefix: str) -> list[str]:
    """The key of each row: kept when saved before (or typed), else made from its Chinese name."""
    keys = []
    for entry in entries:
        row = entry.form
        key = (row.key.data or "").strip() or (row.original_key.data or "").strip()
        keys.append(key)
    used = taken | {k for k in keys if k}
    for index, entry in enumerate(entries):
        row = entry.form
        if not keys[index] and not row.remove.data and (row.name_zh.data or row.name_en.data or "").strip():
            keys[index] = generate_key((row.name_zh.data or row.name_en.data).strip(), used, prefix=prefix)
            used.add(keys[index])
    return keys


def _build_tiers(form: TiersForm, published_keys: set[str]) -> tuple[list[dict], list[int], bool]:
    """(tiers, form row of each tier, ok) from the table; problems are attached to the inputs."""
    tiers, rows, failed = [], [], []
    keys = _row_keys(form.tiers.entries, set(published_keys), "tier")
    for index, entry in enumerate(form.tiers.entries):
        row = entry.form
        if row.remove.data or row.is_blank():
            continue
        key = keys[index]
        original = (row.original_key.data or "").strip()
        if original in published_keys and key != original:
            _error(row.key, _("This tier is published: its key %(key)s can no longer change.", key=original))
            failed.append(row.key)
        elif not _slug_ok(key):
            _error(row.key, SLUG_MESSAGE)
            failed.append(row.key)
        if not (row.name_zh.data or "").strip():
            _error(row.name_zh, _("Required."))
            failed.append(row.name_zh)
        if row.rank.data is None and not row.rank.errors:
            _error(row.rank, _("Required."))
            failed.append(row.rank)
        tier = {"key": key, "name": _names(row),
                "rank": row.rank.data if row.rank.data is not None else 0,
                "discount_permille": _discount(row, failed)}
        upgrade = []
        single = _yuan(row.single_purchase, failed)
        if single is not None:
            upgrade.append({"kind": "single_purchase", "amount_fen": single})
        spend = _yuan(row.cumulative_spend, failed)
        if spend is not None:
            if row.period_days.data is None:
                _error(row.period_days, _("How many days count for the spend?"))
                failed.append(row.period_days)
            else:
                upgrade.append({"kind": "cumulative_spend", "amount_fen": spend, "period_days": row.period_days.data})
        stored = _yuan(row.stored_amount, failed)
        if stored is not None:
            upgrade.append({"kind": "stored_amount", "amount_fen": stored})
        for channel in [c.strip() for c in (row.channels.data or "").replace("，", ",").split(",") if c.strip()]:
            if not _slug_ok(channel):
                _error(row.channels, _("%(channel)s is not a channel key (lower-case letters, digits, _).",
                                       channel=channel))
                failed.append(row.channels)
            else:
                upgrade.append({"kind": "channel", "channel": channel})
        try:
            upgrade += json.loads(row.more_conditions.data) if row.more_conditions.data else []
        except json.JSONDecodeError:
            pass
        if upgrade:
            tier["upgrade"] = upgrade
        tiers.append(tier)
        rows.append(index)
    seen_keys, seen_ranks = {}, {}
    for tier, index in zip(tiers, rows):
        row = form.tiers.entries[index].form
        if tier["key"] in seen_keys and tier["key"]:
            _error(row.key, _("Two tiers have the key %(key)s.", key=tier["key"]))
            failed.append(row.key)
        if tier["rank"] in seen_ranks and row.rank.data is not None:
            _error(row.rank, _("Two tiers have rank %(rank)s; ranks must differ.", rank=tier["rank"]))
            failed.append(row.rank)
        seen_keys[tier["key"]] = index
        seen_ranks[tier["rank"]] = index
    return tiers, rows, not failed


def _attach_document_problems(form: TiersForm, problems: list[dict], rows: list[int]) -> None:
    names = {"key": "key", "name": "name_zh", "rank": "rank", "discount_permille": "discount_zhe",
             "upgrade": "single_purchase"}
    for item in problems:
        parts = item["pointer"].split("/")[1:]
        if len(parts) >= 2 and parts[0] == "tiers" and parts[1].isdigit() and int(parts[1]) < len(rows):
            row = form.tiers.entries[rows[int(parts[1])]].form
            name = names.get(parts[2] if len(parts) > 2 else "", "key")
            if parts[2:4] == ["name", "en"]:
                name = "name_en"
            _error(row[name], item["message"])
        else:
            form.form_errors.append(item["message"])


@bp.route("/tiers", methods=["GET", "POST"])
@editor_required
def tiers():
    state = load_state()
    status = 200
    if request.method == "POST":
        form = TiersForm()
        if "add_row" in request.form:
            form.tiers.append_entry()
        else:
            valid = form.validate_on_submit()
            built, rows, ok = _build_tiers(form, state.published_tier_keys)
            if valid and ok:
                with editing() as edit:
                    edit.document["tiers"] = sorted(built, key=lambda t: t["rank"])
                    order = sorted(range(len(built)), key=lambda i: built[i]["rank"])
                    problems = edit.save(action="config.tiers.update", target="config:tiers")
                if not problems:
                    flash(_("Tiers saved in the draft."))
                    return redirect(url_for("editor.tiers"))
                _attach_document_problems(form, problems, [rows[i] for i in order])
            status = 422
    else:
        form = TiersForm(data={"tiers": [_tier_row(t) for t in sorted(state.document.get("tiers", []),
                                                                      key=lambda t: t["rank"])]})
        form.tiers.append_entry({"rank": None, "discount_zhe": "", "period_days": 365})
    return render_template("editor/tiers.html", form=form, state=state,
                           published_keys=state.published_tier_keys, format_zhe=format_zhe), status


# -- card kinds and policies --------------------------------------------------------------------

class CardKindRow(Form):
    original_key = HiddenField()
    key = StringField(_l("Key"), validators=[Optional(), Length(max=40)],
                      render_kw={"autocomplete": "off", "spellcheck": "false", "maxlength": 40})
    name_zh = StringField(_l("Name in Chinese"), validators=[Optional(), Length(max=60)])
    name_en = StringField(_l("Name in English"), validators=[Optional(), Length(max=60)])
    description_zh = StringField(_l("Description in Chinese"), validators=[Optional(), Length(max=300)])
    description_en = StringField(_l("Description in English"), validators=[Optional(), Length(max=300)])
    earns_points = BooleanField(_l("Earns points"), default=True)
    remove = BooleanField(_l("Delete"))


class CardsForm(FlaskForm):
    kinds = FieldList(FormField(CardKindRow), min_entries=0)
    cards_per_member = IntegerField(_l("Cards per member"), validators=[NumberRange(min=1, max=20)],
                                    render_kw={"inputmode": "numeric", "min": 1, "max": 20})
    allow_replacement = BooleanField(_l("Lost cards may be replaced (补卡)"))


def _kind_row(kind: dict) -> dict:
    return {"original_key": kind["key"], "key": kind["key"], "name_zh": kind["name"]["zh-CN"],
            "name_en": kind["name"]["en"], "description_zh": kind.get("description", {}).get("zh-CN", ""),
            "description_en": kind.get("description", {}).get("en", ""),
            "earns_points": kind.get("earns_points", True)}


@bp.route("/cards", methods=["GET", "POST"])
@editor_required
def cards():
    state = load_state()
    config = state.config
    status = 200
    if request.method == "POST":
        form = CardsForm()
        if "add_row" in request.form:
            form.kinds.append_entry({"earns_points": True})
        elif form.validate_on_submit():
            kinds, failed, seen = [], [], set()
            keys = _row_keys(form.kinds.entries, set(state.published_card_kind_keys), "card")
            for index, entry in enumerate(form.kinds.entries):
                row = entry.form
                values = [row[n].data for n in ("key", "name_zh", "name_en", "description_zh", "description_en")]
                if row.remove.data or not any((v or "").strip() for v in values):
                    continue
                key = keys[index]
                original = (row.original_key.data or "").strip()
                if original in state.published_card_kind_keys and key != original:
                    _error(row.key, _("This card kind is published: its key %(key)s can no longer change.",
                                      key=original))
                    failed.append(row)
                elif not _slug_ok(key):
                    _error(row.key, SLUG_MESSAGE)
                    failed.append(row)
                elif key in seen:
                    _error(row.key, _("Two card kinds have the key %(key)s.", key=key))
                    failed.append(row)
                seen.add(key)
                if not (row.name_zh.data or "").strip():
                    _error(row.name_zh, _("Required."))
                    failed.append(row)
                kind = {"key": key, "name": _names(row), "earns_points": bool(row.earns_points.data)}
                description = ((row.description_zh.data or "").strip(), (row.description_en.data or "").strip())
                if any(description):  # English falls back to the Chinese, as for names
                    kind["description"] = {"zh-CN": description[0] or description[1],
                                           "en": description[1] or description[0]}
                kinds.append(kind)
            if not kinds:
                form.form_errors.append(_("Keep at least one card kind."))
                failed.append(form)
            if not failed:
                with editing() as edit:
                    edit.document["card_kinds"] = kinds
                    edit.document["policies"] = {"cards_per_member": form.cards_per_member.data,
                                                 "allow_replacement": bool(form.allow_replacement.data)}
                    problems = edit.save(action="config.card_kinds.update", target="config:card_kinds")
                if not problems:
                    flash(_("Card kinds and policies saved in the draft."))
                    return redirect(url_for("editor.cards"))
                form.form_errors += [p["message"] for p in problems]
            status = 422
        else:
            status = 422
    else:
        form = CardsForm(data={"kinds": [_kind_row(k) for k in config.card_kinds],
                               "cards_per_member": config.policies["cards_per_member"],
                               "allow_replacement": config.policies["allow_replacement"]})
        form.kinds.append_entry({"earns_points": True})
    return render_template("editor/cards.html", form=form, state=state,
                           published_keys=state.published_card_kind_keys, label=label), status
