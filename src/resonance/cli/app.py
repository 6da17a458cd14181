"""The ``resonance`` command: one sub-app per command group."""

from __future__ import annotations

import typer

from resonance import __version__

app = typer.Typer(
    name="resonance",
    help="Resonance Space (模数共振空间): registry, federation and evaluation for the 模数共振 action.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"resonance {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="show the version"),
) -> None:
    """Resonance Space command line."""


def _mount() -> None:
    # sub-apps are imported here so that `resonance --help` lists them all
    from resonance.cli import groups

    for name, sub, help_text in groups.SUB_APPS:
        app.add_typer(sub, name=name, help=help_text)


def main() -> None:
    _mount()
    app()
