"""``huika jobs``, ``huika rollups`` and ``huika scheduler``: the scheduled work
(docs/operations.md, Scheduled jobs and Rollups)."""
from __future__ import annotations

import json
import sys

import click

from core.clock import now_utc

from .cli_common import _huika, cli


@cli.group(help="Scheduled jobs: expiry, reminders, messages, rollups (docs/operations.md, "
                "Scheduled jobs).")
def jobs() -> None:
    pass


def _find_job(hk, job_id: str):
    job = next((j for j in hk.plugins.jobs() if j.id == job_id), None)
    if job is None:
        click.echo(f"error: no job {job_id!r} (see `huika jobs list`)", err=True)
        sys.exit(2)
    return job


@jobs.command(name="list", help="List the jobs of the core and the installed plugins.")
@click.pass_context
def jobs_list(ctx: click.Context) -> None:
    for job in _huika(ctx).plugins.jobs():
        schedule = job.schedule_text() + ("" if job.is_interval else " (Asia/Shanghai)")
        click.echo(f"{job.id:<40} {schedule:<26} {job.plugin:<18} {job.description}")


@jobs.command(name="status", help="Each job's latest run, failures, next run, and who holds the "
                                  "scheduler lock.")
@click.option("--json", "as_json", is_flag=True, help="one JSON document")
@click.pass_context
def jobs_status(ctx: click.Context, as_json: bool) -> None:
    from core.jobs_status import jobs_status as status_of
    from core.scheduling import lock_for

    hk = _huika(ctx)
    report = status_of(hk.db, hk.plugins.jobs(), now_utc())
    report["scheduler_lock"] = lock_for(hk.db).holder()
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=1, default=str))
        return
    click.echo(f"scheduler lock: held by {report['scheduler_lock']}")
    for row in report["jobs"]:
        last = row["last"]
        state = "never ran" if last is None else (
            f"{last['period']} {last['status']}" + (f" (attempt {last['attempts']})" if last["attempts"] > 1 else ""))
        click.echo(f"{row['job']:<40} {row['schedule']:<14} last: {state:<34} next: {row['next']}")
        for failed in row["failed"]:
            retry = f", retry at {failed['retry_at']}" if failed["retry_at"] else ", no more retries"
            click.echo(f"    FAILED {failed['period']} after {failed['attempts']} attempt(s){retry}: "
                       f"{failed['error']}")


@jobs.command(name="run", help="Run one job now, once per scheduled time: today's run of a daily job "
                               "(or --for a past day's, with that day's time), an interval job's "
                               "current slot. --force runs a finished one again.")
@click.argument("job_id")
@click.option("--for", "for_day", default=None, metavar="YYYY-MM-DD",
              help="a daily job's run of that merchant-local day, as the scheduler would run it")
@click.option("--at", "at", default=None, help="ISO datetime to run as (default: now; for tests and repairs)")
@click.option("--force", is_flag=True, help="run again even if that run already finished")
@click.pass_context
def jobs_run(ctx: click.Context, job_id: str, for_day: str | None, at: str | None, force: bool) -> None:
    from datetime import datetime

    from core.clock import MERCHANT_TZ, parse_date
    from core.jobs import run_job, run_slot

    hk = _huika(ctx)
    job = _find_job(hk, job_id)
    if for_day is not None:
        if at is not None or job.is_interval:
            click.echo("error: --for names a daily job's day; not with --at or an interval job", err=True)
            sys.exit(2)
        try:
            slot = job.slot_on(parse_date(for_day))
        except ValueError as error:
            click.echo(f"error: --for: {error}", err=True)
            sys.exit(2)
        if slot > now_utc():
            click.echo(f"error: {job.id} for {for_day} is due at {slot.astimezone(MERCHANT_TZ):%Y-%m-%d %H:%M} "
                       "(Asia/Shanghai), not yet", err=True)
            sys.exit(2)
        result = run_slot(hk.db, hk.plugins, job, slot, force=force)
    else:
        now = now_utc()
        if at:
            try:
                moment = datetime.fromisoformat(at)
            except ValueError:
                click.echo(f"error: --at: not an ISO datetime: {at!r}", err=True)
                sys.exit(2)
            now = moment if moment.tzinfo else moment.replace(tzinfo=MERCHANT_TZ)
        result = run_job(hk.db, hk.plugins, job, now, force=force)
    click.echo(json.dumps(result, ensure_ascii=False, default=str))
    if result.get("status") == "failed":
        sys.exit(1)


@cli.group(help="The rollup tables the money reports read (docs/operations.md, Rollups).")
def rollups() -> None:
    pass


@rollups.command(name="fold", help="Fold the ledger into the rollup tables up to what is final; "
                                   "safe to run at any time, twice, or from two places at once.")
@click.option("--rebuild", is_flag=True, help="empty the tables first and fold everything again")
@click.pass_context
def rollups_fold(ctx: click.Context, rebuild: bool) -> None:
    from core import rollups as rollup_tables

    hk = _huika(ctx)
    result = rollup_tables.rebuild(hk.db) if rebuild else rollup_tables.fold(hk.db)
    click.echo(json.dumps(result, ensure_ascii=False, default=str))


@rollups.command(name="status", help="How far the rollup tables are folded.")
@click.pass_context
def rollups_status(ctx: click.Context) -> None:
    from core import rollups as rollup_tables

    click.echo(json.dumps(rollup_tables.status(_huika(ctx).db), ensure_ascii=False, default=str))


@cli.command(help="Run the job scheduler on its own (`huika serve` runs one too unless "
                  "--no-scheduler). One per installation leads, under a lock; others stand by.")
@click.pass_context
def scheduler(ctx: click.Context) -> None:
    import os
    import signal

    from .scheduling import scheduler_for

    _huika(ctx)
    running = scheduler_for(ctx.obj["app"], say=lambda line: click.echo(line, nl=True),
                            name=f"scheduler (pid {os.getpid()})")
    reload_wanted = []

    def stop(signum, _frame):
        reload_wanted.append(signum == signal.SIGHUP)
        running.stop()

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, stop)
    for job in running.lanes["interval"] + running.lanes["daily"]:
        click.echo(f"job {job.id}: {job.schedule_text()}")
    running.run()
    if reload_wanted and reload_wanted[0]:  # SIGHUP: start again with the code and plugins on disk
        os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])
