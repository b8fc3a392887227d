"""The ``huika`` command line."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from core import audit
from core import demo as demo_data
from core import migrate, tenancy
from core.errors import HuikaError
from core.models import StaffRole

from . import cli_jobs  # noqa: F401  (registers the jobs, rollups and scheduler commands)
from .cli_common import _fail, _huika, cli


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
    for line in demo_data.sign_in_lines(result):
        click.echo(line)
    click.echo("demo logins (username / role / password):")
    for username, role, password in result.logins:
        click.echo(f"  {username:<8} {role:<8} {password}   token: {result.tokens[role]}")
    click.echo("demo cards (card number / PIN; new random PINs each time this runs):")
    for number, pin in result.cards:
        click.echo(f"  {number}  {pin}")


@cli.command(help="Serve the web UI and API with gunicorn (Flask's development server with --debug).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=0, type=click.IntRange(0, 64),
              help="worker processes  [default: one per core]")
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64),
              help="threads per worker")
@click.option("--timeout", default=60, show_default=True, type=click.IntRange(5, 3600),
              help="seconds before a silent worker is restarted")
@click.option("--access-log", default="-", show_default=True,
              help="file for the access log, '-' for standard output, '' for none")
@click.option("--pid-file", default=None, help="write the master's process id here (for kill -HUP)")
@click.option("--debug/--no-debug", default=False, help="Flask's development server with the debugger")
@click.option("--scheduler/--no-scheduler", default=True, show_default=True,
              help="run the job scheduler too (one per installation leads, under a lock); "
                   "HUIKA_SCHEDULER=off also turns it off")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, workers: int, threads: int, timeout: int,
          access_log: str, pid_file: str | None, debug: bool, scheduler: bool) -> None:
    from . import scheduling

    hk = _huika(ctx)  # builds the app once here: a bad configuration fails before any worker
    migrate.upgrade(hk.db.engine, registry=hk.plugins)
    click.echo(f"Huika on http://{host}:{port}/  (API: http://{host}:{port}/api/v1/openapi.json)")
    scheduler = scheduler and scheduling.wanted()
    if debug:
        from .security_headers import UnversionedRequestHandler

        embedded = scheduling.scheduler_for(ctx.obj["app"]).start() if scheduler else None
        try:
            ctx.obj["app"].run(host=host, port=port, debug=True, threaded=True, use_reloader=False,
                               request_handler=UnversionedRequestHandler)
        finally:
            if embedded is not None:
                embedded.stop(scheduling.STOP_GRACE_SECONDS)
        return
    from . import create_app
    from .serving import HuikaServer, ServeOptions

    hk.db.dispose()  # the workers open their own connections; none may cross the fork
    HuikaServer(create_app, ServeOptions(host=host, port=port, workers=workers, threads=threads,
                                         timeout=timeout, access_log=access_log,
                                         pid_file=pid_file, scheduler=scheduler)).run()


def _live_url(hk) -> str:
    """The database URL with its password (the client programs need it); the app lets go of
    its own connections, so a restore does not count the command itself as a user."""
    url = hk.db.engine.url.render_as_string(hide_password=False)
    hk.db.dispose()
    return url


_PG_BIN = click.option("--pg-bin", envvar="HUIKA_PG_BIN", default=None, metavar="DIR",
                       help="folder of pg_dump/pg_restore (default: newest installed, then PATH)")


@cli.command(help="Back up the database to PATH (a file, or a folder for a dated name) and write "
                  "PATH.manifest.json beside it. Safe while the server runs.")
@click.argument("path", type=click.Path(path_type=Path))
@_PG_BIN
@click.pass_context
def backup(ctx: click.Context, path: Path, pg_bin: str | None) -> None:
    from core import backup as backups

    url = _live_url(_huika(ctx))
    began = time.monotonic()
    try:
        written, manifest = backups.backup(url, path, pg_bin=pg_bin)
    except HuikaError as error:
        _fail(error)
    click.echo(f"backup written: {written} ({manifest.bytes} bytes, "
               f"{time.monotonic() - began:.2f} s)")
    click.echo(manifest.line())


@cli.command(help="Verify the backup at PATH, then replace the database with it (the old one is "
                  "kept). Stop the server first. --check only verifies.")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--check", "check_only", is_flag=True, help="verify only; change nothing")
@click.option("--force", is_flag=True,
              help="restore even though a server (or other sessions) still use the database; "
                   "on PostgreSQL they are disconnected")
@_PG_BIN
@click.pass_context
def restore(ctx: click.Context, path: Path, check_only: bool, force: bool, pg_bin: str | None) -> None:
    from core import backup as backups

    hk = _huika(ctx)
    url = _live_url(hk)
    try:
        if check_only:
            report = backups.check(url, path, registry=hk.plugins, pg_bin=pg_bin)
        else:
            report = backups.restore(url, path, registry=hk.plugins, force=force, pg_bin=pg_bin)
    except HuikaError as error:
        _fail(error)
    if report.stored is None:
        click.echo(f"note: no {backups.manifest_path(path).name} beside the file; "
                   "its contents were verified without it")
    click.echo(f"verified: {path} (integrity, revision {report.revision}, ledger of "
               f"{report.manifest.merchants} merchant(s): {report.manifest.transactions} "
               f"transactions, {report.manifest.entries} entries)")
    if report.revision != report.target_revision:
        click.echo(f"migrated{'' if report.swapped else ' on restore'}: "
                   f"{report.revision} -> {report.target_revision}")
    click.echo(report.manifest.line())
    if report.swapped:
        kept = f"; the replaced database is kept as {report.kept}" if report.kept else ""
        click.echo(f"restored{kept}")


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
            audit.record(session, merchant_id=created.id, staff_id=None, action="merchant.create",
                         target=f"merchant:{created.id}", after={"name": created.name},
                         origin=audit.cli_origin())
            click.echo(f"merchant {created.id}: {created.name}  (sign-in code {created.code})")
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
                _audit_cli(session, found.id, "staff.create", staff,
                           {"username": staff.username, "role": staff.role, "password": "random"})
            if staff.role != role:
                raise HuikaError(f"user {username!r} has role {staff.role!r}, not {role!r}")
            token = tenancy.issue_token(session, staff, label="cli")
            _audit_cli(session, found.id, "staff.token.issue", staff,
                       {"username": staff.username, "role": staff.role, "label": "cli",
                        "token_id": tenancy.latest_token_id(session, staff)})
            click.echo(token)
    except HuikaError as error:
        _fail(error)


def _audit_cli(session, merchant_id: int, action: str, staff, after: dict) -> None:
    """An operator's change at the command line: no staff user, channel ``cli``."""
    audit.record(session, merchant_id=merchant_id, staff_id=None, action=action,
                 target=f"staff:{staff.id}", after=after, origin=audit.cli_origin())


@cli.command(name="import", help="Import KIND (members, cards, stored_value, points, course_packages …) "
                                  "from FILE (.xlsx or .csv) for a merchant; --dry-run checks every row "
                                  "and changes nothing (docs/import.md).")
@click.argument("kind")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--merchant", "merchant_name", required=True)
@click.option("--dry-run", is_flag=True, help="check only; change nothing")
@click.option("--json", "as_json", is_flag=True, help="print the whole report as JSON")
@click.pass_context
def import_file(ctx: click.Context, kind: str, file: Path, merchant_name: str, dry_run: bool,
                as_json: bool) -> None:
    from core.clock import now_utc
    from core.config_versions import published_config
    from core.imports import RowsRefused, run_import

    hk = _huika(ctx)
    try:
        with (hk.db.read if dry_run else hk.db.write)() as session:
            found = tenancy.find_merchant(session, merchant_name)
            config = published_config(session, found.id, hk.plugins)
            report = run_import(session, config, found.id, kind, file.read_bytes(), file_name=file.name,
                                dry_run=dry_run, now=now_utc(), origin=audit.cli_origin())
    except RowsRefused as refused:
        report = refused.report
    except HuikaError as error:
        _fail(error)
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=1))
    else:
        _print_import(report)
    if report["problems"]:
        sys.exit(2)


def _print_import(report: dict) -> None:
    state = "dry run, nothing changed" if report["dry_run"] else (
        f"batch {report['batch_id']}" if report.get("batch_id") else "nothing imported")
    click.echo(f"{report['kind']} ({state}): {report['rows_read']} rows read, {report['rows_valid']} to "
               f"import, {report['rows_skipped']} imported before, {report['rows_bad']} bad")
    for problem in report["problems"]:
        where = f"row {problem['row']}" + (f" {problem['column_title']}" if problem["column_title"] else "")
        click.echo(f"  {where}: {problem['message_i18n']['zh-CN']} / {problem['message']}")
    for asset, amount in report["totals"].items():
        click.echo(f"  total {asset}: {amount}")
    for what, count in (report.get("created") or {}).items():
        click.echo(f"  created {what}: {count}")
    reconciliation = report.get("reconciliation")
    if reconciliation:
        for row in reconciliation["assets"]:
            click.echo(f"  {row['asset']}: file {row['file']}, posted {row['posted']}, "
                       f"cards hold now {row['cards_hold_now']}")
        click.echo("  ledger balanced" if reconciliation["balanced"] else
                   "  LEDGER DOES NOT BALANCE: " + "; ".join(reconciliation["problems"]))


@cli.command(help="Forget every throttling counter now, e.g. when someone's wrong passwords keep "
                  "a user locked out (docs/operations.md, Throttling).")
@click.pass_context
def unthrottle(ctx: click.Context) -> None:
    from . import throttle

    _huika(ctx)  # the app, with its limiter
    cleared = throttle.forget_all_counters(ctx.obj["app"])
    click.echo(f"{cleared} throttling counters cleared")


def main() -> None:
    from core.plugins import build_registry

    # Plugins may add commands; a broken plugin is reported by `huika plugins`, not here.
    build_registry().call_all("register_commands", cli=cli)
    cli(obj={})


if __name__ == "__main__":
    main()
