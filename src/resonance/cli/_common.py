"""Shared CLI plumbing: opening the registry, printing JSON or tables, turning errors into two lines."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from functools import wraps
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy.orm import Session

from resonance.errors import ResonanceError
from resonance.registry.db import make_engine, make_sessionmaker, require_current, transaction
from resonance.settings import get_settings

console = Console()
err_console = Console(stderr=True, soft_wrap=True)  # errors are never folded mid-sentence

P = ParamSpec("P")
R = TypeVar("R")

JSON_OPTION = typer.Option(False, "--json", help="print machine-readable JSON with stable keys")


@contextmanager
def registry_session() -> Iterator[Session]:
    """A session on the configured registry, in one transaction; refuses an un-initialised database."""
    engine = make_engine(get_settings().effective_database_url)
    try:
        require_current(engine)
        with transaction(make_sessionmaker(engine)) as session:
            yield session
    finally:
        engine.dispose()


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=_default) + "\n")


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    table = Table(title=title, show_lines=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*("" if v is None else escape(str(v)) for v in row))  # values are data, never markup
    console.print(table)


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Print a ResonanceError as 'error: what' + 'fix: …' (and its problems) and exit 1, no traceback."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except ResonanceError as exc:
            head = f"{exc.where}: {exc.what}" if exc.where else exc.what
            err_console.print(f"[bold red]error:[/] {escape(head)}", highlight=False)
            for problem in exc.problems[:50]:
                err_console.print(f"  - {escape(str(problem))}", highlight=False)
            if len(exc.problems) > 50:
                err_console.print(f"  … and {len(exc.problems) - 50} more", highlight=False)
            if exc.fix:
                err_console.print(f"[bold]fix:[/] {escape(exc.fix)}", highlight=False)
            raise typer.Exit(1) from None

    return wrapper
