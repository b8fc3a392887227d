"""The report catalogue agrees with the plugin manifests (issue 12, G1): every report a
manifest declares is computed by its plugin's register_reports hook, and nothing else is."""
from __future__ import annotations

from core.plugins import build_registry
from core.reports.catalogue import implemented_reports, undeclared_and_missing


def test_every_declared_report_is_computed_and_every_computed_one_declared():
    assert undeclared_and_missing(build_registry()) == []


def test_every_report_describes_its_columns_in_chinese_and_english():
    registry = build_registry()
    declared = {(info.id, entry["id"]) for info in registry.plugins.values()
                for entry in info.manifest.get("reports", [])}
    reports = implemented_reports(registry)
    assert declared <= {(report.plugin, report.id) for report in reports}
    assert len({report.id for report in reports}) == len(reports)  # ids are unique across plugins
    for report in reports:
        keys = [column.key for column in report.columns]
        assert len(set(keys)) == len(keys), report.id
        for column in report.columns:
            assert column.title.get("zh-CN") and column.title.get("en"), (report.id, column.key)
        assert report.title.get("zh-CN") and report.title.get("en"), report.id
