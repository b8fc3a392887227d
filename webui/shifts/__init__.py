"""Shift pages (交班/日结, issue 13 item 5): a cashier opens a shift, counts the drawer and
closes it, then prints the summary (58 or 80 mm till paper); owners and managers list every
shift they may see with the differences marked. The figures and rules are core.shifts'."""
from .views import bp  # noqa: F401  (webui.create_app registers it)
