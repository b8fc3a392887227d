"""The staff inbox's pages (issue 14 item 2): the call list in the till and in the editor.

The list and the changes are the API's (webui/api/inbox.py: ``listing`` and ``work``), so a
page and an API client see and change the same tasks with the same checks and audit rows.
Here: the form every list posts to (done / 稍后 / 备注; answered as JSON to the till's script,
else a redirect back with a message), and what a task looks like on a page.
"""
from .views import bp  # noqa: F401  (webui.create_app registers it)
