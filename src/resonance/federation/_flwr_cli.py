"""Run the ``flwr`` command line against the space's SuperLink and read its JSON answers.

We drive the documented CLI (``flwr … --format json``) rather than flwr's internal Control API client: the CLI is
the interface flwr keeps stable across releases, and it already handles TLS and the runtime-version handshake.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from resonance.errors import ResonanceError
from resonance.federation._flwr_config import CONNECTION, flwr_bin, flwr_env


def run_flwr(flwr_home: Path, args: list[str], *, timeout: float = 60, cwd: Path | None = None) -> dict[str, Any]:
    """Run ``flwr ARGS resonance --format json``-style commands; return the parsed JSON object.

    ``args`` must already contain the connection name where the sub-command takes one. A failing command is
    raised as ``ResonanceError`` carrying flwr's own message.
    """
    proc = subprocess.run(
        [flwr_bin("flwr"), *args],
        env=flwr_env(flwr_home),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    data = _last_json(proc.stdout)
    if proc.returncode != 0 or data is None or data.get("success") is False:
        message = (data or {}).get("error-message") or (proc.stderr.strip() or proc.stdout.strip())[-800:]
        raise ResonanceError(
            what=f"`flwr {' '.join(args[:2])}` failed: {message}",
            where="flwr CLI",
            fix="check that the SuperLink runs (`resonance space federation status`) and read its log",
            code="flwr_failed",
            status=502,
        )
    return data


def _last_json(stdout: str) -> dict[str, Any] | None:
    # flwr prints progress lines before the JSON document; the JSON object is the last top-level line block
    text = stdout.strip()
    start = text.rfind("\n{")
    candidates = [text[start + 1 :]] if start >= 0 else []
    candidates.append(text[text.find("{") :] if "{" in text else "")
    for chunk in candidates:
        try:
            value = json.loads(chunk)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None


__all__ = ["CONNECTION", "run_flwr"]
