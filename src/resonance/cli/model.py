"""``resonance model download``: a model version's artifact (``list`` and ``show`` are the registry's own commands)."""

from __future__ import annotations

import shutil
from pathlib import Path

import typer

from resonance.cli._common import JSON_OPTION, console, handle_errors, print_json, registry_session
from resonance.settings import get_settings

app = typer.Typer(no_args_is_help=True)


@app.command("download")
@handle_errors
def download(
    key: str = typer.Argument(..., help="CODE or CODE@VERSION"),
    fmt: str = typer.Option("npz", "--format", help="npz (parameters + standardiser) or onnx"),
    out: Path = typer.Option(Path("."), "--out", help="file or folder to write to"),
    json_out: bool = JSON_OPTION,
) -> None:
    """Copy a model version's artifact out of the space."""
    from resonance.errors import ResonanceError
    from resonance.federation import model_store

    if fmt not in ("npz", "onnx"):
        raise ResonanceError(what=f"unknown format {fmt!r}", where="--format", fix="use npz or onnx")
    with registry_session() as session:
        source = model_store.artifact_path(session, get_settings().home, key, fmt)
    target = out / f"{source.parent.parent.name}-{source.parent.name}.{fmt}" if out.is_dir() else out
    shutil.copy2(source, target)
    sha = model_store.sha256_file(target)
    if json_out:
        print_json({"model": key, "format": fmt, "path": str(target), "sha256": sha})
    else:
        console.print(f"wrote {target} (sha256 {sha[:16]}…)")
