"""What the CLI prints is the data as it is: square brackets in values or errors are text, never rich markup."""

from __future__ import annotations

import pytest
import typer

from resonance.cli import _common
from resonance.errors import ResonanceError


def test_table_cells_keep_square_brackets() -> None:
    with _common.console.capture() as captured:
        _common.print_table("slices", ["slice"], [["Tool wear [min] ≥ 170"], ["[bold]not bold[/bold]"]])
    text = captured.get()
    assert "Tool wear [min] ≥ 170" in text
    assert "[bold]not bold[/bold]" in text


def test_errors_keep_square_brackets() -> None:
    @_common.handle_errors
    def fails() -> None:
        raise ResonanceError(what="column [min] is unknown", where="JOB.toml [task]", fix="rename [min] to min")

    with _common.err_console.capture() as captured, pytest.raises(typer.Exit):
        fails()
    text = captured.get()
    assert "JOB.toml [task]: column [min] is unknown" in text
    assert "fix: rename [min] to min" in text
