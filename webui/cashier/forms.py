"""Forms of the cashier screens and of member self-registration.

The member form is built at run time from the merchant's PUBLISHED fields
(``field_definitions_schema`` + ``form_class``) plus the fixed profile fields; the core's
``create_member`` stays the judge, and its problems come back next to their fields.
"""
from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import EqualTo, InputRequired, Length, Optional, Regexp, ValidationError

from core.fields import PHONE_PATTERN
from core.merchant_config import MerchantConfig
from core.weak_pins import is_weak

from ..forms import field_definitions_schema, form_class, form_document
from ..i18n import current_locale, label
from ..money import zhe

EXTRA_PREFIX = "extra__"
_TRACK1 = re.compile(r"^%[A-Z]?([0-9A-Za-z]{4,32})\^")
_TRACK2 = re.compile(r"^;([0-9A-Za-z]{4,32})[=?]")


def normalise_swipe(text: str) -> str:
    """What a magstripe reader types (';8123…=2512…?' or '%B8123…^NAME^…?') -> the card number."""
    text = (text or "").strip()
    for pattern in (_TRACK1, _TRACK2):
        match = pattern.match(text)
        if match:
            return match.group(1)
    return text.strip(";%?").strip()


def _swiped(value):
    return normalise_swipe(value) if isinstance(value, str) else value

CHANNELS = ("wechat", "alipay", "unionpay", "other")


# -- members ------------------------------------------------------------------------------

def fixed_member_schema() -> dict:
    """The fixed profile fields (M1) in the same JSON Schema shape as custom fields."""
    return {
        "name": {"type": "string", "maxLength": 60, "x-label": _("Full name")},
        "phone": {"type": "string", "maxLength": 11, "x-label": _("Mobile phone"),
                  "x-help": _("11 digits, e.g. 13800138000")},
        "gender": {"enum": ["unspecified", "female", "male"], "x-label": _("Gender"),
                   "x-enum-labels": {"unspecified": _("Not given"), "female": _("Female"),
                                     "male": _("Male")}},
        "birthday_calendar": {"enum": ["solar", "lunar"], "x-label": _("Birthday calendar"),
                              "x-enum-labels": {"solar": _("Solar (公历)"), "lunar": _("Lunar (农历)")}},
        "birthday": {"type": "string", "maxLength": 10, "x-label": _("Birthday"),
                     "x-help": _("YYYY-MM-DD; a lunar birthday as its lunar month and day")},
        "address": {"type": "string", "maxLength": 200, "x-label": _("Address")},
        "occupation": {"type": "string", "maxLength": 60, "x-label": _("Occupation")},
        "income_band": {"type": "string", "maxLength": 20, "x-label": _("Income band")},
    }


def member_form_schema(config: MerchantConfig) -> tuple[dict, dict]:
    """(form schema, field definitions by key) for registering a member of this merchant."""
    fields = config.member_fields
    extra = field_definitions_schema(fields)
    properties = dict(fixed_member_schema())
    for key, schema in extra["properties"].items():
        properties[EXTRA_PREFIX + key] = schema
    required = ["name", "phone"] + [EXTRA_PREFIX + key for key in extra["required"]]
    return ({"type": "object", "properties": properties, "required": required},
            {f["key"]: f for f in fields})


def member_form(config: MerchantConfig, formdata=None, **kwargs):
    schema, _definitions = member_form_schema(config)
    form_type = form_class(schema, locale=current_locale())
    form = form_type(formdata=formdata, **kwargs) if formdata is not None else form_type(**kwargs)
    form.phone.render_kw = {"inputmode": "numeric", "autocomplete": "tel", "maxlength": "11"}
    form.birthday.render_kw = {"placeholder": "1990-05-20", "inputmode": "numeric"}
    return form, schema


def member_document(form, schema: dict, channel: str) -> dict:
    """The form's values as create_member's input: fixed fields plus ``extra``."""
    values = form_document(form, schema)
    document: dict = {"extra": {}}
    for name, value in values.items():
        if name.startswith(EXTRA_PREFIX):
            document["extra"][name[len(EXTRA_PREFIX):]] = value
        else:
            document[name] = value
    document["channel"] = channel
    if "birthday" not in document:
        document.pop("birthday_calendar", None)
    return document


def apply_member_problems(form, problems) -> None:
    """create_member's problems next to their fields (/extra/<key> is extra__<key>)."""
    for item in problems or []:
        pointer, message = item["pointer"], item["message"]
        parts = [p for p in pointer.split("/") if p]
        name = ""
        if parts[:1] == ["extra"] and len(parts) > 1:
            name = EXTRA_PREFIX + parts[1]
        elif parts:
            name = parts[0]
        target = form._fields.get(name)
        if target is not None:
            target.errors = [*list(target.errors), message]
        else:
            form.form_errors.append(f"{pointer}: {message}" if pointer else message)


def extra_values(member_extra: dict, definitions: dict) -> list[tuple[str, str]]:
    """A member's custom field values as (label, text) for display."""
    rows = []
    for key, value in (member_extra or {}).items():
        if value in (None, "", []):
            continue
        definition = definitions.get(key)
        if definition is None:
            rows.append((key, str(value)))
            continue
        options = {o["value"]: label(o["label"]) for o in definition.get("options", [])}
        if isinstance(value, list):
            text = "、".join(options.get(v, str(v)) for v in value)
        elif isinstance(value, bool):
            text = _("Yes") if value else _("No")
        else:
            text = options.get(value, str(value))
        rows.append((label(definition["label"]), text))
    return rows


# -- cards --------------------------------------------------------------------------------

def _not_weak(_form, field) -> None:
    """C6: a PIN anyone would try first (core.weak_pins) is refused when it is set."""
    if field.data and is_weak(field.data):
        raise ValidationError(_("This PIN is too easy to guess (repeated digits, a sequence or a "
                                "common PIN such as 123123 or 520520); choose another."))


def new_pin_fields(pin_label):
    """The new PIN, typed twice, as the holder chooses it (issue, reset)."""
    pin = PasswordField(pin_label, validators=[
        InputRequired(message=_l("Set the card's 6-digit PIN.")),
        Regexp(r"^[0-9]{6}\Z", message=_l("The PIN is 6 digits.")), _not_weak],
        render_kw={"autocomplete": "off", "inputmode": "numeric"})
    pin_again = PasswordField(_l("PIN again"), validators=[
        InputRequired(message=_l("Type the PIN a second time.")),
        EqualTo("pin", message=_l("The two PINs do not match."))],
        render_kw={"autocomplete": "off", "inputmode": "numeric"})
    return pin, pin_again


class IssueCardForm(FlaskForm):
    number = StringField(_l("Card number"), filters=[_swiped], validators=[Optional(), Regexp(
        r"^[0-9A-Za-z]{4,32}\Z", message=_l("4 to 32 letters or digits"))],
        description=_l("Swipe a card from stock, or leave empty to give a new number."))
    kind = SelectField(_l("Card kind"), choices=[])
    tier = SelectField(_l("Tier"), choices=[])
    pin, pin_again = new_pin_fields(_l("PIN (6 digits)"))
    expires_on = DateField(_l("Expires on"), validators=[Optional()], render_kw={"type": "date"})

    def fill_choices(self, config: MerchantConfig) -> None:
        self.kind.choices = [SelectChoice(k["key"], label(k["name"])) for k in config.card_kinds]
        self.tier.choices = [SelectChoice("", _("Lowest tier"))] + [
            SelectChoice(t["key"], label(t["name"]) + (
                " · " + _("%(zhe)s折", zhe=zhe(t["discount_permille"]))
                if t.get("discount_permille", 1000) < 1000 else ""))
            for t in config.tiers]


# -- checkout -----------------------------------------------------------------------------

class LineForm(Form):
    """One basket line as typed: prices in yuan text, the promotion in 折."""

    sku = StringField(_l("SKU"), validators=[Length(max=60)])
    name = StringField(_l("Item"), validators=[Length(max=120)])
    quantity = StringField(_l("Qty"), default="1", validators=[Length(max=6)])
    price = StringField(_l("Unit price (yuan)"), validators=[Length(max=16)])
    special = BooleanField(_l("Special price"))
    promotion = StringField(_l("Promotion (折)"), validators=[Length(max=6)])

    def is_blank(self) -> bool:
        return not any((field.data or "").strip() for field in (self.sku, self.name, self.price))


class CheckoutForm(FlaskForm):
    card_number = StringField(_l("Card (swipe, or leave empty for a walk-in sale)"),
                              validators=[Length(max=64)])
    lines = FieldList(FormField(LineForm), min_entries=1, max_entries=200)
    pay_cash = StringField(_l("Cash"), validators=[Length(max=16)])
    pay_external = StringField(_l("WeChat / Alipay / bank card"), validators=[Length(max=16)])
    channel = SelectField(_l("Channel"), default="wechat", validate_choice=False, choices=[
        SelectChoice("wechat", _l("WeChat Pay")), SelectChoice("alipay", _l("Alipay")),
        SelectChoice("unionpay", _l("UnionPay card")), SelectChoice("other", _l("Other"))])
    reference = StringField(_l("Transaction no."), validators=[Length(max=60)])
    pay_stored_value = StringField(_l("Stored value"), validators=[Length(max=16)])
    pin = PasswordField(_l("Card PIN"), validators=[Length(max=6)])
    pay_points = StringField(_l("Points as cash"), validators=[Length(max=10)])
    idempotency_key = HiddenField()


class PinResetForm(FlaskForm):
    """C6: a manager sets a new PIN the holder chose, after checking the holder's ID."""

    pin, pin_again = new_pin_fields(_l("New PIN (6 digits)"))


class KeyOnlyForm(FlaskForm):
    """A button that moves money or changes a card: CSRF plus its idempotency key."""

    idempotency_key = HiddenField()


class ExtendForm(FlaskForm):
    expires_on = DateField(_l("New expiry date"), validators=[InputRequired()],
                           render_kw={"type": "date"})


class ReplaceForm(FlaskForm):
    new_number = StringField(_l("New card number"), filters=[_swiped], validators=[Optional()],
                             description=_l("Swipe the new card, or leave empty for a new number."))
    idempotency_key = HiddenField()


class SearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search

    q = StringField(_l("Phone, card number or name"))


PHONE_REGEXP = PHONE_PATTERN
