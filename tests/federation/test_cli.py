"""``resonance space init`` creates the federation CA; ``resonance space federation start|stop|status``."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import resonance.cli.app as cli_app
from resonance.cli import federation
from resonance.cli._common import console, err_console
from resonance.federation import superlink
from resonance.settings import get_settings

runner = CliRunner()


def _root() -> Any:
    if not cli_app.app.registered_groups:
        cli_app._mount()
    return cli_app.app


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RESONANCE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("RESONANCE_DATABASE_URL", raising=False)
    monkeypatch.setattr(console, "width", 200)
    monkeypatch.setattr(err_console, "width", 200)
    get_settings.cache_clear()
    yield tmp_path / "home"
    superlink.stop(tmp_path / "home")
    get_settings.cache_clear()


def test_space_init_creates_the_ca_once(home):
    first = runner.invoke(_root(), ["space", "init", "--json"])
    assert first.exit_code == 0, first.output
    ca = Path(json.loads(first.output)["ca_cert"])
    assert ca == home / "federation" / "tls" / "ca.pem" and ca.read_text().startswith("-----BEGIN CERTIFICATE-----")
    before = ca.read_bytes()
    again = runner.invoke(_root(), ["space", "init"])
    assert again.exit_code == 0 and "federation CA" in again.output
    assert ca.read_bytes() == before


@pytest.mark.slow
def test_start_status_stop(home):
    idle = runner.invoke(federation.app, ["status"])
    assert idle.exit_code == 0 and "not running" in idle.output
    started = runner.invoke(federation.app, ["start", "--json"])
    assert started.exit_code == 0, started.output
    info = json.loads(started.output)
    assert info["address"].startswith("127.0.0.1:") and Path(info["ca_cert"]).is_file()
    state = json.loads(runner.invoke(federation.app, ["status", "--json"]).output)
    assert state["running"] is True and state["healthy"] is True and state["address"] == info["address"]
    assert state["nodes"] == []
    twice = runner.invoke(federation.app, ["start"])
    assert twice.exit_code == 1 and "already runs" in twice.output
    human = runner.invoke(federation.app, ["status"])
    assert "healthy" in human.output and info["address"] in human.output
    assert json.loads(runner.invoke(federation.app, ["stop", "--json"]).output) == {"stopped": True}
    assert json.loads(runner.invoke(federation.app, ["stop", "--json"]).output) == {"stopped": False}


def test_bad_ports_are_refused(home):
    assert runner.invoke(federation.app, ["start", "--port", "abc"]).exit_code == 2
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(federation.app, ["start", "--port", str(port)])
    assert result.exit_code == 1 and "already in use" in result.output
    assert superlink.running(home) is None
