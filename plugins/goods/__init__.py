"""Goods (商品与库存): the catalogue, stock per store and catalogue lines at the till (G1, G3).

This module is the plugin's hook surface; the behaviour lives next to it:

- ``catalogue.py``      three-level categories and products (SKU, barcode, member prices per
  tier, special price, points rule), search by name, pinyin initials, barcode
- ``checkout_lines.py`` checkout/quote lines by product_id or barcode (checkout_resolve_lines)
- ``stock.py``          stock movements (appended) and levels; sale and return movements
- ``api.py``, ``reports.py``, ``imports.py``, ``demo.py``; ``models.py`` + ``migrations/``

See docs/goods.md.
"""
from pathlib import Path

from core.hookspecs import hookimpl

from . import checkout_lines, models, stock  # noqa: F401  (models: tables join the metadata)
from .api import operations

MIGRATIONS = Path(__file__).parent / "migrations" / "versions"


@hookimpl
def checkout_resolve_lines(session, config, merchant_id, store_id, lines):
    """Lines by product_id or barcode get the product's name, price, category, member prices."""
    return checkout_lines.resolve(session, merchant_id, lines)


@hookimpl
def after_checkout(session, checkout, record, config):
    """G1: catalogue lines sold leave the store's stock, in the checkout's transaction."""
    stock.sold(session, checkout, record)


@hookimpl
def after_checkout_return(session, checkout, returned, config):
    """G3: returned units of catalogue lines go back into the store they were sold from."""
    from core.clock import now_utc

    stock.returned(session, checkout, returned, now_utc())


@hookimpl
def demo_data(session, config, merchant_id, store_ids, staff_id, now):
    """The demo's small catalogue with stock in every store (demo.py)."""
    from . import demo

    demo.load(session, config, merchant_id, store_ids, staff_id, now)


@hookimpl
def register_api_operations():
    return operations()


@hookimpl
def register_migrations():
    return [str(MIGRATIONS)]


@hookimpl
def register_import_kinds():
    """goods_catalogue: the catalogue from Excel or CSV, with opening stock (imports.py)."""
    from .imports import import_kinds

    return import_kinds()


@hookimpl
def register_reports():
    """low_stock and stock_movements in the report catalogue: reports.py."""
    from .reports import reports

    return reports()
