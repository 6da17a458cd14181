"""``resonance space serve``: the API in a real uvicorn process on 127.0.0.1, over a real registry."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from resonance import tokens
from resonance.registry.db import transaction

RESONANCE = Path(sys.executable).with_name("resonance")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, proc: subprocess.Popen[str], timeout: float = 60) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the server exited with {proc.returncode}: {proc.stdout.read() if proc.stdout else ''}")
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail(f"the server did not answer at {url} within {timeout} s")


def test_serve_answers_on_loopback_with_auth(registry: Any, tmp_path: Path) -> None:
    with transaction(registry.sessions) as session:
        _, secret = tokens.create_token(session, "serve test", "viewer")
    port = _free_port()
    env = {**os.environ, "RESONANCE_DATABASE_URL": registry.url, "RESONANCE_HOME": str(tmp_path)}
    proc = subprocess.Popen(
        [str(RESONANCE), "space", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        assert _wait_for(f"{base}/health", proc).json()["status"] == "ok"
        assert httpx.get(f"{base}/api/v1/industries").status_code == 401
        listed = httpx.get(f"{base}/api/v1/industries", headers={"Authorization": f"Bearer {secret}"})
        assert listed.status_code == 200 and listed.json()["total"] == 20
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_serve_refuses_an_uninitialised_registry(tmp_path: Path) -> None:
    env = {**os.environ, "RESONANCE_HOME": str(tmp_path / "empty")}
    env.pop("RESONANCE_DATABASE_URL", None)
    result = subprocess.run(
        [str(RESONANCE), "space", "serve", "--port", str(_free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "resonance space init" in result.stderr and "Traceback" not in result.stderr
