"""Serving the report catalogue (core.reports) to people and programs: one run per request,
as a JSON page, an Excel workbook or a CSV file. Used by the API and the editor's pages."""
