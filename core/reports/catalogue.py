"""Which reports a merchant has: the core's and those of the plugins it enabled.

A plugin declares its reports in its manifest (id, title, description: what the editor and
the API list) and computes them from its ``register_reports`` hook; the manifest's titles win.
"""
from __future__ import annotations

from dataclasses import replace

from .types import Report


def implemented_reports(registry) -> list[Report]:
    """Every report of every valid plugin plus the core's, manifest titles applied; cached
    on the registry (plugins are loaded once per process)."""
    cached = getattr(registry, "_huika_reports", None)
    if cached is None:
        cached = [_with_manifest(registry, report) for report in registry.reports()]
        registry._huika_reports = cached
    return cached


def available_reports(registry, config) -> list[Report]:
    """The reports this merchant's published configuration gives it, core ones first."""
    return [report for report in implemented_reports(registry)
            if report.plugin == "core" or config.is_enabled(report.plugin)]


def find_report(registry, config, report_id: str) -> Report | None:
    return next((report for report in available_reports(registry, config) if report.id == report_id), None)


def undeclared_and_missing(registry) -> list[str]:
    """Problems between manifests and hooks: a declared report nobody computes, or a computed
    one no manifest declares (tests/test_reports_catalogue.py keeps this empty)."""
    problems = []
    computed = {(report.plugin, report.id) for report in registry.reports()}
    for info in registry.plugins.values():
        declared = {entry["id"] for entry in info.manifest.get("reports", [])}
        ours = {report_id for plugin, report_id in computed if plugin == info.id}
        problems += [f"{info.id}: report {rid!r} is declared but not computed" for rid in sorted(declared - ours)]
        problems += [f"{info.id}: report {rid!r} is computed but not declared" for rid in sorted(ours - declared)]
    return problems


def _with_manifest(registry, report: Report) -> Report:
    info = registry.get(report.plugin)
    if info is None:
        return report
    declared = next((entry for entry in info.manifest.get("reports", []) if entry["id"] == report.id), None)
    if declared is None:
        return report
    return replace(report, title=declared.get("title") or report.title,
                   description=declared.get("description") or report.description)
