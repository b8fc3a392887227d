"""The ``huika`` command line."""
from __future__ import annotations

import json
import sys

import click

from core import demo as demo_data
from core import migrate, tenancy
from core.errors import HuikaError
from core.models import StaffRole


def _app():
    from . import create_app

    return create_app()


@click.group(help="会卡 Huika: membership cards for small merchants.")
@click.pass_context
def cli(ctx: click.Context) -> None:
    ctx.ensure_object(dict)


def _huika(ctx: click.Context):
    if "app" not in ctx.obj:
        ctx.obj["app"] = _app()
    return ctx.obj["app"].extensions["huika"]


def _fail(error: HuikaError) -> None:
    click.echo(f"error: {error.message}", err=True)
    for item in error.details or []:
        click.echo(f"  {item}", err=True)
    sys.exit(2)


@cli.command(help="Create the database or migrate it to the newest schema.")
@click.pass_context
def init(ctx: click.Context) -> None:
    hk = _huika(ctx)
    migrate.upgrade(hk.db.engine, registry=hk.plugins)
    click.echo(f"database ready at revision {migrate.current_revision(hk.db.engine)}: "
               f"{hk.db.engine.url.render_as_string(hide_password=True)}")


@cli.command(help="Load the demo merchant (once) and print its logins and fresh API tokens.")
@click.pass_context
def demo(ctx: click.Context) -> None:
    hk = _huika(ctx)
    migrate.upgrade(hk.db.engine, registry=hk.plugins)
    with hk.db.write() as session:
        result = demo_data.load_demo(session, hk.plugins)
    click.echo(("created" if result.created else "already there") + f": {demo_data.DEMO_MERCHANT}")
    click.echo("demo logins (username / role / password):")
    for username, role, password in result.logins:
        click.echo(f"  {username:<8} {role:<8} {password}   token: {result.tokens[role]}")
    click.echo("demo cards' PIN: 123456")


@cli.command(help="Serve the web UI and API.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--debug/--no-debug", default=False)
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, debug: bool) -> None:
    hk = _huika(ctx)
    migrate.upgrade(hk.db.engine, registry=hk.plugins)
    click.echo(f"Huika on http://{host}:{port}/  (API: http://{host}:{port}/api/v1/openapi.json)")
    ctx.obj["app"].run(host=host, port=port, debug=debug, threaded=True, use_reloader=False)


@cli.command(name="plugins", help="List discovered plugins with version and validity.")
@click.pass_context
def list_plugins(ctx: click.Context) -> None:
    registry = _huika(ctx).plugins
    for info in registry.plugins.values():
        click.echo(f"{info.id:<20} {info.version:<8} valid    {info.title('zh-CN')} / {info.title('en')}")
    for info in registry.refused.values():
        click.echo(f"{info.id:<20} {info.version:<8} REFUSED  " + "; ".join(info.problems))
    if registry.refused:
        sys.exit(1)


@cli.group(help="Manage merchants.")
def merchant() -> None:
    pass


@merchant.command(name="create", help="Create a merchant (tenant) with its head store.")
@click.option("--name", required=True)
@click.pass_context
def merchant_create(ctx: click.Context, name: str) -> None:
    hk = _huika(ctx)
    try:
        with hk.db.write() as session:
            created = tenancy.create_merchant(session, name)
            click.echo(f"merchant {created.id}: {created.name}")
    except HuikaError as error:
        _fail(error)


@cli.group(help="Manage API tokens.")
def token() -> None:
    pass


@token.command(name="create", help="Print a new bearer token for USER (created with ROLE if new).")
@click.option("--merchant", "merchant_name", required=True)
@click.option("--user", "username", required=True)
@click.option("--role", type=click.Choice([r.value for r in StaffRole]), required=True)
@click.pass_context
def token_create(ctx: click.Context, merchant_name: str, username: str, role: str) -> None:
    import secrets

    hk = _huika(ctx)
    try:
        with hk.db.write() as session:
            found = tenancy.find_merchant(session, merchant_name)
            try:
                staff = tenancy.find_staff(session, found.id, username)
            except HuikaError:
                # A token-only user: its password is random and unknown until an owner resets it.
                staff = tenancy.create_staff(session, found.id, username=username, role=role,
                                             password=secrets.token_urlsafe(24))
            if staff.role != role:
                raise HuikaError(f"user {username!r} has role {staff.role!r}, not {role!r}")
            click.echo(tenancy.issue_token(session, staff, label="cli"))
    except HuikaError as error:
        _fail(error)


@cli.group(help="Scheduled jobs (expiry, reminders, classifications).")
def jobs() -> None:
    pass


@jobs.command(name="list", help="List the jobs of the installed plugins.")
@click.pass_context
def jobs_list(ctx: click.Context) -> None:
    for job in _huika(ctx).plugins.jobs():
        click.echo(f"{job.id:<36} daily {job.hour:02d}:{job.minute:02d} (Asia/Shanghai)  {job.description}")


@jobs.command(name="run", help="Run one job now (once per local day unless --force).")
@click.argument("job_id")
@click.option("--at", "at", default=None, help="ISO datetime to run as (default: now)")
@click.option("--force", is_flag=True, help="run again even if it already ran for that day")
@click.pass_context
def jobs_run(ctx: click.Context, job_id: str, at: str | None, force: bool) -> None:
    from datetime import datetime

    from core.clock import MERCHANT_TZ, now_utc
    from core.jobs import run_job

    hk = _huika(ctx)
    job = next((j for j in hk.plugins.jobs() if j.id == job_id), None)
    if job is None:
        click.echo(f"error: no job {job_id!r} (see `huika jobs list`)", err=True)
        sys.exit(2)
    now = now_utc()
    if at:
        moment = datetime.fromisoformat(at)
        now = moment if moment.tzinfo else moment.replace(tzinfo=MERCHANT_TZ)
    click.echo(json.dumps(run_job(hk.db, hk.plugins, job, now, force=force), ensure_ascii=False,
                          default=str))


@cli.command(help="Run the job scheduler (one per installation, not one per web worker).")
@click.pass_context
def scheduler(ctx: click.Context) -> None:
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.cron import CronTrigger

    from core.clock import MERCHANT_TZ, now_utc
    from core.jobs import run_job

    hk = _huika(ctx)
    blocking = BlockingScheduler(timezone=MERCHANT_TZ)
    for job in hk.plugins.jobs():
        blocking.add_job(lambda job=job: click.echo(json.dumps(
                             run_job(hk.db, hk.plugins, job, now_utc()), ensure_ascii=False, default=str)),
                         CronTrigger(hour=job.hour, minute=job.minute, timezone=MERCHANT_TZ),
                         id=job.id, coalesce=True, max_instances=1, misfire_grace_time=6 * 3600)
        click.echo(f"scheduled {job.id} daily at {job.hour:02d}:{job.minute:02d}")
    blocking.start()


@cli.command(help="Forget every throttling counter now, e.g. when someone's wrong passwords keep "
                  "a user locked out (docs/operations.md, Throttling).")
@click.pass_context
def unthrottle(ctx: click.Context) -> None:
    from core import rate_limits

    with _huika(ctx).db.write() as session:
        cleared = rate_limits.clear(session)
    click.echo(f"{cleared} throttling counters cleared")


def main() -> None:
    from core.plugins import build_registry

    # Plugins may add commands; a broken plugin is reported by `huika plugins`, not here.
    build_registry().call_all("register_commands", cli=cli)
    cli(obj={})


if __name__ == "__main__":
    main()
