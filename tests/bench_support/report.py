"""Issue 11's goals, judged from the bench's figures (the JSON object ``--json`` prints)."""
from __future__ import annotations

import math

# Every key the JSON object has (null: that part was not measured in this run).
KEYS = (
    "fsync_per_s", "raw_minimal_cpu_ms", "raw_minimal_ok_per_s", "raw_full_cpu_ms",
    "raw_full_ok_per_s", "raw_full_statements_per_checkout", "inprocess_cpu_ms",
    "inprocess_ok_per_s", "inprocess_cash_cpu_ms", "inprocess_ratio", "statements_per_checkout",
    "http_cpu_ms", "http_ok_per_s", "http_p50_ms", "http_p99_ms", "http_clients", "http_ratio",
    "lookup_ok_per_s", "lookup_p99_ms", "lookup_cpu_ms", "lookups",
    "pg_clients", "pg_raw_ok_per_s", "pg_raw_cpu_ms", "pg_raw_db_cpu_ms",
    "pg_inprocess_ok_per_s", "pg_inprocess_cpu_ms", "pg_inprocess_db_cpu_ms",
    "pg_inprocess_ratio", "pg_http_ok_per_s", "pg_http_cpu_ms", "pg_http_db_cpu_ms",
    "pg_http_ratio", "pin_check_cpu_ms", "rowset_ok", "rowset_mismatches", "ledger_ok",
    "members", "quick", "goals",
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


def _text(value, unit: str = "", digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}{unit}"


def goals(f: dict) -> list[tuple[str, str | None, str]]:
    """(key, PASS / MISS / None = not measured, the line's text) for each of issue 11's goals."""
    clients = f.get("http_clients")
    return [
        ("inprocess_cpu", _verdict(_at_most(f["inprocess_ratio"], INPROCESS_MAX_RATIO)),
         f"in-process CPU <= {INPROCESS_MAX_RATIO:g}x raw full row set: "
         f"{_text(f['inprocess_ratio'], 'x')} ({_text(f['inprocess_cpu_ms'], ' ms', 2)} vs "
         f"{_text(f['raw_full_cpu_ms'], ' ms', 2)})"),
        ("http_cpu", _verdict(_at_most(f["http_ratio"], HTTP_MAX_RATIO)),
         f"HTTP CPU <= {HTTP_MAX_RATIO:g}x raw full row set: {_text(f['http_ratio'], 'x')} "
         f"({_text(f['http_cpu_ms'], ' ms', 2)} vs {_text(f['raw_full_cpu_ms'], ' ms', 2)})"),
        ("http_p99", _verdict(_below(f["http_p99_ms"], HTTP_P99_MS)),
         f"HTTP p99 < {HTTP_P99_MS:g} ms at {clients or 8} clients closed loop (SQLite, "
         f"synchronous=FULL): {_text(f['http_p99_ms'], ' ms')}"),
        ("http_rate", _verdict(_at_least(f["http_ok_per_s"], HTTP_MIN_RATE)),
         f"HTTP checkouts >= {HTTP_MIN_RATE:g}/s: {_text(f['http_ok_per_s'], '/s')} "
         f"(fsync ceiling of this disk: {_text(f['fsync_per_s'], '/s', 0)})"),
        ("postgres", _verdict(_at_least(f["pg_inprocess_ratio"], PG_MIN_SHARE),
                              _at_least(f["pg_http_ratio"], PG_MIN_SHARE)),
         f"PostgreSQL >= {PG_MIN_SHARE:.0%} of raw psycopg at {f.get('pg_clients') or '-'} "
         f"clients: in-process {_text(_percent(f['pg_inprocess_ratio']), ' %', 0)}, HTTP "
         f"{_text(_percent(f['pg_http_ratio']), ' %', 0)} (raw "
         f"{_text(f['pg_raw_ok_per_s'], '/s')})"),
        ("statements", _verdict(_at_most(f["statements_per_checkout"], MAX_STATEMENTS)),
         f"<= {MAX_STATEMENTS} statements per checkout: "
         f"{_text(f['statements_per_checkout'])} (raw full row set: "
         f"{_text(f['raw_full_statements_per_checkout'])})"),
        ("lookups", _verdict(_at_most(f["lookup_cpu_ms"], LOOKUP_MAX_CPU_MS),
                             _at_least(f["lookup_ok_per_s"], LOOKUP_MIN_RATE),
                             _below(f["lookup_p99_ms"], LOOKUP_P99_MS)),
         f"lookups <= {LOOKUP_MAX_CPU_MS:g} ms CPU, >= {LOOKUP_MIN_RATE:,.0f}/s, p99 < "
         f"{LOOKUP_P99_MS:g} ms (worst kind): {_text(f['lookup_cpu_ms'], ' ms', 2)}, "
         f"{_text(f['lookup_ok_per_s'], '/s')}, p99 {_text(f['lookup_p99_ms'], ' ms')}"),
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
