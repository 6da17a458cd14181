"""Run ``resonance space serve`` as a real process on a free loopback port, for end-to-end tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

RESONANCE = Path(sys.executable).with_name("resonance")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_space(database_url: str, home: Path, timeout: float = 180) -> Iterator[str]:
    """Yield the base URL of a space API serving ``database_url``; stops the process afterwards."""
    port = free_port()
    env = {**os.environ, "RESONANCE_DATABASE_URL": database_url, "RESONANCE_HOME": str(home)}
    home.mkdir(parents=True, exist_ok=True)
    log = home / "space-serve.log"  # a file, not a pipe: an unread pipe fills up and stalls the server
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [str(RESONANCE), "space", "serve", "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the space exited with {proc.returncode}: {log.read_text(errors='replace')[-3000:]}")
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the space did not answer at {base} within {timeout} s")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
