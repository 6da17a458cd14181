"""In-process calls to the SuperLink's Control API (list runs, list nodes) — no ``flwr`` process per question.

Why not the CLI here: every ``flwr`` command is a new Python process that spends 1–3 s of CPU importing flwr;
polling a run's status that way kept a core busy on a 2-core machine. We reuse the CLI's own client factory
(``flwr.cli.utils.init_http_client_from_connection``: TLS, runtime-version header) and call it in this process;
one question is then one HTTPS request (~30 ms). Writing operations (run, stop, register) stay on the CLI.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from resonance.errors import ResonanceError
from resonance.federation._flwr_config import CONNECTION


@contextlib.contextmanager
def control_client(address: str, ca_cert: Path) -> Iterator[Any]:
    """A connected ``ControlHttpClient`` for the SuperLink at ``address`` (host:port) trusting ``ca_cert``."""
    from flwr.cli.typing import SuperLinkConnection
    from flwr.cli.utils import init_http_client_from_connection

    connection = SuperLinkConnection(name=CONNECTION, address=address, root_certificates=str(ca_cert))
    with contextlib.redirect_stdout(io.StringIO()):  # the factory prints "Using SuperLink: …" for humans
        client = init_http_client_from_connection(connection)
    try:
        yield client
    except Exception as exc:  # flwr raises its own error types from the HTTP layer; name them for the user
        raise ResonanceError(
            what=f"the SuperLink's Control API refused or failed: {exc}",
            where=address,
            fix="check `resonance space federation status` and the SuperLink log",
            code="flwr_failed",
            status=502,
        ) from exc
    finally:
        client.close()


def run_status(address: str, ca_cert: Path, run_id: int) -> str | None:
    """``pending``/``starting``/``running``/``finished:<completed|failed|stopped>``; None for an unknown run."""
    from flwr.proto.control_pb2 import ListRunsRequest

    with control_client(address, ca_cert) as client:
        try:
            runs = client.ListRuns(ListRunsRequest(run_id=run_id)).run_dict
        except Exception as exc:
            if "not found" in str(exc).lower() or "invalid" in str(exc).lower():
                return None
            raise
    run = runs.get(run_id)
    if run is None:
        return None
    state = run.status.status
    return f"{state}:{run.status.sub_status}" if run.status.sub_status else state


def list_nodes(address: str, ca_cert: Path) -> list[dict[str, Any]]:
    """SuperNodes the SuperLink knows, oldest first: node-id, name, status, registered-at, online-at, offline-at."""
    from flwr.proto.control_pb2 import ListNodesRequest

    with control_client(address, ca_cert) as client:
        nodes = client.ListNodes(ListNodesRequest()).nodes_info
    rows = [
        {
            "node-id": str(n.node_id),
            "name": n.name,
            "status": n.status,
            "registered-at": n.registered_at or None,
            "online-at": n.last_activated_at or None,
            "offline-at": n.last_deactivated_at or None,
        }
        for n in nodes
    ]
    return sorted(rows, key=lambda r: r["registered-at"] or "")
