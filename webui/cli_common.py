"""What every ``huika`` command shares: the command group, the app it works on, errors."""
from __future__ import annotations

import sys

import click

from core.errors import HuikaError


def _app():
    from . import create_app

    return create_app()


@click.group(help="会卡 Huika: membership cards for small merchants.")
@click.pass_context
def cli(ctx: click.Context) -> None:
    ctx.ensure_object(dict)


def _huika(ctx: click.Context):
    from .instance_secrets import InsecureConfiguration

    if "app" not in ctx.obj:
        try:
            ctx.obj["app"] = _app()
        except InsecureConfiguration as refused:
            click.echo(f"error: {refused}", err=True)
            sys.exit(2)
    return ctx.obj["app"].extensions["huika"]


def _fail(error: HuikaError) -> None:
    click.echo(f"error: {error.message}", err=True)
    for item in error.details or []:
        click.echo(f"  {item}", err=True)
    sys.exit(2)
