"""Environment and connection settings for every flwr process we start, kept under OUR homes.

``flwr`` keeps its state and connection settings in ``$FLWR_HOME`` (default ``~/.flwr``); we always set
``FLWR_HOME`` so that a user's own Flower settings are neither read nor rewritten. The CLI reads the SuperLink
connection from ``$FLWR_HOME/config.toml`` (``[superlink.<name>]``: ``address``, ``root-certificates``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

CONNECTION = "resonance"


def flwr_env(flwr_home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a flwr process: our FLWR_HOME, no telemetry or update check, the venv on PATH.

    The SuperLink and SuperNode start ``flower-superexec``/``flwr-serverapp``/``flwr-clientapp`` by name, so the
    interpreter's ``bin/`` must come first on PATH.
    """
    env = dict(os.environ)
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    env["FLWR_HOME"] = str(flwr_home)
    env["FLWR_TELEMETRY_ENABLED"] = "0"  # flwr reports usage to flower.ai by default; nothing leaves loopback
    env["FLWR_DISABLE_UPDATE_CHECK"] = "1"
    env["FLWR_DISABLE_RUNTIME_DEPENDENCY_INSTALLATION"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    # how often SuperExec looks for a ServerApp/ClientApp to launch (flwr default 1 s: up to 1 s lost per run/message)
    env.setdefault("FLWR_SUPEREXEC_TASK_POLL_INTERVAL", "0.1")
    env.update(extra or {})
    return env


def flwr_bin(name: str) -> str:
    """Absolute path of a flwr entry point installed beside this interpreter."""
    return str(Path(sys.executable).parent / name)


def write_connection(flwr_home: Path, address: str, root_certificates: Path) -> Path:
    """Write ``$FLWR_HOME/config.toml`` with one default connection named ``resonance``; returns its path."""
    flwr_home.mkdir(parents=True, exist_ok=True)
    path = flwr_home / "config.toml"
    path.write_text(
        "[superlink]\n"
        f'default = "{CONNECTION}"\n\n'
        f"[superlink.{CONNECTION}]\n"
        f'address = "{address}"\n'
        f"root-certificates = {_toml_string(str(root_certificates))}\n",
        encoding="utf-8",
    )
    return path


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
