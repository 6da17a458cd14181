"""``python -m resonance.federation._fast_supernode ARGS``: ``flower-supernode`` with a shorter idle poll.

Why a patch: flwr 1.41's SuperNode sleeps a hard-coded 3 s whenever a pull finds no message
(``flwr/supernode/start_client_internal.py``), so each message a node receives waits 1.5 s on average, four
times per SecAgg+ round. No flag or environment variable changes it, so this entry point caps every sleep of
that one module at ``RESONANCE_SUPERNODE_POLL_S`` seconds and then runs the unchanged flwr entry point.
Each idle poll is one small HTTPS request to the SuperLink.

With ``RESONANCE_WARM_SUPEREXEC=HOST:PORT`` (the SuperNode's own local API; set by ``supernode.start`` together
with ``--isolation process``) it first starts ``_warm_superexec`` as its child, so that the node's ClientApps
are forks of one warm process and the warm SuperExec lives and dies with the SuperNode's process group.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Any


class _CappedClock:
    def __init__(self, cap: float) -> None:
        self._cap = cap

    def sleep(self, seconds: float) -> None:
        time.sleep(min(seconds, self._cap))

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


def main() -> int:
    import flwr.supernode.start_client_internal as loop
    from flwr.supernode.cli import flower_supernode

    warm_address = os.environ.get("RESONANCE_WARM_SUPEREXEC")
    if warm_address:
        command = [sys.executable, "-m", "resonance.federation._warm_superexec"]
        command += ["--runtime-api-address", warm_address, "--insecure", "--parent-pid", str(os.getpid())]
        subprocess.Popen(command)  # our own module; the local API listens on loopback only
    loop.time = _CappedClock(float(os.environ.get("RESONANCE_SUPERNODE_POLL_S", "3")))  # type: ignore[assignment]
    sys.argv[0] = "flower-supernode"
    return flower_supernode() or 0


if __name__ == "__main__":
    sys.exit(main())
