"""What the bench prints: its table rows and machine facts, the figures (the JSON object
``--json`` prints) and issue 11's goals judged from them."""
from __future__ import annotations

import math
import os
import platform
import sqlite3

# Every key the JSON object has (null: that part was not measured in this run).
KEYS = (
    "fsync_per_s", "raw_minimal_cpu_ms", "raw_minimal_ok_per_s", "raw_full_cpu_ms",
    "raw_full_ok_per_s", "raw_full_statements_per_checkout", "inprocess_cpu_ms",
    "inprocess_ok_per_s", "inprocess_cash_cpu_ms", "inprocess_ratio", "statements_per_checkout",
    "http_cpu_ms", "http_ok_per_s", "http_p50_ms", "http_p99_ms", "http_clients", "http_ratio",
    "http_client_cpu_ms",
    "lookup_ok_per_s", "lookup_p99_ms", "lookup_cpu_ms", "lookups",
    "pg_clients", "pg_raw_ok_per_s", "pg_raw_cpu_ms", "pg_raw_db_cpu_ms",
    "pg_inprocess_ok_per_s", "pg_inprocess_cpu_ms", "pg_inprocess_db_cpu_ms",
    "pg_inprocess_ratio", "pg_http_ok_per_s", "pg_http_cpu_ms", "pg_http_db_cpu_ms",
    "pg_http_ratio", "pin_check_cpu_ms", "member_rfm_ms", "member_rfm_cpu_ms", "rowset_ok",
    "rowset_mismatches", "ledger_ok", "members", "quick", "sqlite_sync", "goals",
)

INPROCESS_MAX_RATIO = 5.0
HTTP_MAX_RATIO = 10.0
HTTP_P99_MS = 25.0
HTTP_MIN_RATE = 300.0
PG_MIN_SHARE = 0.5
MAX_STATEMENTS = 15
LOOKUP_MAX_CPU_MS = 1.0
LOOKUP_MIN_RATE = 1500.0
LOOKUP_P99_MS = 10.0


def rounded(value, digits: int = 3):
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return round(value, digits) if isinstance(value, float) else value


def ratio(numerator, denominator):
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def _verdict(*checks) -> str | None:
    if any(check is None for check in checks):
        return None
    return "PASS" if all(checks) else "MISS"


def _at_most(value, limit):
    return None if value is None else value <= limit


def _below(value, limit):
    return None if value is None else value < limit


def _at_least(value, limit):
    return None if value is None else value >= limit


def figure_text(value, unit: str = "", digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}{unit}"


def goals(f: dict) -> list[tuple[str, str | None, str]]:
    """(key, PASS / MISS / None = not measured, the line's text) for each of issue 11's goals."""
    clients = f.get("http_clients")
    return [
        ("inprocess_cpu", _verdict(_at_most(f["inprocess_ratio"], INPROCESS_MAX_RATIO)),
         f"in-process CPU <= {INPROCESS_MAX_RATIO:g}x raw full row set: "
         f"{figure_text(f['inprocess_ratio'], 'x')} ({figure_text(f['inprocess_cpu_ms'], ' ms', 2)} vs "
         f"{figure_text(f['raw_full_cpu_ms'], ' ms', 2)})"),
        ("http_cpu", _verdict(_at_most(f["http_ratio"], HTTP_MAX_RATIO)),
         f"HTTP CPU <= {HTTP_MAX_RATIO:g}x raw full row set: {figure_text(f['http_ratio'], 'x')} "
         f"({figure_text(f['http_cpu_ms'], ' ms', 2)} vs {figure_text(f['raw_full_cpu_ms'], ' ms', 2)})"),
        ("http_p99", _verdict(_below(f["http_p99_ms"], HTTP_P99_MS)),
         f"HTTP p99 < {HTTP_P99_MS:g} ms at {clients or 8} clients closed loop (SQLite, "
         f"every commit on disk before its answer: {sqlite_sync_mode()}): "
         f"{figure_text(f['http_p99_ms'], ' ms')}"),
        ("http_rate", _verdict(_at_least(f["http_ok_per_s"], HTTP_MIN_RATE)),
         f"HTTP checkouts >= {HTTP_MIN_RATE:g}/s: {figure_text(f['http_ok_per_s'], '/s')} "
         f"(fsync ceiling of this disk: {figure_text(f['fsync_per_s'], '/s', 0)})"),
        ("postgres", _verdict(_at_least(f["pg_inprocess_ratio"], PG_MIN_SHARE),
                              _at_least(f["pg_http_ratio"], PG_MIN_SHARE)),
         f"PostgreSQL >= {PG_MIN_SHARE:.0%} of raw psycopg at {f.get('pg_clients') or '-'} "
         f"clients: in-process {figure_text(_percent(f['pg_inprocess_ratio']), ' %', 0)}, HTTP "
         f"{figure_text(_percent(f['pg_http_ratio']), ' %', 0)} (raw "
         f"{figure_text(f['pg_raw_ok_per_s'], '/s')})"),
        ("statements", _verdict(_at_most(f["statements_per_checkout"], MAX_STATEMENTS)),
         f"<= {MAX_STATEMENTS} statements per checkout: "
         f"{figure_text(f['statements_per_checkout'])} (raw full row set: "
         f"{figure_text(f['raw_full_statements_per_checkout'])})"),
        ("lookups", _verdict(_at_most(f["lookup_cpu_ms"], LOOKUP_MAX_CPU_MS),
                             _at_least(f["lookup_ok_per_s"], LOOKUP_MIN_RATE),
                             _below(f["lookup_p99_ms"], LOOKUP_P99_MS)),
         f"lookups <= {LOOKUP_MAX_CPU_MS:g} ms CPU, >= {LOOKUP_MIN_RATE:,.0f}/s, p99 < "
         f"{LOOKUP_P99_MS:g} ms (worst kind): {figure_text(f['lookup_cpu_ms'], ' ms', 2)}, "
         f"{figure_text(f['lookup_ok_per_s'], '/s')}, p99 {figure_text(f['lookup_p99_ms'], ' ms')}"),
    ]


def _percent(value):
    return None if value is None else value * 100


def goal_lines(f: dict) -> list[str]:
    return [f"GOAL  {text}: {verdict or 'NOT MEASURED'}" for _key, verdict, text in goals(f)]


def finish(f: dict) -> dict:
    """The JSON object: every key present, floats rounded, the goals' verdicts added."""
    missing = [key for key in KEYS if key not in f and key != "goals"]
    if missing:
        raise KeyError(f"figures without a value: {missing}")
    result = {key: rounded(f[key]) if not isinstance(f[key], (dict, list)) else f[key]
              for key in KEYS if key != "goals"}
    result["goals"] = {key: verdict for key, verdict, _text in goals(f)}
    return result


# -- the table and the figures --------------------------------------------------------

HEADER = (f"| {'what':<46} | {'clients':>7} | {'ok/s':>8} | {'p50 ms':>7} | {'p99 ms':>7} | "
          f"{'max ms':>8} | {'CPU ms/op':>10} | {'client CPU':>10} | statuses |")


def row(what: str, clients, timings) -> str:
    """A table row; "client CPU" is the HTTP load generator's per request (the server's is
    "CPU ms/op"), both from the same cores."""
    cpu = timings.cpu_ms_per_op
    cpu_text = f"{cpu:.2f}" if cpu is not None else "-"
    client = getattr(timings, "client_cpu_ms_per_op", None)
    client_text = f"{client:.2f}" if client is not None else "-"
    return (f"| {what:<46} | {clients:>7} | {timings.rate:>8.1f} | {timings.p50:>7.2f} | "
            f"{timings.p99:>7.2f} | {timings.max_ms:>8.2f} | {cpu_text:>10} | "
            f"{client_text:>10} | {timings.status_text()} |")


def load_average() -> str:
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def sqlite_sync_mode() -> str:
    """HUIKA_SQLITE_SYNC as this run's Databases read it (core.wal_sync)."""
    from core.wal_sync import AFTER_COMMIT

    return os.environ.get("HUIKA_SQLITE_SYNC", "").strip() or AFTER_COMMIT


def sqlite_sync_text() -> str:
    if sqlite_sync_mode() == "full":
        return "Huika: synchronous=FULL, the fsync inside COMMIT"
    return ("Huika: synchronous=NORMAL + the WAL fsynced after each commit, outside the "
            "writer's turn; raw sqlite3: synchronous=FULL")


def machine_facts() -> list[str]:
    import sqlalchemy

    model = "unknown"
    try:
        model = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                     if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    facts = [f"cores (nproc): {os.cpu_count()} ({model})",
             f"python: {platform.python_version()} ({platform.python_implementation()})",
             f"sqlite: {sqlite3.sqlite_version} (journal_mode=WAL; {sqlite_sync_text()})",
             f"sqlalchemy: {sqlalchemy.__version__}",
             f"platform: {platform.platform()}"]
    try:
        import gunicorn

        facts.append(f"gunicorn: {gunicorn.__version__}")
    except ImportError:
        facts.append("gunicorn: not installed")
    return facts


def per_op_ms(seconds, timings):
    return seconds / timings.ok * 1000 if seconds is not None and timings.ok else None


def lookup_figures(lookup: dict) -> dict:
    """The worst kind's figures (the goal holds for every kind) and each kind's."""
    kinds = {kind: {"ok_per_s": t.rate, "p99_ms": t.p99, "cpu_ms": t.cpu_ms_per_op,
                    "client_cpu_ms": t.client_cpu_ms_per_op}
             for kind, t in lookup.items()}
    if not kinds:
        return {"lookup_ok_per_s": None, "lookup_p99_ms": None, "lookup_cpu_ms": None,
                "lookups": None}
    cpus = [k["cpu_ms"] for k in kinds.values() if k["cpu_ms"] is not None]
    return {"lookup_ok_per_s": min(k["ok_per_s"] for k in kinds.values()),
            "lookup_p99_ms": max(k["p99_ms"] for k in kinds.values()),
            "lookup_cpu_ms": max(cpus) if cpus else None,
            "lookups": {kind: {key: rounded(value) for key, value in k.items()}
                        for kind, k in kinds.items()}}


def postgres_figures(pg: dict | None, clients: int) -> dict:
    figures = {f"pg_{name}": None for name in (
        "clients", "raw_ok_per_s", "raw_cpu_ms", "raw_db_cpu_ms", "inprocess_ok_per_s",
        "inprocess_cpu_ms", "inprocess_db_cpu_ms", "inprocess_ratio", "http_ok_per_s",
        "http_cpu_ms", "http_db_cpu_ms", "http_ratio")}
    if not pg:
        return figures
    figures["pg_clients"] = clients
    for key, name in (("raw", "raw"), ("in_process", "inprocess"), ("http", "http")):
        timings = pg.get(key)
        if timings is None:
            continue
        figures[f"pg_{name}_ok_per_s"] = timings.rate
        figures[f"pg_{name}_cpu_ms"] = timings.cpu_ms_per_op
        figures[f"pg_{name}_db_cpu_ms"] = per_op_ms(timings.db_cpu, timings)
        if key != "raw":
            figures[f"pg_{name}_ratio"] = ratio(timings.rate, pg["raw"].rate)
    return figures
