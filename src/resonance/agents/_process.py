"""``resonance agents mcp --transport http`` as a child process on 127.0.0.1 (the demo and the tests use it)."""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from resonance.errors import ResonanceError


@dataclass
class McpProcess:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)


def start_http(home: Path, database_url: str, *, timeout: float = 90) -> McpProcess:
    """Start the MCP server over streamable HTTP on a free port; ready when it answers 401 to a bare request."""
    from resonance.agents.maintenance import server_command
    from resonance.federation._procs import free_port

    port = free_port()
    command, args = server_command()
    env = {**os.environ, "RESONANCE_HOME": str(home), "RESONANCE_DATABASE_URL": database_url}
    env.pop("RESONANCE_TOKEN", None)
    log = home / "mcp.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        process = subprocess.Popen(
            [command, *args, "agents", "mcp", "--transport", "http", "--port", str(port)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    found = McpProcess(process, f"http://127.0.0.1:{port}/mcp", log)
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.post(found.url, json={}, timeout=2).status_code == 401:
                return found
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            found.stop()
            raise ResonanceError(
                what="the MCP server did not start" + (f" (exit {process.returncode})" if process.returncode else ""),
                where=str(log),
                fix="read the log",
            )
        time.sleep(0.3)
