"""Submit a Flower run to the space's SuperLink, follow it, stop it.

``submit`` copies the Flower app directory into a per-run work folder (``flwr run`` may rewrite an app's
``pyproject.toml``; the packaged template must never change), writes the run-config overrides as a TOML file
(values of any TOML type, JSON strings included, without shell quoting), and calls
``flwr run WORKDIR/app resonance --run-config overrides.toml --format json`` with FLWR_HOME under the space home.
Every key of ``run_config`` must be declared under ``[tool.flwr.app.config]`` in the app's pyproject.toml.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
import time
import tomllib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

from resonance.errors import NotFound, ResonanceError
from resonance.federation import pki, superlink
from resonance.federation._control import run_status
from resonance.federation._flwr_cli import run_flwr
from resonance.federation._flwr_config import CONNECTION, flwr_bin, flwr_env

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
FINISHED = "finished"
APP_TEMPLATE = Path(__file__).parent / "app"  # the Flower app of our jobs: components in resonance.federation


@dataclass(frozen=True)
class RunHandle:
    """A submitted run. ``run_id`` is flwr's id (a decimal string); ``workdir`` holds the app copy and overrides."""

    space_home: Path
    run_id: str
    workdir: Path

    def info(self) -> dict[str, Any]:
        """flwr's record of the run: ``status`` (``pending``/``starting``/``running``/``finished:completed``,
        ``finished:failed``, ``finished:stopped``), ``status-details``, ``elapsed``, ``network-traffic``,
        ``compute-time``."""
        runs = run_flwr(
            superlink.flwr_home(self.space_home), ["ls", CONNECTION, "--run-id", self.run_id, "--format", "json"]
        ).get("runs", [])
        if not runs:
            raise NotFound("run", self.run_id, fix="list runs with `flwr ls` under the space's FLWR_HOME")
        return runs[0]

    def status(self) -> str:
        """``pending``, ``starting``, ``running`` or ``finished:completed|failed|stopped`` (one HTTPS request)."""
        link = superlink.require_running(self.space_home)
        state = run_status(link.address, pki.tls_dir(self.space_home) / "ca.pem", int(self.run_id))
        if state is None:
            raise NotFound("run", self.run_id, fix="use the id that submit returned")
        return state

    def wait(self, timeout: float, poll: float = 0.5) -> str:
        """Block until the run finishes; return its final status (``finished:completed`` when it succeeded).

        Raises ``ResonanceError`` (code ``run_timeout``) if it is still going after ``timeout`` seconds; the run
        itself keeps going (call ``stop``).
        """
        deadline = time.monotonic() + timeout
        while True:
            state = self.status()
            if state.startswith(FINISHED):
                return state
            if time.monotonic() >= deadline:
                raise ResonanceError(
                    what=f"run {self.run_id} is still {state} after {timeout:.0f} s",
                    fix="wait longer, read its logs (`RunHandle.logs()`), or stop it (`RunHandle.stop()`)",
                    code="run_timeout",
                    status=504,
                )
            time.sleep(poll)

    def stop(self) -> bool:
        """Ask the SuperLink to stop the run. Returns False if it had already finished."""
        if self.status().startswith(FINISHED):
            return False
        run_flwr(superlink.flwr_home(self.space_home), ["stop", self.run_id, CONNECTION, "--format", "json"])
        return True

    def logs(self) -> str:
        """Everything the ServerApp logged so far (ANSI colours removed)."""
        proc = subprocess.run(
            [flwr_bin("flwr"), "log", self.run_id, CONNECTION, "--show"],
            env=flwr_env(superlink.flwr_home(self.space_home)),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        return _ANSI.sub("", proc.stdout)

    def follow(self, timeout: float | None = None) -> Iterator[str]:
        """Yield the ServerApp's log lines as they come until the run finishes (``flwr log --stream``).

        ``timeout`` (seconds) ends the stream early even if the run goes on; the run itself is not touched.
        """
        proc = subprocess.Popen(
            [flwr_bin("flwr"), "log", self.run_id, CONNECTION, "--stream"],
            env=flwr_env(superlink.flwr_home(self.space_home)),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        timer = threading.Timer(timeout, proc.terminate) if timeout is not None else None
        if timer is not None:
            timer.start()
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                yield _ANSI.sub("", line.rstrip("\n"))
        finally:
            if timer is not None:
                timer.cancel()
            if proc.poll() is None:
                proc.terminate()
            proc.wait(timeout=10)


def submit(
    space_home: Path, app_dir: Path, run_config: dict[str, Any] | None = None, *, name: str | None = None
) -> RunHandle:
    """Start a run of the Flower app in ``app_dir`` on the space's SuperLink; return its handle at once.

    ``run_config`` overrides the app's ``[tool.flwr.app.config]`` defaults (str, int, float, bool values; put
    JSON in a string). Unknown keys are refused before anything is sent. The work folder is
    ``<space home>/federation/runs/<name or random>/``.
    """
    space_home = Path(space_home)
    superlink.require_running(space_home)
    run_config = dict(run_config or {})
    declared = _declared_config(Path(app_dir))
    unknown = sorted(set(run_config) - set(declared))
    if unknown:
        raise ResonanceError(
            what=f"run config keys not declared by the app: {', '.join(unknown)}",
            where=str(Path(app_dir) / "pyproject.toml"),
            fix=f"declare them under [tool.flwr.app.config] (declared: {', '.join(sorted(declared)) or 'none'})",
            code="bad_run_config",
        )
    for key, value in run_config.items():
        if not isinstance(value, str | int | float | bool):
            raise ResonanceError(
                what=f"run config value for {key!r} must be str, int, float or bool",
                where=f"run_config.{key}",
                fix="encode structured values as a JSON string",
                code="bad_run_config",
            )
    workdir = superlink.federation_dir(space_home) / "runs" / (name or uuid.uuid4().hex[:12])
    if workdir.exists():
        raise ResonanceError(what=f"a run work folder {workdir} already exists", fix="use another name")
    app_copy = workdir / "app"
    shutil.copytree(app_dir, app_copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.fab"))
    args = ["run", str(app_copy), CONNECTION, "--format", "json"]
    if run_config:
        overrides = workdir / "run_config.toml"
        overrides.write_text(tomli_w.dumps(run_config), encoding="utf-8")
        args[3:3] = ["--run-config", str(overrides)]
    data = run_flwr(superlink.flwr_home(space_home), args, cwd=workdir, timeout=120)
    return RunHandle(space_home=space_home, run_id=str(data["run-id"]), workdir=workdir)


def attach(space_home: Path, run_id: str) -> RunHandle:
    """A handle on an existing run (e.g. from another process); raises NotFound if the SuperLink does not know it."""
    if not str(run_id).isdigit():
        raise ResonanceError(what=f"run id {run_id!r} is not a number", where="run_id", fix="use the id submit gave")
    handle = RunHandle(Path(space_home), str(run_id), superlink.federation_dir(space_home) / "runs")
    handle.info()
    return handle


def list_runs(space_home: Path) -> list[dict[str, Any]]:
    """flwr's records of every run on the space's SuperLink."""
    superlink.require_running(space_home)
    return run_flwr(superlink.flwr_home(space_home), ["ls", CONNECTION, "--format", "json"]).get("runs", [])


def _declared_config(app_dir: Path) -> dict[str, Any]:
    path = app_dir / "pyproject.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ResonanceError(what=f"no pyproject.toml in {app_dir}", fix="point at a Flower app directory") from None
    except tomllib.TOMLDecodeError as exc:
        raise ResonanceError(what=f"pyproject.toml is not valid TOML: {exc}", where=str(path), fix="fix it") from None
    return data.get("tool", {}).get("flwr", {}).get("app", {}).get("config", {})
