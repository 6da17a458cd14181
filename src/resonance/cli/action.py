"""``resonance action``: progress against the notice's quotas and deadlines (placeholder, see rules.py)."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True)
