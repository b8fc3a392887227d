"""Hook specifications: the whole contract between the core and plugins.

Hooks are called with keyword arguments; an implementation takes any subset of them.
Only the merchant's enabled plugins (plus the core's own built-in hooks) are called.
Every hook is documented in docs/plugins.md and has a test (tests/test_hooks_meta.py).
"""
import pluggy

hookspec = pluggy.HookspecMarker("huika")
hookimpl = pluggy.HookimplMarker("huika")


@hookspec
def validate_config(config, document):
    """Check a configuration document before publishing; return a list of problems ({"pointer", "message"})."""


@hookspec
def after_publish(session, merchant_id, version, config):
    """Called in the publishing transaction after a new configuration version is stored."""


@hookspec
def after_member_created(session, member, config, staff_id, now):
    """Called in the write transaction right after a member is created (``staff_id`` None: self-registered)."""


@hookspec
def after_card_issued(session, card, config, staff_id, now):
    """Called in the write transaction right after a card is issued (bound or not), by ``staff_id`` at ``now``."""


@hookspec
def after_card_bound(session, card, member, config, staff_id, now):
    """Called in the write transaction right after a card is bound to a member, by ``staff_id`` at ``now``."""


@hookspec
def member_summary(session, member, config):
    """Return a dict of extra facts about a member for the API and screens, or None."""


@hookspec
def register_commands(cli):
    """Add click commands or groups to the ``huika`` command line."""


@hookspec
def checkout_price_lines(checkout):
    """Set each line's paid amount; the core's stacked-discount pricing (C2) is the built-in one."""


@hookspec(firstresult=True)
def checkout_payment(session, checkout, payment, config):
    """Take one payment whose method this plugin owns: return a core.checkout.PaymentResult, or None."""


@hookspec
def checkout_earn(session, checkout, lines, config):
    """Return a list of core.checkout.Earning for these priced lines (recomputed on returns, P8)."""


@hookspec
def after_checkout(session, checkout, record, config):
    """Called after a checkout is posted, in its transaction, with its row as a core.checkout_types.CheckoutRecord (C4 tiers)."""


@hookspec
def register_api_operations():
    """Return a list of core.operations.ApiOperation served for merchants that enabled the plugin."""


@hookspec
def register_migrations():
    """Return a list of Alembic version folders (paths) holding this plugin's tables."""


@hookspec
def after_card_replaced(session, old_card, new_card, config):
    """Called in the replacement transaction after balances moved: move the plugin's own rows."""


@hookspec
def register_jobs():
    """Return a list of core.jobs.Job: daily or interval work, run once per scheduled time (per merchant that enabled the plugin, or once)."""


@hookspec
def after_member_updated(session, member, changes, config, staff_id, now):
    """Called in the write transaction after a member changed; ``changes`` maps each changed key to {"from", "to"}."""


@hookspec
def after_card_kind_changed(session, card, old_kind, config, staff_id, now):
    """Called in the write transaction after a card moved to another card kind (an upgrade, H1), by ``staff_id`` at ``now``."""


@hookspec
def after_checkout_return(session, checkout, returned, config):
    """Called in a return's transaction with ``returned`` [(CheckoutLine, quantity)]: undo the plugin's own effects."""


@hookspec
def benefit_kinds():
    """Return a list of core.benefits.BenefitKind: things this plugin can give a card (e.g. room vouchers)."""


@hookspec(firstresult=True)
def grant_benefit(session, card, benefit, config, now, store_id, staff_id):
    """Give ``card`` a benefit whose kind this plugin owns; return a receipt dict, or None if not ours."""


@hookspec
def register_reports():
    """Return a list of core.reports.Report this plugin computes (each declared in its manifest's ``reports``)."""


@hookspec
def member_projection(session, card, config, now, pace):
    """Return a list of P6 projection lines (dicts with a "kind") for ``card``, given its core.projection.SpendPace or None."""


@hookspec
def register_import_kinds():
    """Return a list of core.imports.ImportKind: data this plugin imports from another system (members' balances …)."""


@hookspec
def checkout_resolve_lines(session, config, merchant_id, store_id, lines):
    """Fill catalogue lines of the raw basket ``lines`` (no sku): return {index: typed line dict} for those this plugin knows."""


@hookspec
def demo_data(session, config, merchant_id, store_ids, staff_id, now):
    """Add this plugin's sample data to the demo merchant (``huika demo``) in the transaction that creates it."""


@hookspec
def register_message_senders():
    """Return a list of core.messages.senders.MessageSender: gateways that deliver outbox messages (SMS, email, WeChat …)."""
